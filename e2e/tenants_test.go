//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Two tenant overlays over one base that holds the PodGraft (isolate:
// namespace and workload) each set their own namespace after podgraft
// ran. The hostPath subdirectory is resolved when the pod starts, from the
// pod's own namespace through the downward API, so the two tenants' pods
// mount the same volume definition yet never the same directory; the API
// server accepts both.
func TestTenantOverlaysNeverShareACache(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	root := repoRoot(t)
	ctx := testCtx(t, 3*time.Minute)
	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "bin"), 0o755))
	require.NoError(t, os.Symlink(podgraftBin(t), filepath.Join(work, "bin", "podgraft")))
	copyDir(t, filepath.Join(root, "examples", "tenant-cache"), filepath.Join(work, "examples", "tenant-cache"))
	c := cluster(t)

	for _, tenant := range []string{"tenant-b", "tenant-c"} {
		res := run(ctx, t, work, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "examples/tenant-cache/overlays/"+tenant)
		require.NoError(t, res.Err, res.Output())
		docs := parseDocs(t, res.Stdout)
		require.Len(t, docs, 1)
		d := docs[0].Obj
		require.Equal(t, tenant, str(d, "metadata", "namespace"), "the overlay set the namespace")
		spec := dig(d, "spec", "template", "spec").(map[string]any)
		runner := spec["containers"].([]any)[0].(map[string]any)
		mounts := map[string]string{}
		for _, m := range runner["volumeMounts"].([]any) {
			mm := m.(map[string]any)
			require.NotContains(t, mm, "subPath", "subPath and subPathExpr are exclusive")
			mounts[mm["name"].(string)], _ = mm["subPathExpr"].(string)
		}
		require.Equal(t, map[string]string{"shared-cache": "$(PODGRAFT_NAMESPACE)", "private-cache": "$(PODGRAFT_NAMESPACE)/builder"}, mounts)
		env := runner["env"].([]any)[0].(map[string]any)
		require.Equal(t, "PODGRAFT_NAMESPACE", env["name"])
		require.Equal(t, "metadata.namespace", dig(env, "valueFrom", "fieldRef", "fieldPath"), "the pod's own namespace, known only at runtime")
		paths := map[string]string{}
		for _, v := range spec["volumes"].([]any) {
			vv := v.(map[string]any)
			paths[vv["name"].(string)] = str(vv, "hostPath", "path")
		}
		require.Equal(t, map[string]string{"shared-cache": "/var/cache/tenants/shared", "private-cache": "/var/cache/tenants/private"}, paths,
			"no namespace is baked into the path: the base's (tenant-a) would be shared by every overlay")

		createNamespace(ctx, t, c, tenant, nil)
		_, err := c.Create(ctx, docs[0].Raw, true)
		require.NoError(t, err, "the API server accepts %s's Deployment", tenant)
	}
}
