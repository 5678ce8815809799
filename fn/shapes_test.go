package fn_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/transformers"
)

const shapesGraft = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  sidecars:
    - name: nginx
      image: nginx:1.27-alpine
`

const (
	shapeDeployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: web, image: w}]\n"
	shapeConfigMap  = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
)

// documents reads a stream as podgraft does and describes each resource:
// "Deployment web (grafted)", "ConfigMap settings".
func documents(t *testing.T, stream []byte) []string {
	t.Helper()
	var out []string
	r := fn.NewDocumentReader(bytes.NewReader(stream))
	for {
		raw, err := r.Read()
		if err != nil {
			break
		}
		doc, err := fn.ParseDocument(raw)
		require.NoError(t, err)
		if doc != nil {
			out = append(out, describeShape(yaml.NewRNode(doc.Content[0])))
		}
	}
	return out
}

func describeShape(r *yaml.RNode) string {
	s := transformers.Describe(r)
	if str, _ := r.String(); strings.Contains(str, transformers.RecordAnnotation) {
		s += " (grafted)"
	}
	return s
}

// TestStreamShapes runs the shapes real tools emit through standalone
// mode, twice: every resource comes out, grafted where it is a workload,
// and the second run changes nothing.
func TestStreamShapes(t *testing.T) {
	cfg, err := decodeConfig(t, shapesGraft, "graft.yaml", t.TempDir())
	require.NoError(t, err)
	tests := map[string]struct {
		input string
		want  []string
	}{
		"a comment-only first document, as Helm renders a switched-off template": {
			input: "---\n# Source: shop/templates/hpa.yaml\n---\n# Source: shop/templates/deployment.yaml\n" + shapeDeployment,
			want:  []string{"Deployment web (grafted)"},
		},
		"comment-only documents everywhere": {
			input: "# a\n---\n" + shapeConfigMap + "---\n# b\n---\n---\n" + shapeDeployment + "---\n# c\n",
			want:  []string{"ConfigMap settings", "Deployment web (grafted)"},
		},
		"nothing but a comment after a separator": {input: "---\n# c\n"},
		"a document after the end marker of one that changes": {
			input: shapeDeployment + "...\n" + shapeConfigMap,
			want:  []string{"Deployment web (grafted)", "ConfigMap settings"},
		},
		"a workload after the end marker of one that does not change": {
			input: shapeConfigMap + "...\n" + shapeDeployment + "...\n",
			want:  []string{"ConfigMap settings", "Deployment web (grafted)"},
		},
		"directives stay with their document": {
			input: shapeConfigMap + "---\n%YAML 1.1\n---\n" + shapeDeployment + "...\n%TAG !k! tag:kubernetes.io,2024:\n---\n" + shapeConfigMap + "data: {a: !k!str b}\n",
			want:  []string{"ConfigMap settings", "Deployment web (grafted)", "ConfigMap settings"},
		},
		"a List's items are grafted where they stand, nested Lists too": {
			input: listOf(shapeConfigMap, listOf(shapeDeployment)) + "---\n" + shapeDeployment,
			want:  []string{"List (grafted)", "Deployment web (grafted)"},
		},
		"directives after a document without its end marker": {
			input: shapeDeployment + "%YAML 1.1\n---\n" + shapeConfigMap,
			want:  []string{"Deployment web (grafted)", "ConfigMap settings"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, results, err := runStream(t, fn.Apply, tc.input, cfg)
			require.NoError(t, err)
			require.Empty(t, errorLines(results))
			require.Equal(t, tc.want, documents(t, out), "output:\n%s", out)
			again, results, err := runStream(t, fn.Apply, string(out), cfg)
			require.NoError(t, err)
			require.Empty(t, errorLines(results))
			require.Equal(t, string(out), string(again), "a second run changed the output")
		})
	}
}

// TestResourceListShapes runs the same shapes around a ResourceList in KRM
// mode, twice.
func TestResourceListShapes(t *testing.T) {
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" + indent(shapesGraft) +
		"items:\n- # an item without content\n" + "-" + indent(shapeDeployment)[1:]
	rlWith := func(items ...string) string {
		s := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n" + indent(shapesGraft) + "items:\n"
		for _, it := range items {
			s += "-" + indent(it)[1:]
		}
		return s
	}
	tests := map[string]struct {
		input   string
		want    []string
		wantErr string
	}{
		"comment-only documents around it": {input: "---\n# c\n---\n" + rl + "---\n# d\n"},
		"its end marker":                   {input: rl + "...\n"},
		"a document after its end marker":  {input: rl + "...\n" + shapeConfigMap, wantErr: "stdin holds 2 YAML documents, not one ResourceList"},
		"a %YAML directive":                {input: "%YAML 1.1\n---\n" + rl},
		"a List item, its items grafted where they stand": {
			input: rlWith(listOf(shapeConfigMap, listOf(shapeDeployment))),
			want:  []string{"List (grafted)"},
		},
		"a %YAML directive of a version yaml.v3 does not read": {input: "%YAML 1.2\n---\n" + rl, wantErr: "a %YAML directive other than 1.1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			results, err := fn.RunResourceList(fn.Options{BaseDir: t.TempDir()}, strings.NewReader(tc.input), &out)
			require.NoError(t, err)
			if tc.wantErr != "" {
				require.Contains(t, strings.Join(errorLines(results), "\n"), tc.wantErr)
				return
			}
			require.Empty(t, errorLines(results))
			items, err := yaml.Parse(out.String())
			require.NoError(t, err)
			var got []string
			for _, it := range items.Field("items").Value.Content() {
				got = append(got, describeShape(yaml.NewRNode(it)))
			}
			want := tc.want
			if want == nil {
				want = []string{"Deployment web (grafted)"}
			}
			require.Equal(t, want, got)

			var again bytes.Buffer
			results, err = fn.RunResourceList(fn.Options{BaseDir: t.TempDir()}, bytes.NewReader(out.Bytes()), &again)
			require.NoError(t, err)
			require.Empty(t, errorLines(results))
			require.Equal(t, itemsOnly(out.String()), itemsOnly(again.String()), "a second run changed the items")
		})
	}
}

// listOf is a v1 List of the resources.
func listOf(items ...string) string {
	s := "apiVersion: v1\nkind: List\nitems:\n"
	for _, it := range items {
		s += "-" + indent(it)[1:]
	}
	return s
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}
