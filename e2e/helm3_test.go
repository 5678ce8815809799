//go:build e2e

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// The shop chart (testdata/charts/shop): Deployment web, StatefulSet db,
// CronJob report, Service web, and a pre-install/pre-upgrade hook Job migrate
// with hook-delete-policy hook-succeeded.
var shopWorkloads = []struct{ apiVersion, kind, name string }{
	{"apps/v1", "Deployment", "web"},
	{"apps/v1", "StatefulSet", "db"},
	{"batch/v1", "CronJob", "report"},
}

// allSidecars are the sidecars any of the tests' grafts adds; the ones a
// check does not expect must be absent.
var allSidecars = []string{"log-shipper", "metrics"}

func shopChart(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "charts", "shop"))
	require.NoError(t, err)
	return p
}

func testdataPath(t *testing.T, elem ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, elem...)...))
	require.NoError(t, err)
	return p
}

// checkShop asserts that the shop release's workloads, as the API server
// stored them, carry exactly the sidecars given (name to image, each exactly
// once, native), one shop-ops record and the shipper-conf volume, and that
// the Service is untouched. It returns the generated ConfigMap's name, after
// checking that it exists.
func checkShop(ctx context.Context, t *testing.T, c *testcluster.Cluster, ns, webImage string, sidecars map[string]string) string {
	t.Helper()
	var configMap string
	for _, w := range shopWorkloads {
		obj, err := c.Get(ctx, w.apiVersion, w.kind, ns, w.name)
		require.NoError(t, err)
		id := w.kind + " " + ns + "/" + w.name
		spec := specOf(t, obj)
		for _, name := range allSidecars {
			image, want := sidecars[name]
			if !want {
				require.Zero(t, spec.count(name), "%s: no %s", id, name)
				continue
			}
			require.Equal(t, 1, spec.count(name), "%s: exactly one %s", id, name)
			sc, _ := spec.find(name)
			require.Equal(t, image, sc.Image, "%s: %s image", id, name)
			require.Equal(t, "Always", sc.RestartPolicy, "%s: %s is a native sidecar", id, name)
		}
		rec := graftRecord(t, obj)
		require.Len(t, rec, 1, "%s: one graft recorded", id)
		require.Contains(t, rec, "shop-ops", "%s: podgraft.dev/grafts", id)
		require.NotContains(t, dig(obj, "metadata", "annotations"), "postrenderer.helm.sh/postrender-filename",
			"%s: Helm's own annotation is not stored", id)

		cm := spec.configMapVolume("shipper-conf")
		// Named after release shop (the workloads' app.kubernetes.io/instance).
		require.True(t, strings.HasPrefix(cm, "shop-shop-ops-shipper-conf-"), "%s: shipper-conf mounts a generated ConfigMap, got %q", id, cm)
		if configMap == "" {
			configMap = cm
		}
		require.Equal(t, configMap, cm, "%s: every workload mounts the same generated ConfigMap", id)
	}
	web, err := c.Get(ctx, "apps/v1", "Deployment", ns, "web")
	require.NoError(t, err)
	app, ok := specOf(t, web).find("web")
	require.True(t, ok)
	require.Equal(t, webImage, app.Image, "the chart's values set the app image")

	svc, err := c.Get(ctx, "v1", "Service", ns, "web")
	require.NoError(t, err)
	require.Equal(t, "http", dig(svc, "spec", "ports").([]any)[0].(map[string]any)["targetPort"], "the Service is not re-pointed")
	for k := range dig(svc, "metadata", "annotations").(map[string]any) {
		require.False(t, strings.HasPrefix(k, "podgraft.dev/"), "the Service carries no podgraft annotation, got %s", k)
	}

	cm, err := c.Get(ctx, "v1", "ConfigMap", ns, configMap)
	require.NoError(t, err, "the generated ConfigMap is installed with the release")
	require.Equal(t, "shop-ops", str(cm, "metadata", "labels", "podgraft.dev/generated-by"))
	require.Contains(t, str(cm, "data", "fluent-bit.yaml"), "name: tail")
	return configMap
}

// checkHook asserts the hook Job as it was stored when it ran: grafted or
// not.
func checkHook(t *testing.T, job map[string]any, grafted bool) {
	t.Helper()
	spec := specOf(t, job)
	if !grafted {
		require.Nil(t, graftRecord(t, job), "the hook Job carries no graft record")
		require.Empty(t, spec.InitContainers, "the hook Job has no sidecar")
		require.Len(t, spec.Containers, 1)
		return
	}
	require.Contains(t, graftRecord(t, job), "shop-ops")
	require.Equal(t, 1, spec.count("log-shipper"))
}

// checkUninstalled asserts that nothing of the shop release is left in ns:
// workloads, Service, generated ConfigMaps, hook Jobs and Helm's release
// Secrets.
func checkUninstalled(ctx context.Context, t *testing.T, c *testcluster.Cluster, ns string, configMaps ...string) {
	t.Helper()
	for _, w := range append(shopWorkloads, struct{ apiVersion, kind, name string }{"v1", "Service", "web"}) {
		_, err := c.Get(ctx, w.apiVersion, w.kind, ns, w.name)
		require.True(t, testcluster.IsNotFound(err), "%s %s/%s is gone, got %v", w.kind, ns, w.name, err)
	}
	for _, cm := range configMaps {
		_, err := c.Get(ctx, "v1", "ConfigMap", ns, cm)
		require.True(t, testcluster.IsNotFound(err), "generated ConfigMap %s is gone, got %v", cm, err)
	}
	for _, kind := range []struct{ apiVersion, kind string }{
		{"v1", "ConfigMap"}, {"v1", "Secret"}, {"batch/v1", "Job"}, {"apps/v1", "Deployment"},
	} {
		left, err := c.List(ctx, kind.apiVersion, kind.kind, ns, "")
		require.NoError(t, err)
		require.Empty(t, left, "no %s is left in %s", kind.kind, ns)
	}
}

// TestHelm3PostRenderer installs, upgrades and uninstalls the shop chart with
// podgraft as Helm 3's --post-renderer (run by path) against the test API
// server, and checks what the server stored.
func TestHelm3PostRenderer(t *testing.T) {
	t.Parallel()
	helm := tool(t, "helm3")
	c := cluster(t)
	ctx := testCtx(t, 5*time.Minute)
	const ns = "h3-shop"
	env := c.Env()
	dir := t.TempDir()
	// There is no job controller: complete the hook Jobs Helm waits for.
	jobs := completeJobs(t, c, ns)
	postRender := func(graft string) []string {
		return []string{"--post-renderer", podgraftBin(t),
			"--post-renderer-args", "-c", "--post-renderer-args", testdataPath(t, "helm", graft)}
	}

	args := append([]string{"install", "shop", shopChart(t), "--namespace", ns, "--create-namespace", "--timeout", "2m"},
		postRender("helm3-graft-v1.yaml")...)
	res := run(ctx, t, dir, env, helm, args...)
	require.NoError(t, res.Err, res.Output())
	v1 := checkShop(ctx, t, c, ns, "ghcr.io/example/shop-web:1.4.2", map[string]string{"log-shipper": "fluent/fluent-bit:3.1"})

	// Helm 3 renders hooks apart and never gives them to the post-renderer:
	// even with helmHooks: true in the graft, the hook Job is stored as the
	// chart wrote it.
	hooks := jobs.Jobs(t, "migrate")
	require.Len(t, hooks, 1, "the pre-install hook ran once")
	checkHook(t, hooks[0], false)
	_, err := c.Get(ctx, "batch/v1", "Job", ns, "migrate")
	require.True(t, testcluster.IsNotFound(err), "hook-succeeded: Helm deleted the hook Job, got %v", err)

	manifest := run(ctx, t, dir, env, helm, "get", "manifest", "shop", "--namespace", ns)
	require.NoError(t, manifest.Err, manifest.Output())
	require.Contains(t, manifest.Stdout, "name: "+v1, "the generated ConfigMap belongs to the release")
	require.Contains(t, manifest.Stdout, "# Source: shop/templates/web.yaml")
	require.NotContains(t, manifest.Stdout, "name: migrate", "hooks are not part of the manifest")

	// Upgrade: a changed PodGraft and a new app image. The old grafts are
	// replaced, not added to; the old generated ConfigMap leaves with the
	// old release manifest.
	args = append([]string{"upgrade", "shop", shopChart(t), "--namespace", ns, "--timeout", "2m", "--set", "web.tag=1.5.0"},
		postRender("helm3-graft-v2.yaml")...)
	res = run(ctx, t, dir, env, helm, args...)
	require.NoError(t, res.Err, res.Output())
	v2 := checkShop(ctx, t, c, ns, "ghcr.io/example/shop-web:1.5.0", map[string]string{
		"log-shipper": "fluent/fluent-bit:3.2",
		"metrics":     "prom/statsd-exporter:v0.27.1",
	})
	require.NotEqual(t, v1, v2, "new file content, new ConfigMap name (rolls the pods)")
	_, err = c.Get(ctx, "v1", "ConfigMap", ns, v1)
	require.True(t, testcluster.IsNotFound(err), "the old generated ConfigMap %s is deleted by the upgrade, got %v", v1, err)
	hooks = jobs.Jobs(t, "migrate")
	require.Len(t, hooks, 2, "the pre-upgrade hook ran")
	checkHook(t, hooks[1], false)

	// An upgrade with the same config changes nothing podgraft owns.
	before, err := c.Get(ctx, "apps/v1", "Deployment", ns, "web")
	require.NoError(t, err)
	res = run(ctx, t, dir, env, helm, append([]string{"upgrade", "shop", shopChart(t), "--namespace", ns, "--timeout", "2m", "--set", "web.tag=1.5.0"},
		postRender("helm3-graft-v2.yaml")...)...)
	require.NoError(t, res.Err, res.Output())
	after, err := c.Get(ctx, "apps/v1", "Deployment", ns, "web")
	require.NoError(t, err)
	require.Equal(t, dig(before, "metadata", "generation"), dig(after, "metadata", "generation"), "an identical upgrade does not change the Deployment's spec")
	require.Equal(t, podTemplate(t, before), podTemplate(t, after))

	res = run(ctx, t, dir, env, helm, "uninstall", "shop", "--namespace", ns, "--timeout", "2m")
	require.NoError(t, res.Err, res.Output())
	jobs.stop()
	checkUninstalled(ctx, t, c, ns, v1, v2)
}
