//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// otherGraft is a config file for PODGRAFT_CONFIG that the pipelines must
// not use: a KRM function takes its config from the functionConfig.
func otherGraft(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: other
spec:
  sidecars:
    - name: not-this-one
      image: busybox:1.36
`), 0o644))
	return path
}

// TestExportedConfigKustomize: kustomize passes the shell's environment to
// exec functions, and a PODGRAFT_CONFIG exported there used to turn podgraft
// into a pass-through that grafted nothing, with exit 0.
func TestExportedConfigKustomize(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	dir := kustomizeCase(t, "shop")
	ctx := testCtx(t, 2*time.Minute)

	res := run(ctx, t, dir, []string{"PODGRAFT_CONFIG=" + otherGraft(t)}, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.NoError(t, res.Err, res.Output())
	golden(t, filepath.Join("testdata", "kustomize", "shop", "expected.yaml"), res.Stdout)
	require.NotContains(t, res.Stdout, "not-this-one")
	require.Contains(t, res.Stderr, "podgraft: warning: PODGRAFT_CONFIG is ignored: stdin is a ResourceList")
}

// TestExportedConfigKpt: the same with kpt fn render, which shows the
// warning among the function's results.
func TestExportedConfigKpt(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	pkg := kptPackage(t)
	ctx := testCtx(t, 2*time.Minute)
	before := readTree(t, pkg)

	res := run(ctx, t, pkg, []string{"PODGRAFT_CONFIG=" + otherGraft(t)}, kpt, "fn", "render", "--allow-exec", pkg)
	after := readTree(t, pkg)
	kptGrafted(t, before, after, res)
	require.NotContains(t, after["app.yaml"], "not-this-one")
	require.Contains(t, res.Stderr, "[warning]: PODGRAFT_CONFIG is ignored")
}
