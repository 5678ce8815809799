//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// releaseHelm runs one Helm major version with podgraft as its
// post-renderer.
type releaseHelm struct {
	bin        string
	env        []string
	postRender []string
}

// TestTwoReleasesInOneNamespace installs two releases of one chart with
// one graft into one namespace, upgrades one and uninstalls them one by
// one, with Helm 3 (post-renderer by path) and Helm 4 (the plugin). The
// second install used to fail: both releases generated ConfigMap
// ops-conf-…, and Helm would not import the first one's.
func TestTwoReleasesInOneNamespace(t *testing.T) {
	t.Parallel()
	c := cluster(t)
	graft := testdataPath(t, "helm", "twin-graft.yaml")
	args := []string{"--post-renderer-args", "-c", "--post-renderer-args", graft}
	for _, major := range []string{"helm3", "helm4"} {
		t.Run(major, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 5*time.Minute)
			h := releaseHelm{bin: tool(t, major), env: c.Env(), postRender: append([]string{"--post-renderer", podgraftBin(t)}, args...)}
			if major == "helm4" {
				h.env = helm4Env(t, c)
				installHelm4Plugin(ctx, t, h.bin, h.env)
				h.postRender = append([]string{"--post-renderer", "podgraft"}, args...)
			}
			twoReleases(ctx, t, c, h, "twin-"+major)
		})
	}
}

func twoReleases(ctx context.Context, t *testing.T, c *testcluster.Cluster, h releaseHelm, ns string) {
	chart := testdataPath(t, "charts", "twin")
	helm := func(args ...string) string {
		t.Helper()
		res := run(ctx, t, t.TempDir(), h.env, h.bin, append(args, "--namespace", ns)...)
		require.NoError(t, res.Err, res.Output())
		return res.Stdout
	}
	helm(append([]string{"install", "blue", chart, "--create-namespace"}, h.postRender...)...)
	helm(append([]string{"install", "green", chart}, h.postRender...)...)
	blue, green := partsOf(ctx, t, c, ns, "blue"), partsOf(ctx, t, c, ns, "green")
	require.NotEqual(t, blue.configMap, green.configMap)
	require.Contains(t, helm("get", "manifest", "blue"), "name: "+blue.configMap, "blue owns its ConfigMap")

	// An upgrade of one release leaves the other as it was.
	helm(append([]string{"upgrade", "blue", chart, "--set", "image=nginx:1.27.1-alpine"}, h.postRender...)...)
	require.Equal(t, blue, partsOf(ctx, t, c, ns, "blue"), "the generated names are deterministic")
	require.Equal(t, green, partsOf(ctx, t, c, ns, "green"))

	// Uninstalling one takes only its own.
	helm("uninstall", "blue")
	require.Equal(t, green, partsOf(ctx, t, c, ns, "green"))
	for kind, name := range map[string]string{"ConfigMap": blue.configMap, "Deployment": "blue-web"} {
		apiVersion := "v1"
		if kind == "Deployment" {
			apiVersion = "apps/v1"
		}
		_, err := c.Get(ctx, apiVersion, kind, ns, name)
		require.True(t, testcluster.IsNotFound(err), "%s %s went with its release: %v", kind, name, err)
	}
	helm("uninstall", "green")
	left, err := c.List(ctx, "v1", "ConfigMap", ns, "podgraft.dev/generated-by")
	require.NoError(t, err)
	require.Empty(t, left)
}

// releaseParts is what one release's Deployment mounts, as the API server
// stored it, checked to exist.
type releaseParts struct{ configMap string }

func partsOf(ctx context.Context, t *testing.T, c *testcluster.Cluster, ns, release string) releaseParts {
	t.Helper()
	dep, err := c.Get(ctx, "apps/v1", "Deployment", ns, release+"-web")
	require.NoError(t, err)
	var parts releaseParts
	for _, v := range specOf(t, dep).Volumes {
		if v.ConfigMap != nil {
			parts.configMap = v.ConfigMap.Name
		}
	}
	require.True(t, strings.HasPrefix(parts.configMap, release+"-ops-conf-"), parts.configMap)
	_, err = c.Get(ctx, "v1", "ConfigMap", ns, parts.configMap)
	require.NoError(t, err)
	return parts
}
