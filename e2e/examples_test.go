//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// examplesExecPath is the exec path the examples' graft.yaml files give
// kustomize: relative to examples/<name>/, it is bin/podgraft.
const examplesExecPath = "../../bin/podgraft"

// exampleFunction reads the config.kubernetes.io/function annotation of an
// example's graft.yaml: the exec path, or the container image.
func exampleFunction(t *testing.T, graft string) (execPath, image string) {
	t.Helper()
	var cfg struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	b, err := os.ReadFile(graft)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &cfg), graft)
	annotation, ok := cfg.Metadata.Annotations["config.kubernetes.io/function"]
	require.True(t, ok, "%s is listed under transformers: and needs the config.kubernetes.io/function annotation", graft)
	var fn struct {
		Exec struct {
			Path string `json:"path"`
		} `json:"exec"`
		Container struct {
			Image string `json:"image"`
		} `json:"container"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(annotation), &fn), graft)
	return fn.Exec.Path, fn.Container.Image
}

// normalized maps every document of a stream to its content re-marshalled
// as canonical YAML (sorted keys; comments, key order and style dropped),
// keyed by "apiVersion Kind namespace/name". Two streams with equal maps
// hold the same resources, whatever order and formatting a tool printed
// them in.
func normalized(t *testing.T, stream string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range parseDocs(t, stream) {
		if d.Obj == nil {
			continue // an empty document
		}
		id := str(d.Obj, "apiVersion") + " " + d.id()
		_, dup := out[id]
		require.False(t, dup, "%s appears twice", id)
		b, err := yaml.Marshal(d.Obj)
		require.NoError(t, err)
		out[id] = string(b)
	}
	return out
}

// requireSameResources fails unless the two streams hold the same resources
// (see normalized), with a diff of the first document that differs.
func requireSameResources(t *testing.T, want, got, what string) {
	t.Helper()
	w, g := normalized(t, want), normalized(t, got)
	require.Equal(t, sortedKeys(w), sortedKeys(g), "%s: the resources differ", what)
	for _, id := range sortedKeys(w) {
		require.Equal(t, w[id], g[id], "%s: %s differs", what, id)
	}
}

// sortedKeys lists a map's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestExamplesKustomize builds every example with a kustomization.yaml as
// its README says, `kustomize build --enable-alpha-plugins --enable-exec
// examples/<name>`, with podgraft as an exec function. The build must give
// the resources of the example's expected.yaml (the standalone output the
// unit tests check), and the API server must accept every one of them
// (server-side dry run). The checked-in files run unchanged: the example
// is copied to <tmp>/examples/<name> next to <tmp>/bin/podgraft, the
// binary under test, so that its ../../bin/podgraft resolves as in the
// repository.
func TestExamplesKustomize(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	root := repoRoot(t)
	ctx := testCtx(t, 5*time.Minute)
	kustomizations, err := filepath.Glob(filepath.Join(root, "examples", "*", "kustomization.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, kustomizations)

	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, "bin"), 0o755))
	require.NoError(t, os.Symlink(podgraftBin(t), filepath.Join(work, "bin", "podgraft")))
	c := cluster(t)
	installCRDs(ctx, t, c) // the argo-rollout example's Rollout

	built := 0
	for _, k := range kustomizations {
		dir := filepath.Dir(k)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			execPath, image := exampleFunction(t, filepath.Join(dir, "graft.yaml"))
			if image != "" {
				t.Skipf("examples/%s runs podgraft as a container function (%s): TestContainerFunctionExample builds it", name, image)
			}
			require.Equal(t, examplesExecPath, execPath,
				"examples/%s/graft.yaml: the exec path must resolve to bin/podgraft from the kustomization's folder", name)
			want, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
			require.NoError(t, err, "an exec kustomize example needs expected.yaml")

			copyDir(t, dir, filepath.Join(work, "examples", name))
			res := run(ctx, t, work, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "examples/"+name)
			require.NoError(t, res.Err, res.Output())
			requireSameResources(t, string(want), res.Stdout,
				"kustomize build examples/"+name+" against its expected.yaml")
			require.Contains(t, res.Stdout, "podgraft.dev/grafts", "podgraft ran")
			require.NotContains(t, res.Stdout, "kind: PodGraft", "the function config is not a resource")

			// The API server accepts every resource (namespaces first).
			docs := parseDocs(t, res.Stdout)
			for _, d := range docs {
				if ns := str(d.Obj, "metadata", "namespace"); ns != "" {
					createNamespace(ctx, t, c, ns, nil)
				}
			}
			for i, d := range docs {
				_, err := c.Create(ctx, d.Raw, true)
				require.NoError(t, err, "examples/%s: kustomize output document %d (%s) is rejected by the API server", name, i+1, d.id())
			}
			built++
		})
	}
	require.NotZero(t, built, "no example was built with kustomize")
}

// TestExamplesHelm renders examples/helm-chart/chart through podgraft with
// Helm 3 (--post-renderer ./bin/podgraft) and with the Helm 4 plugin, as
// its README does, and checks that both give the resources of the
// example's expected.yaml, plus the hooks, which Helm 3 never
// post-renders and which the graft does not target.
func TestExamplesHelm(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	ctx := testCtx(t, 3*time.Minute)
	dir := filepath.Join(root, "examples", "helm-chart")
	want, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	require.NoError(t, err)
	chart := filepath.Join(dir, "chart")
	graft := filepath.Join(dir, "graft.yaml")
	bin := podgraftBin(t)

	t.Run("helm3", func(t *testing.T) {
		helm := tool(t, "helm3")
		env := privateHelmHomes(t)
		res := run(ctx, t, root, env, helm, "template", "shop", chart,
			"--post-renderer", bin, "--post-renderer-args", "-c", "--post-renderer-args", graft)
		require.NoError(t, res.Err, res.Output())
		requireSameResources(t, string(want), res.Stdout, "helm3 template --post-renderer against examples/helm-chart/expected.yaml")
		require.Contains(t, res.Stdout, "# Source: shop/templates/deployment.yaml", "Helm's comments survive")
		plain := run(ctx, t, root, env, helm, "template", "shop", chart)
		require.NoError(t, plain.Err, plain.Output())
		input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
		require.NoError(t, err)
		require.Equal(t, string(input), plain.Stdout, "examples/helm-chart/input.yaml is the chart's helm template output, byte for byte")
	})

	t.Run("helm4 plugin", func(t *testing.T) {
		helm := tool(t, "helm4")
		env := privateHelmHomes(t)
		installHelm4Plugin(ctx, t, helm, env)
		res := run(ctx, t, root, env, helm, "template", "shop", chart,
			"--post-renderer", "podgraft", "--post-renderer-args", "-c", "--post-renderer-args", graft)
		require.NoError(t, res.Err, res.Output())
		requireSameResources(t, string(want), res.Stdout, "helm4 template --post-renderer podgraft against examples/helm-chart/expected.yaml")
		require.NotContains(t, res.Stdout, "postrenderer.helm.sh/postrender-filename", "Helm takes its own annotation out again")
	})
}

// privateHelmHomes is an environment with Helm's data, config and cache
// homes in a temporary directory, so that a test neither sees nor touches
// the user's plugins and repositories (HELM_PLUGINS stays the default
// below HELM_DATA_HOME).
func privateHelmHomes(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	return []string{
		"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"HELM_PLUGINS=" + filepath.Join(dir, "data", "plugins"),
	}
}
