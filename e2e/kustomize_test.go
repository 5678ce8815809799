//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The kustomizations under testdata/kustomize run podgraft as an exec KRM
// function. kustomize 5.8 resolves a relative exec path against the
// kustomization's directory (not the working directory), so the checked-in
// graft.yaml files say ../../../../bin/podgraft: they build from a clean
// clone after `make build`. The tests copy a case into a temporary
// directory and point the path at the binary under test.
const kustomizeExecPath = "../../../../bin/podgraft"

// kustomizeCase copies testdata/kustomize/<name> into a temporary directory
// with the exec path made absolute, and returns that directory.
func kustomizeCase(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	copyDir(t, filepath.Join("testdata", "kustomize", name), dir)
	graft := filepath.Join(dir, "graft.yaml")
	b, err := os.ReadFile(graft)
	require.NoError(t, err)
	require.Contains(t, string(b), "path: "+kustomizeExecPath)
	b = []byte(strings.ReplaceAll(string(b), "path: "+kustomizeExecPath, "path: "+podgraftBin(t)))
	require.NoError(t, os.WriteFile(graft, b, 0o644))
	return dir
}

// TestKustomizeTestdataRunsBinPodgraft keeps the checked-in exec paths
// honest: resolved against their kustomization, they name bin/podgraft.
func TestKustomizeTestdataRunsBinPodgraft(t *testing.T) {
	t.Parallel()
	want := filepath.Join(repoRoot(t), "bin", "podgraft")
	cases, err := filepath.Glob(filepath.Join("testdata", "kustomize", "*", "graft.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, graft := range cases {
		var cfg struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		b, err := os.ReadFile(graft)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(b, &cfg), graft)
		var fn struct {
			Exec struct {
				Path string `json:"path"`
			} `json:"exec"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(cfg.Metadata.Annotations["config.kubernetes.io/function"]), &fn), graft)
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(graft), fn.Exec.Path))
		require.NoError(t, err)
		require.Equal(t, want, abs, "%s: the exec path must resolve to bin/podgraft", graft)
	}
}

// TestKustomize builds testdata/kustomize/shop with podgraft under
// transformers: and checks the output against its golden file, against what
// the graft says, against the same build without exec functions, and
// against the API server.
func TestKustomize(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	dir := kustomizeCase(t, "shop")
	ctx := testCtx(t, 3*time.Minute)

	res := run(ctx, t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.NoError(t, res.Err, res.Output())
	golden(t, filepath.Join("testdata", "kustomize", "shop", "expected.yaml"), res.Stdout)
	grafted := parseDocs(t, res.Stdout)

	// What the graft says happened, on both workloads.
	var configMap string
	for _, w := range []struct{ kind, name string }{{"Deployment", "web"}, {"CronJob", "report"}} {
		d := findDoc(t, grafted, w.kind, w.name)
		spec := specOf(t, d.Obj)
		require.Equal(t, 1, spec.count("log-shipper"), "%s: one log-shipper", d.id())
		require.Equal(t, 1, spec.count("migrate"), "%s: one migrate", d.id())
		require.Equal(t, "migrate", spec.InitContainers[0].Name, "%s: placement first", d.id())
		require.Equal(t, "ghcr.io/example/shop-web:1.5.0", spec.InitContainers[0].Image,
			"%s: imageFrom copies the tag kustomize's images: set, so it ran first", d.id())
		shipper, _ := spec.find("log-shipper")
		require.Equal(t, "Always", shipper.RestartPolicy, "%s: a native sidecar", d.id())
		require.Contains(t, graftRecord(t, d.Obj), "shop-ops", "%s: the graft record", d.id())
		require.Equal(t, "kz-shop", str(d.Obj, "metadata", "namespace"))
		cm := spec.configMapVolume("shipper-conf")
		require.True(t, strings.HasPrefix(cm, "shop-ops-shipper-conf-"), "%s: shipper-conf mounts the generated ConfigMap, got %q", d.id(), cm)
		if configMap == "" {
			configMap = cm
		}
		require.Equal(t, configMap, cm, "both workloads share one generated ConfigMap")
	}
	gen := findDoc(t, grafted, "ConfigMap", configMap)
	require.Equal(t, "kz-shop", str(gen.Obj, "metadata", "namespace"), "generated in the workloads' namespace")
	require.Equal(t, "shop-ops", str(gen.Obj, "metadata", "labels", "podgraft.dev/generated-by"))
	require.Contains(t, str(gen.Obj, "data", "fluent-bit.yaml"), "name: tail")

	t.Run("without --enable-exec the function is silently skipped", func(t *testing.T) {
		res := run(ctx, t, dir, nil, kustomize, "build", "--enable-alpha-plugins", ".")
		require.NoError(t, res.Err, "kustomize does not fail, it skips the exec function: %s", res.Output())
		require.NotContains(t, res.Stdout, "podgraft.dev/", "nothing was grafted")
		require.NotContains(t, res.Stdout, "log-shipper")
		plain := parseDocs(t, res.Stdout)
		require.Len(t, plain, len(grafted)-1, "the grafted build adds exactly the generated ConfigMap")
		// Non-workloads are byte-identical with and without podgraft.
		for _, d := range plain {
			if d.kind() == "Service" || d.kind() == "ConfigMap" {
				require.Equal(t, d.Raw, findDoc(t, grafted, d.kind(), d.name()).Raw, "%s is untouched by podgraft", d.id())
			} else {
				require.NotEqual(t, d.Raw, findDoc(t, grafted, d.kind(), d.name()).Raw, "%s is grafted only with exec", d.id())
			}
		}
	})

	t.Run("without --enable-alpha-plugins kustomize refuses", func(t *testing.T) {
		res := run(ctx, t, dir, nil, kustomize, "build", ".")
		require.Error(t, res.Err, res.Output())
		require.Contains(t, res.Stderr, "external plugins disabled")
		require.Empty(t, res.Stdout)
	})

	t.Run("the API server accepts the output", func(t *testing.T) {
		c := cluster(t)
		createNamespace(ctx, t, c, "kz-shop", nil)
		require.NoError(t, c.ApplyAll(ctx, res.Stdout, true))
	})
}

// TestKustomizeConfigError: a typo in the PodGraft fails the build, and the
// user reads podgraft's own message on kustomize's stderr.
func TestKustomizeConfigError(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	dir := kustomizeCase(t, "bad-config")
	ctx := testCtx(t, 2*time.Minute)

	res := run(ctx, t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.Error(t, res.Err, res.Output())
	require.Empty(t, res.Stdout, "no partial output")
	require.Contains(t, res.Stderr, "couldn't execute function", "kustomize says the function failed")
	require.Contains(t, res.Stderr, "PodGraft broken", "podgraft names the config")
	require.Contains(t, res.Stderr, "spec.sidecars[0].imagee", "podgraft names the field")
	require.Contains(t, res.Stderr, "unknown field")
}
