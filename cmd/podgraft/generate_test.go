package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// generatedDocs parses the documents of a stream that podgraft generated.
func generatedDocs(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range strings.Split(stream, "\n---\n") {
		var obj map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(doc), &obj))
		labels, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any)
		if _, ok := labels["podgraft.dev/generated-by"]; ok {
			out = append(out, obj)
		}
	}
	return out
}

// podgraft generate prints what the stream mode generates for the
// workloads of a namespace: the same resources, by the same names.
func TestGenerateMatchesTheStreamMode(t *testing.T) {
	graft := "../../examples/web-with-proxy/graft.yaml"
	stream, stderr, code := runCLI(t, nil, "-c", graft, "../../examples/web-with-proxy/input.yaml")
	require.Equal(t, exitOK, code, stderr)
	want := generatedDocs(t, stream)
	require.Len(t, want, 4, "a ConfigMap and a PVC in each of the example's namespaces, shop and blog")

	out, stderr, code := runCLI(t, nil, "generate", "-c", graft, "--namespace", "shop", "-n", "blog")
	require.Equal(t, exitOK, code, stderr)
	require.Empty(t, stderr)
	require.Equal(t, want, generatedDocs(t, out))

	// One namespace: its part alone.
	out, _, code = runCLI(t, nil, "generate", "-c", graft, "-n", "shop")
	require.Equal(t, exitOK, code)
	var ids []string
	for _, d := range generatedDocs(t, out) {
		m := d["metadata"].(map[string]any)
		ids = append(ids, d["kind"].(string)+" "+m["namespace"].(string)+"/"+m["name"].(string))
	}
	cm := want[0]["metadata"].(map[string]any)["name"].(string)
	require.Equal(t, []string{"ConfigMap shop/" + cm, "PersistentVolumeClaim shop/web-uploads"}, ids)
}

func TestGenerateErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"targeted.yaml": "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: conf}\nspec:\n  targets: {namespaces: [shop]}\n  volumes:\n    - name: c\n      files: {a.conf: x}\n      mounts: [{containers: [web], mountPath: /c}]\n"})
	targeted := dir + "/targeted.yaml"
	for name, tc := range map[string]struct {
		args   []string
		code   int
		stderr string
		stdout bool
	}{
		"no config":        {args: []string{"-n", "shop"}, code: exitUsage, stderr: "podgraft: usage: generate needs a config (-c graft.yaml)"},
		"no namespace":     {args: []string{"-c", targeted}, code: exitUsage, stderr: "podgraft: usage: generate needs a namespace (--namespace NS)"},
		"files given":      {args: []string{"-c", targeted, "-n", "shop", "app.yaml"}, code: exitUsage, stderr: "podgraft generate takes no arguments"},
		"a bad namespace":  {args: []string{"-c", targeted, "-n", "Shop"}, code: exitError, stderr: `podgraft: error: --namespace "Shop": not a namespace name`},
		"a missing config": {args: []string{"-c", dir + "/nope.yaml", "-n", "shop"}, code: exitError, stderr: "podgraft: error: config: open " + dir + "/nope.yaml"},
		"untargeted":       {args: []string{"-c", targeted, "-n", "shop", "-n", "blog"}, code: exitOK, stdout: true, stderr: "podgraft: warning: PodGraft conf does not target namespace blog (spec.targets.namespaces, spec.exclude.namespaces): nothing generated there"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, append([]string{"generate"}, tc.args...)...)
			require.Equal(t, tc.code, code, stderr)
			require.Contains(t, stderr, tc.stderr)
			if tc.stdout {
				require.Contains(t, stdout, "namespace: shop")
				require.NotContains(t, stdout, "namespace: blog")
			} else {
				require.Empty(t, stdout)
			}
		})
	}
}
