//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// helm4Env is the cluster's Helm environment (c.Env()) with a Helm data
// home of its own for Helm 4. Helm 3 and Helm 4 otherwise share the
// cluster's homes, and Helm 3 cannot read a postrenderer/v1 plugin.yaml:
// with the plugin installed there, every helm3 command prints `failed to load
// plugins: ... unknown field "apiVersion"` and `helm3 plugin list` fails.
// HELM_PLUGINS stays the default below HELM_DATA_HOME (pointing it anywhere
// else makes the installed plugin unfindable).
func helm4Env(t *testing.T, c *testcluster.Cluster) []string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "helm4-data")
	return append(c.Env(), "HELM_DATA_HOME="+data, "HELM_PLUGINS="+filepath.Join(data, "plugins"))
}

// installHelm4Plugin lays out plugin/helm4 as `make helm-plugin` does
// (plugin.yaml plus bin/podgraft, here the binary under test) and installs
// it with `helm plugin install <dir>`.
func installHelm4Plugin(ctx context.Context, t *testing.T, helm string, env []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "podgraft")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	manifest, err := os.ReadFile(filepath.Join(repoRoot(t), "plugin", "helm4", "plugin.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.yaml"), manifest, 0o644))
	b, err := os.ReadFile(podgraftBin(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", "podgraft"), b, 0o755))

	res := run(ctx, t, dir, env, helm, "plugin", "install", dir)
	require.NoError(t, res.Err, res.Output())
	res = run(ctx, t, dir, env, helm, "plugin", "list")
	require.NoError(t, res.Err, res.Output())
	require.Regexp(t, `(?m)^podgraft\s+\S+\s+postrenderer/v1\s`, res.Stdout)
}

// sources maps each document of `helm get manifest`/`helm get hooks` output
// to the template file Helm filed it under ("# Source: ..."), keyed
// "Kind name".
func sources(t *testing.T, out string) map[string]string {
	t.Helper()
	src := regexp.MustCompile(`(?m)^# Source: (\S+)$`)
	m := map[string]string{}
	for _, d := range parseDocs(t, out) {
		s := src.FindStringSubmatch(d.Raw)
		require.NotNil(t, s, "%s has no # Source: line:\n%s", d.id(), d.Raw)
		m[d.kind()+" "+d.name()] = s[1]
	}
	return m
}

// TestHelm4PostRendererPlugin installs the shop chart with the podgraft
// Helm 4 plugin (--post-renderer podgraft) against the test API server,
// once with the graft's default helmHooks: false and once with true. (The
// plugin itself, its args and its errors are TestHelm4Plugin's subject.)
func TestHelm4PostRendererPlugin(t *testing.T) {
	t.Parallel()
	helm := tool(t, "helm4")
	c := cluster(t)
	ctx := testCtx(t, 5*time.Minute)
	env := helm4Env(t, c)
	installHelm4Plugin(ctx, t, helm, env)

	graftOff := testdataPath(t, "helm", "helm4-graft.yaml")
	b, err := os.ReadFile(graftOff)
	require.NoError(t, err)
	require.Contains(t, string(b), "helmHooks: false")
	graftOn := filepath.Join(t.TempDir(), "helm4-graft-hooks.yaml")
	require.NoError(t, os.WriteFile(graftOn, []byte(strings.Replace(string(b), "helmHooks: false", "helmHooks: true", 1)), 0o644))

	for _, tc := range []struct {
		name, ns, graft string
		hooks           bool
	}{
		{"hooks skipped by default", "h4-hooks-off", graftOff, false},
		{"helmHooks true grafts the hook Job", "h4-hooks-on", graftOn, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// Helm 4 waits for hooks (--wait defaults to hookOnly) and there
			// is no job controller: complete the hook Jobs.
			jobs := completeJobs(t, c, tc.ns)
			res := run(ctx, t, dir, env, helm, "install", "shop", shopChart(t), "--namespace", tc.ns, "--create-namespace", "--timeout", "2m",
				"--post-renderer", "podgraft", "--post-renderer-args", "-c", "--post-renderer-args", tc.graft)
			require.NoError(t, res.Err, res.Output())
			configMap := checkShop(ctx, t, c, tc.ns, "ghcr.io/example/shop-web:1.4.2", map[string]string{"log-shipper": "fluent/fluent-bit:3.1"})

			// Helm 4 hands hooks to the post-renderer; podgraft grafts them
			// only when the config opts in.
			hooks := jobs.Jobs(t, "migrate")
			require.Len(t, hooks, 1, "the pre-install hook ran once")
			checkHook(t, hooks[0], tc.hooks)
			if tc.hooks {
				require.Equal(t, configMap, specOf(t, hooks[0]).configMapVolume("shipper-conf"))
				// KNOWN LIMITATION, pinned here so that a fix shows up: the
				// generated ConfigMap is an ordinary release resource, which
				// Helm creates only after the pre-install hooks have
				// completed. A grafted pre-install hook that mounts it would
				// wait for it forever on a real cluster. Until podgraft emits
				// such ConfigMaps as hooks too, do not graft files/claim
				// volumes onto pre-install hooks.
				require.NotContains(t, jobs.ConfigMapsWhenRun(hooks[0]), configMap,
					"the generated ConfigMap did not exist yet when the pre-install hook ran")
			}

			// Helm 4 tags each document with postrenderer.helm.sh/postrender-filename
			// before post-rendering and files the result by it: every chart
			// document keeps its template file, so podgraft kept the
			// annotation. Documents podgraft added (the generated ConfigMap)
			// have none and get Helm's generated-by-postrender-<n>.yaml.
			manifest := run(ctx, t, dir, env, helm, "get", "manifest", "shop", "--namespace", tc.ns)
			require.NoError(t, manifest.Err, manifest.Output())
			require.NotContains(t, manifest.Stdout, "postrenderer.helm.sh/postrender-filename", "Helm takes its annotation out again")
			got := sources(t, manifest.Stdout)
			require.Equal(t, map[string]string{
				"Deployment web":         "shop/templates/web.yaml",
				"StatefulSet db":         "shop/templates/db.yaml",
				"CronJob report":         "shop/templates/report.yaml",
				"Service web":            "shop/templates/service.yaml",
				"ConfigMap " + configMap: got["ConfigMap "+configMap],
			}, got)
			require.Regexp(t, `^generated-by-postrender-\d+\.yaml$`, got["ConfigMap "+configMap])

			hookOut := run(ctx, t, dir, env, helm, "get", "hooks", "shop", "--namespace", tc.ns)
			require.NoError(t, hookOut.Err, hookOut.Output())
			require.Equal(t, map[string]string{"Job migrate": "shop/templates/migrate-hook.yaml"}, sources(t, hookOut.Stdout),
				"the hook is still filed under its template, so Helm still knows it is a hook")
			require.Equal(t, tc.hooks, strings.Contains(hookOut.Stdout, "podgraft.dev/grafts"), "the release's record of the hook")

			res = run(ctx, t, dir, env, helm, "uninstall", "shop", "--namespace", tc.ns, "--timeout", "2m")
			require.NoError(t, res.Err, res.Output())
			jobs.stop()
			checkUninstalled(ctx, t, c, tc.ns, configMap)
		})
	}
}
