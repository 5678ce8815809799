//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// The Argo CD plugin (deploy/argocd) is tested the way argocd-cmp-server
// runs it, since argocd-cmp-server itself does not build here (README, Argo
// CD): its plugin.yaml is read as argocd-cmp-server reads it, discovery is
// its fileName glob in the app folder, and generate runs in a copy of the
// app folder with the environment the repo server sends (build variables,
// KUBE_VERSION, KUBE_API_VERSIONS, ARGOCD_ENV_* and the parameters) on top
// of the sidecar's own. Its output must be what the same tools give by
// hand, and the API server must accept it.

// cmpCommand and cmpPlugin are the fields of Argo CD's ConfigManagementPlugin
// (cmpserver/plugin/config.go) that argocd-cmp-server acts on.
type cmpCommand struct {
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
}

type cmpPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version  string     `json:"version,omitempty"`
		Init     cmpCommand `json:"init,omitempty"`
		Generate cmpCommand `json:"generate"`
		Discover struct {
			FileName string `json:"fileName,omitempty"`
			Find     struct {
				cmpCommand `json:",inline"`
				Glob       string `json:"glob,omitempty"`
			} `json:"find,omitempty"`
		} `json:"discover"`
		Parameters struct {
			Static []struct {
				Name           string   `json:"name"`
				Title          string   `json:"title,omitempty"`
				Tooltip        string   `json:"tooltip,omitempty"`
				Required       bool     `json:"required,omitempty"`
				ItemType       string   `json:"itemType,omitempty"`
				CollectionType string   `json:"collectionType,omitempty"`
				String         string   `json:"string,omitempty"`
				Array          []string `json:"array,omitempty"`
			} `json:"static,omitempty"`
		} `json:"parameters,omitempty"`
	} `json:"spec"`
}

// loadPlugin reads deploy/argocd/plugin.yaml, strictly (a misspelt field
// would be ignored by Argo CD), and checks what argocd-cmp-server's
// ValidatePluginConfig checks.
func loadPlugin(t *testing.T) cmpPlugin {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "argocd", "plugin.yaml"))
	require.NoError(t, err)
	var p cmpPlugin
	require.NoError(t, yaml.UnmarshalStrict(b, &p), "deploy/argocd/plugin.yaml")
	require.Equal(t, "ConfigManagementPlugin", p.Kind)
	require.Equal(t, "podgraft", p.Metadata.Name, "Applications name the plugin podgraft")
	require.Empty(t, p.Spec.Version, "no version: the plugin's name stays podgraft, not podgraft-<version>")
	require.NotEmpty(t, p.Spec.Generate.Command)
	require.Equal(t, "podgraft.yaml", p.Spec.Discover.FileName, "discovery by the podgraft.yaml the user commits")
	return p
}

// argoApp is what an Application and its destination give the plugin.
type argoApp struct {
	name, namespace string
	env             map[string]string // spec.source.plugin.env
	params          []argoParam       // spec.source.plugin.parameters
}

type argoParam struct {
	Name   string   `json:"name"`
	String *string  `json:"string,omitempty"`
	Array  []string `json:"array,omitempty"`
}

var paramNameChars = regexp.MustCompile("[^A-Z0-9_]")

// environ is the environment the repo server sends for the app, as
// reposerver/repository's getPluginEnvs and the parameters' Environ build
// it; argocd-cmp-server drops entries with empty values.
func (a argoApp) environ(t *testing.T, k8s kubeInfo) []string {
	t.Helper()
	const revision = "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8"
	env := []string{
		"ARGOCD_APP_NAME=" + a.name,
		"ARGOCD_APP_NAMESPACE=" + a.namespace,
		"ARGOCD_APP_PROJECT_NAME=default",
		"ARGOCD_APP_REVISION=" + revision,
		"ARGOCD_APP_REVISION_SHORT=" + revision[:7],
		"ARGOCD_APP_REVISION_SHORT_8=" + revision[:8],
		"ARGOCD_APP_SOURCE_PATH=apps/" + a.name,
		"ARGOCD_APP_SOURCE_REPO_URL=https://git.example.com/shop/deploy.git",
		"ARGOCD_APP_SOURCE_TARGET_REVISION=main",
		"KUBE_VERSION=" + k8s.version,
		"KUBE_API_VERSIONS=" + strings.Join(k8s.apiVersions, ","),
	}
	for k, v := range a.env {
		env = append(env, "ARGOCD_ENV_"+k+"="+v)
	}
	if a.params != nil {
		b, err := json.Marshal(a.params)
		require.NoError(t, err)
		env = append(env, "ARGOCD_APP_PARAMETERS="+string(b))
		for _, p := range a.params {
			name := "PARAM_" + paramNameChars.ReplaceAllString(strings.ToUpper(p.Name), "_")
			if p.String != nil {
				env = append(env, name+"="+*p.String)
			}
			for i, v := range p.Array {
				env = append(env, fmt.Sprintf("%s_%d=%s", name, i, v))
			}
		}
	}
	var out []string
	for _, kv := range env {
		if !strings.HasSuffix(kv, "=") {
			out = append(out, kv)
		}
	}
	return out
}

// kubeInfo is what the repo server knows of the destination cluster.
type kubeInfo struct {
	version     string   // KUBE_VERSION: v1.36.3, no build metadata
	apiVersions []string // KUBE_API_VERSIONS: the served group versions
}

func destination(ctx context.Context, t *testing.T, c *testcluster.Cluster) kubeInfo {
	t.Helper()
	v, err := c.ServerVersion(ctx)
	require.NoError(t, err)
	v, _, _ = strings.Cut(v, "+")
	info := kubeInfo{version: v}
	b, err := c.Do(ctx, "GET", "/api", "", nil)
	require.NoError(t, err)
	var core struct{ Versions []string }
	require.NoError(t, json.Unmarshal(b, &core))
	info.apiVersions = append(info.apiVersions, core.Versions...)
	b, err = c.Do(ctx, "GET", "/apis", "", nil)
	require.NoError(t, err)
	var groups struct {
		Groups []struct {
			Versions []struct{ GroupVersion string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &groups))
	for _, g := range groups.Groups {
		for _, gv := range g.Versions {
			info.apiVersions = append(info.apiVersions, gv.GroupVersion)
		}
	}
	require.Contains(t, info.apiVersions, "apps/v1")
	return info
}

// sidecar is the plugin container's own environment: its PATH holds sh and
// the core utilities, helm (Helm 3 or 4, as Argo CD releases ship one or
// the other), kustomize, and podgraft where the init container copied it
// (unless withoutPodgraft); Helm's homes are in /tmp, as the patch sets.
func sidecar(t *testing.T, helm string, withoutPodgraft bool) []string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	tools := map[string]string{"helm": tool(t, helm), "kustomize": tool(t, "kustomize")}
	if !withoutPodgraft {
		tools["podgraft"] = podgraftBin(t)
	}
	for name, target := range tools {
		require.NoError(t, os.Symlink(target, filepath.Join(bin, name)))
	}
	return []string{
		"PATH=" + bin + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + filepath.Join(dir, "home"),
		"HELM_CACHE_HOME=" + filepath.Join(dir, "helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(dir, "helm", "data"),
	}
}

// runPlugin plays argocd-cmp-server for one app folder: it copies the
// folder (argocd-cmp-server gets the repository as a tarball, with file
// modes reset), matches discovery there, then runs init and generate in it.
// generated is false when discovery did not match.
func runPlugin(ctx context.Context, t *testing.T, p cmpPlugin, appDir string, sidecarEnv, appEnv []string) (res cmdResult, generated bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "repo", "apps", filepath.Base(appDir))
	copyDir(t, appDir, path)
	matches, err := filepath.Glob(filepath.Join(path, p.Spec.Discover.FileName))
	require.NoError(t, err)
	if len(matches) == 0 {
		return cmdResult{}, false
	}
	env := append(append([]string{}, sidecarEnv...), appEnv...)
	for _, c := range []cmpCommand{p.Spec.Init, p.Spec.Generate} {
		if len(c.Command) == 0 {
			continue
		}
		cmd := exec.CommandContext(ctx, c.Command[0], append(c.Command[1:], c.Args...)...)
		cmd.Dir, cmd.Env = path, env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		res = cmdResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
		if err != nil {
			break
		}
	}
	return res, true
}

// chartApp is an Argo CD app folder holding a Helm chart: the chart of
// examples/helm-chart with its graft.yaml as podgraft.yaml, a template
// that shows the release namespace, and the files the parameters name.
func chartApp(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dir := filepath.Join(t.TempDir(), "shop")
	copyDir(t, filepath.Join(root, "examples", "helm-chart", "chart"), dir)
	graft, err := os.ReadFile(filepath.Join(root, "examples", "helm-chart", "graft.yaml"))
	require.NoError(t, err)
	files := map[string]string{
		"podgraft.yaml": string(graft),
		"templates/release-namespace.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-release-namespace
data:
  namespace: {{ .Release.Namespace }}
`,
		"values-big.yaml": "replicaCount: 3\n",
		"grafts/other.yaml": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: other
spec:
  sidecars:
    - name: other
      image: busybox:1.36
`,
	}
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// releaseNamespace takes the namespace-showing ConfigMap out of a chart
// app's output and returns what it says, and the rest of the stream.
func releaseNamespace(t *testing.T, stream string) (namespace, rest string) {
	t.Helper()
	var kept []string
	for _, d := range parseDocs(t, stream) {
		if d.kind() == "ConfigMap" && strings.HasSuffix(d.name(), "-release-namespace") {
			namespace = str(d.Obj, "data", "namespace")
			continue
		}
		kept = append(kept, d.Raw)
	}
	require.NotEmpty(t, namespace, "the release-namespace ConfigMap is in the output")
	return namespace, strings.Join(kept, "\n---\n")
}

// dryRunIn sends every document to the API server (server-side apply, dry
// run) in the namespace Argo CD deploys namespace-less resources to.
func dryRunIn(ctx context.Context, t *testing.T, c *testcluster.Cluster, namespace, stream string) {
	t.Helper()
	createNamespace(ctx, t, c, namespace, nil)
	for i, d := range parseDocs(t, stream) {
		if d.Obj == nil {
			continue
		}
		meta, _ := d.Obj["metadata"].(map[string]any)
		if meta["namespace"] == nil {
			meta["namespace"] = namespace
		}
		b, err := json.Marshal(d.Obj)
		require.NoError(t, err)
		_, err = c.Apply(ctx, string(b), true)
		require.NoError(t, err, "document %d (%s) is rejected by the API server", i+1, d.id())
	}
}

func TestArgoCDPlugin(t *testing.T) {
	t.Parallel()
	plugin := loadPlugin(t)
	root := repoRoot(t)
	ctx := testCtx(t, 5*time.Minute)
	c := cluster(t)
	k8s := destination(ctx, t, c)
	want, err := os.ReadFile(filepath.Join(root, "examples", "helm-chart", "expected.yaml"))
	require.NoError(t, err)

	for _, helm := range []string{"helm3", "helm4"} {
		t.Run("chart, "+helm, func(t *testing.T) {
			env := sidecar(t, helm, false)
			app := argoApp{name: "shop", namespace: "argo-shop"}
			res, generated := runPlugin(ctx, t, plugin, chartApp(t), env, app.environ(t, k8s))
			require.True(t, generated, "podgraft.yaml is discovered")
			require.NoError(t, res.Err, res.Output())
			ns, rest := releaseNamespace(t, res.Stdout)
			require.Equal(t, "argo-shop", ns, "the release namespace is the Application's destination namespace")
			requireSameResources(t, string(want), rest, helm+" through the plugin against examples/helm-chart/expected.yaml")
			dryRunIn(ctx, t, c, app.namespace, res.Stdout)

			again, _ := runPlugin(ctx, t, plugin, chartApp(t), env, app.environ(t, k8s))
			require.NoError(t, again.Err, again.Output())
			require.Equal(t, res.Stdout, again.Stdout, "generate gives the same bytes every time (Argo CD diffs them)")
		})

		t.Run("chart parameters, "+helm, func(t *testing.T) {
			big, other := "argo-big", "grafts/other.yaml"
			app := argoApp{name: "shop", namespace: "argo-shop", params: []argoParam{
				{Name: "values-files", Array: []string{"values-big.yaml"}},
				{Name: "config", String: &other},
				{Name: "namespace", String: &big},
			}}
			res, _ := runPlugin(ctx, t, plugin, chartApp(t), sidecar(t, helm, false), app.environ(t, k8s))
			require.NoError(t, res.Err, res.Output())
			ns, _ := releaseNamespace(t, res.Stdout)
			require.Equal(t, "argo-big", ns, "the namespace parameter wins over the destination")
			web := findDoc(t, parseDocs(t, res.Stdout), "Deployment", "shop-web")
			require.EqualValues(t, 3, dig(web.Obj, "spec", "replicas"), "values-big.yaml was used")
			rec := graftRecord(t, web.Obj)
			require.Contains(t, rec, "other", "the config parameter names the PodGraft config")
			require.NotContains(t, rec, "shop-ops")
			dryRunIn(ctx, t, c, "argo-big", res.Stdout)
		})

		t.Run("chart with a config error, "+helm, func(t *testing.T) {
			dir := chartApp(t)
			graft := filepath.Join(dir, "podgraft.yaml")
			b, err := os.ReadFile(graft)
			require.NoError(t, err)
			require.Contains(t, string(b), "      image: prom/statsd-exporter")
			require.NoError(t, os.WriteFile(graft, []byte(strings.Replace(string(b), "      image: prom/statsd-exporter", "      imagee: prom/statsd-exporter", 1)), 0o644))
			app := argoApp{name: "shop", namespace: "argo-shop"}
			res, _ := runPlugin(ctx, t, plugin, dir, sidecar(t, helm, false), app.environ(t, k8s))
			require.Error(t, res.Err, "generate fails, so Argo CD keeps the app as it was: %s", res.Output())
			require.Empty(t, strings.TrimSpace(res.Stdout), "no output that Argo CD could take for an empty app")
			require.Contains(t, res.Stderr, "spec.sidecars[0].imagee", "podgraft's message reaches Argo CD, with Helm 4 too")
			require.Contains(t, res.Stderr, "unknown field")
		})
	}

	t.Run("kustomization", func(t *testing.T) {
		app := argoApp{name: "kz-shop", namespace: "argo-kz", env: map[string]string{"TEAM": "shop"}}
		dir := filepath.Join("testdata", "argocd", "kustomize-app")
		env := sidecar(t, "helm4", false)
		res, generated := runPlugin(ctx, t, plugin, dir, env, app.environ(t, k8s))
		require.True(t, generated)
		require.NoError(t, res.Err, res.Output())
		golden(t, filepath.Join("testdata", "argocd", "expected", "kustomize-app.yaml"), res.Stdout)

		// The same as kustomize by hand, with podgraft on PATH.
		byHand := run(ctx, t, dir, append(env, "PODGRAFT_RELEASE="+app.name), tool(t, "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", ".")
		require.NoError(t, byHand.Err, byHand.Output())
		require.Equal(t, byHand.Stdout, res.Stdout)
		// Named after the app: two apps of this folder in one namespace
		// each have their own.
		require.Regexp(t, `(?m)^  name: kz-shop-shop-ops-shipper-conf-[0-9a-f]{10}$`, res.Stdout)
		web := findDoc(t, parseDocs(t, res.Stdout), "Deployment", "web")
		require.Equal(t, 1, specOf(t, web.Obj).count("log-shipper"), "podgraft ran as kustomize's transformer")
		dryRunIn(ctx, t, c, app.namespace, res.Stdout)
	})

	t.Run("a folder without podgraft.yaml is not the plugin's", func(t *testing.T) {
		dir := chartApp(t)
		require.NoError(t, os.Remove(filepath.Join(dir, "podgraft.yaml")))
		_, generated := runPlugin(ctx, t, plugin, dir, sidecar(t, "helm3", false), argoApp{name: "shop"}.environ(t, k8s))
		require.False(t, generated)
	})

	t.Run("podgraft.yaml without a chart or a kustomization", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "plain")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		b, err := os.ReadFile(filepath.Join(root, "examples", "helm-chart", "graft.yaml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "podgraft.yaml"), b, 0o644))
		res, generated := runPlugin(ctx, t, plugin, dir, sidecar(t, "helm3", false), argoApp{name: "plain"}.environ(t, k8s))
		require.True(t, generated)
		require.Error(t, res.Err)
		require.Empty(t, res.Stdout)
		require.Contains(t, res.Stderr, "neither Chart.yaml nor a kustomization")
	})

	t.Run("podgraft missing from the sidecar", func(t *testing.T) {
		app := argoApp{name: "shop", namespace: "argo-shop"}
		res, _ := runPlugin(ctx, t, plugin, chartApp(t), sidecar(t, "helm4", true), app.environ(t, k8s))
		require.Error(t, res.Err)
		require.Empty(t, res.Stdout)
		require.Contains(t, res.Stderr, "podgraft is not on PATH")
	})
}

// TestArgoCDRepoServerPatch builds deploy/argocd as a component of a
// stand-in Argo CD install (e2e/testdata/argocd/repo-server) and checks the
// sidecar it adds, then has the API server accept the result. With podman,
// the init container's command runs for real: it copies podgraft out of
// its image, and uid 999 (the sidecar's user) runs the copy.
func TestArgoCDRepoServerPatch(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 3*time.Minute)
	res := run(ctx, t, filepath.Join("testdata", "argocd", "repo-server"), nil, tool(t, "kustomize"), "build", ".")
	require.NoError(t, res.Err, res.Output())
	docs := parseDocs(t, res.Stdout)
	require.Len(t, docs, 2, "the plugin's ConfigMap and the repo server")

	var cm doc
	for _, d := range docs {
		if d.kind() == "ConfigMap" {
			cm = d
		}
	}
	require.True(t, strings.HasPrefix(cm.name(), "podgraft-cmp-plugin-"), "a generated ConfigMap: a new plugin.yaml rolls the repo server")
	plugin, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "argocd", "plugin.yaml"))
	require.NoError(t, err)
	require.Equal(t, string(plugin), str(cm.Obj, "data", "plugin.yaml"), "the ConfigMap holds deploy/argocd/plugin.yaml as it is")

	var pod struct {
		Spec struct {
			InitContainers []k8sContainer `json:"initContainers"`
			Containers     []k8sContainer `json:"containers"`
			Volumes        []struct {
				Name      string          `json:"name"`
				EmptyDir  json.RawMessage `json:"emptyDir"`
				ConfigMap *struct {
					Name string `json:"name"`
				} `json:"configMap"`
			} `json:"volumes"`
		} `json:"spec"`
	}
	b, err := json.Marshal(podTemplate(t, findDoc(t, docs, "Deployment", "argocd-repo-server").Obj))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &pod))

	// The two init containers do not depend on each other: any order.
	require.ElementsMatch(t, []string{"copyutil", "podgraft-install"}, names(pod.Spec.InitContainers))
	install := byName(pod.Spec.InitContainers, "podgraft-install")
	require.Equal(t, []string{"copy-binary", "/opt/podgraft/bin"}, install.Args)
	require.Equal(t, "/opt/podgraft/bin", install.mountOf("podgraft-bin"))

	require.ElementsMatch(t, []string{"argocd-repo-server", "podgraft"}, names(pod.Spec.Containers))
	side := byName(pod.Spec.Containers, "podgraft")
	require.Equal(t, []string{"/var/run/argocd/argocd-cmp-server"}, side.Command)
	require.Equal(t, int64(999), side.SecurityContext.RunAsUser, "Argo CD requires the sidecar to run as 999")
	require.Equal(t, "/var/run/argocd", side.mountOf("var-files"), "argocd-cmp-server from copyutil")
	require.Equal(t, "/home/argocd/cmp-server/plugins", side.mountOf("plugins"), "the socket the repo server dials")
	require.Equal(t, "/home/argocd/cmp-server/config/plugin.yaml", side.mountOf("podgraft-cmp-plugin"))
	require.Equal(t, "/opt/podgraft/bin", side.mountOf("podgraft-bin"))
	require.Equal(t, "/tmp", side.mountOf("podgraft-tmp"), "its own /tmp, not the repo server's")
	volumes := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = true
		if v.Name == "podgraft-cmp-plugin" {
			require.Equal(t, cm.name(), v.ConfigMap.Name, "the volume names the generated ConfigMap")
		}
		if v.Name == "podgraft-bin" || v.Name == "podgraft-tmp" {
			require.NotNil(t, v.EmptyDir, "%s is an emptyDir", v.Name)
		}
	}
	for _, v := range []string{"var-files", "plugins", "podgraft-cmp-plugin", "podgraft-bin", "podgraft-tmp"} {
		require.True(t, volumes[v], "volume %s", v)
	}

	t.Run("the API server accepts the patched install", func(t *testing.T) {
		c := cluster(t)
		createNamespace(ctx, t, c, "argocd", nil)
		require.NoError(t, c.ApplyAll(ctx, res.Stdout, true))
	})

	t.Run("the init container copies podgraft for uid 999", func(t *testing.T) {
		e := requireContainers(t)
		shared := t.TempDir()
		require.NoError(t, os.Chmod(shared, 0o777)) // an emptyDir is world-writable
		mount := "type=bind,src=" + shared + ",dst=/opt/podgraft/bin"
		out, err := e.podman(ctx, "", append([]string{"run", "--rm", "--network", "none", "--read-only", "--mount", mount, functionImage}, install.Args...)...)
		require.NoError(t, err)
		require.Contains(t, out, "copied to /opt/podgraft/bin/podgraft")
		out, err = e.podman(ctx, "", "run", "--rm", "--network", "none", "--read-only", "--user", "999",
			"--mount", mount+",readonly", "--entrypoint", "/opt/podgraft/bin/podgraft", functionImage, "version")
		require.NoError(t, err)
		require.Equal(t, "podgraft "+engine.version+"\n", out, "uid 999 runs the copy")
	})
}

// k8sContainer is the part of a container the patch test looks at.
type k8sContainer struct {
	Name            string   `json:"name"`
	Command         []string `json:"command"`
	Args            []string `json:"args"`
	SecurityContext struct {
		RunAsUser int64 `json:"runAsUser"`
	} `json:"securityContext"`
	VolumeMounts []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

// mountOf is where the container mounts the volume, or "".
func (c k8sContainer) mountOf(volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

func names(cs []k8sContainer) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func byName(cs []k8sContainer, name string) k8sContainer {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return k8sContainer{}
}
