//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// kpt is not a Go module, so `make tools` cannot pin it; the tests use the
// kpt on PATH and skip without it.
func kptBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kpt")
	if err != nil {
		t.Skip("kpt is not on PATH: the kpt end-to-end tests need it (https://kpt.dev/installation/); skipping")
	}
	return p
}

// kptPackage copies testdata/kpt/shop into a temporary directory (kpt writes
// in place) with the Kptfile's exec path made absolute: kpt resolves a
// relative one against the working directory, not the package.
func kptPackage(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	copyDir(t, filepath.Join("testdata", "kpt", "shop"), dir)
	kptfile := filepath.Join(dir, "Kptfile")
	b, err := os.ReadFile(kptfile)
	require.NoError(t, err)
	require.Contains(t, string(b), "exec: ../../../../bin/podgraft")
	b = []byte(strings.Replace(string(b), "exec: ../../../../bin/podgraft", "exec: "+podgraftBin(t), 1))
	require.NoError(t, os.WriteFile(kptfile, b, 0o644))
	return dir
}

// kptGrafted checks a package after a successful run: the workload files
// match the golden ones, everything else is as it was, and kpt showed
// podgraft's results.
func kptGrafted(t *testing.T, before, after map[string]string, res cmdResult) {
	t.Helper()
	require.NoError(t, res.Err, res.Output())
	// kpt prints the function's results (on stderr).
	require.Contains(t, res.Stderr, "[PASS]")
	require.Contains(t, res.Stderr, "[info] apps/v1/Deployment/kpt-shop/web: grafted by shop-ops: sidecars log-shipper; probes web:readiness")
	require.Contains(t, res.Stderr, "[info] apps/v1/StatefulSet/kpt-shop/db: grafted by shop-ops: sidecars log-shipper")
	require.Contains(t, res.Stderr, "[warning] apps/v1/StatefulSet/kpt-shop/db", "warnings are shown too")
	require.Equal(t, len(before), len(after), "no file added or removed")
	for _, f := range []string{"app.yaml", "db.yaml"} {
		require.NotEqual(t, before[f], after[f], "%s is grafted in place", f)
		golden(t, filepath.Join("testdata", "kpt", "expected", f), after[f])
	}
	for _, f := range []string{"Kptfile", "graft.yaml"} {
		require.Equal(t, before[f], after[f], "%s is unchanged", f)
	}
	require.Contains(t, after["app.yaml"], "# The shop's workloads. Comments and key order survive the graft.")
	require.Contains(t, after["app.yaml"], "- name: web # the app")
}

// TestKptFnEval runs podgraft imperatively: kpt fn eval --exec.
func TestKptFnEval(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	pkg := kptPackage(t)
	ctx := testCtx(t, 2*time.Minute)
	before := readTree(t, pkg)
	graft := filepath.Join(t.TempDir(), "graft.yaml")
	require.NoError(t, os.WriteFile(graft, []byte(before["graft.yaml"]), 0o644))

	res := run(ctx, t, pkg, nil, kpt, "fn", "eval", "--exec", podgraftBin(t), "--fn-config", graft, pkg)
	after := readTree(t, pkg)
	kptGrafted(t, before, after, res)

	t.Run("the API server accepts the grafted files", func(t *testing.T) {
		c := cluster(t)
		createNamespace(ctx, t, c, "kpt-shop", nil)
		require.NoError(t, c.ApplyAll(ctx, after["app.yaml"]+"\n---\n"+after["db.yaml"], true))
	})

	t.Run("a second eval changes nothing", func(t *testing.T) {
		res := run(ctx, t, pkg, nil, kpt, "fn", "eval", "--exec", podgraftBin(t), "--fn-config", graft, pkg)
		require.NoError(t, res.Err, res.Output())
		require.NotContains(t, res.Stderr, "grafted by", "the grafts are current: no info lines")
		require.Equal(t, after, readTree(t, pkg))
	})
}

// TestKptFnRender runs podgraft declaratively, from the Kptfile pipeline.
func TestKptFnRender(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	pkg := kptPackage(t)
	ctx := testCtx(t, 2*time.Minute)
	before := readTree(t, pkg)

	t.Run("exec functions need --allow-exec", func(t *testing.T) {
		res := run(ctx, t, pkg, nil, kpt, "fn", "render", pkg)
		require.Error(t, res.Err, res.Output())
		require.Contains(t, res.Stderr, "--allow-exec")
		require.Equal(t, before, readTree(t, pkg), "nothing written")
	})

	res := run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
	after := readTree(t, pkg)
	kptGrafted(t, before, after, res)

	// Rendering is idempotent: the package files are byte-identical after a
	// second render, and podgraft reports nothing new.
	res = run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
	require.NoError(t, res.Err, res.Output())
	require.NotContains(t, res.Stderr, "grafted by")
	require.Equal(t, after, readTree(t, pkg), "a second render changes nothing")
}

// TestKptConfigError: a typo in the config fails kpt with podgraft's
// message, and the package is left as it was.
func TestKptConfigError(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	pkg := kptPackage(t)
	ctx := testCtx(t, 2*time.Minute)
	bad := filepath.Join("testdata", "kpt", "bad-config", "graft.yaml")
	before := readTree(t, pkg)

	check := func(t *testing.T, res cmdResult) {
		t.Helper()
		require.Error(t, res.Err, res.Output())
		require.Contains(t, res.Stderr, "[FAIL]")
		require.Contains(t, res.Stderr, "spec.sidecars[0].imagee", "podgraft's message names the field")
		require.Contains(t, res.Stderr, "unknown field")
		require.Equal(t, before, readTree(t, pkg), "nothing written")
	}
	t.Run("eval", func(t *testing.T) {
		abs, err := filepath.Abs(bad)
		require.NoError(t, err)
		check(t, run(ctx, t, pkg, nil, kpt, "fn", "eval", "--exec", podgraftBin(t), "--fn-config", abs, pkg))
	})
	t.Run("render", func(t *testing.T) {
		b, err := os.ReadFile(bad)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(pkg, "graft.yaml"), b, 0o644))
		before = readTree(t, pkg)
		check(t, run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg))
	})
}
