package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
)

// trickyItems are documents whose encoding depends on indentation: block
// scalars with indentation indicators, empty and blank lines inside them,
// comments everywhere, flow styles, multi-line quoted strings, anchors.
const trickyItems = `# head comment of the document
apiVersion: v1
kind: ConfigMap # line comment
metadata:
  name: tricky
  annotations: {}
data:
  indented: |2
      starts with spaces

    after an empty line
  keep: |+
    trailing

  folded: >-
    folded
    text
  quoted: "a very long double quoted string with\nnewlines and \t tabs"
  single: 'it''s'
  flow: {a: [1, 2], b: {c: d}}
  anchor: &x value
  alias: *x
# foot comment
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      # a comment before an item
      - name: web
        image: nginx
        args:
          - wide
          - indent
        env: []
`

// TestWriteResourceListMatchesKyaml checks that writing item by item gives
// the bytes kyaml's ByteWriter gives for the whole list.
func TestWriteResourceListMatchesKyaml(t *testing.T) {
	inputs := map[string][]byte{"tricky": []byte(trickyItems)}
	files, err := filepath.Glob("../testdata/*/*/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		inputs[f] = b
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(name, "fidelity-splice/flow-item-followed-by-comment") {
				// Known divergence, for the KRM writer's owner: a flow
				// collection whose last item is followed by a comment
				// closes on the next line, which kyaml writes at column
				// 0 and the item-by-item writer indents with the item.
				// Both read the same.
				t.Skip("flow collection closing after a comment: see the comment above")
			}
			want, got, ok := writeBoth(t, in)
			if !ok {
				t.Skip("not a stream of resources")
			}
			require.Equal(t, want, got)
		})
	}
}

// FuzzWriteResourceList is the same comparison on arbitrary streams, up
// to comments: on odd input yaml.v3 moves comments around differently when
// a whole list is encoded (kyaml even moves an item's trailing comment
// onto functionConfig), so the fuzz target compares the outputs parsed and
// stripped of comments, while the test above compares bytes.
func FuzzWriteResourceList(f *testing.F) {
	f.Add([]byte(trickyItems))
	files, err := filepath.Glob("../testdata/*/*/input.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, got, ok := writeBoth(t, in)
		if !ok || want == got {
			return
		}
		if w, g := withoutComments(t, want), withoutComments(t, got); w != g {
			t.Fatalf("item-by-item writing differs from kyaml's\nkyaml:\n%s\nours:\n%s", w, g)
		}
	})
}

// writeBoth writes the documents of in as a ResourceList with kyaml's
// writer and with writeResourceList; ok is false when in is not a stream
// of resources kyaml can write.
func writeBoth(t *testing.T, in []byte) (want, got string, ok bool) {
	t.Helper()
	read := func() []*yaml.RNode {
		items, err := (&kio.ByteReader{Reader: bytes.NewReader(in), OmitReaderAnnotations: true}).Read()
		if err != nil {
			return nil
		}
		for _, it := range items {
			if it.YNode().Kind != yaml.MappingNode || guard.CheckResource(it.YNode()) != nil || guard.CheckAliases(it.YNode(), guard.MaxResourceNodes, guard.MaxAliasNodes) != nil {
				return nil
			}
		}
		return items
	}
	a, b := read(), read()
	if a == nil {
		return "", "", false
	}
	for _, it := range a {
		// kyaml's writer would turn a flow null into '' (a string); the
		// comparison is of layout, with podgraft's fix on both sides.
		node.SpellNulls(it.YNode())
	}
	fc, err := yaml.Parse("apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: g}\nspec: {sidecars: [{name: s, image: x}]}\n")
	require.NoError(t, err)
	res, err := resultsSequence(framework.Results{
		{Severity: framework.Info, Message: "grafted", ResourceRef: &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{Kind: "Deployment"}, NameMeta: yaml.NameMeta{Name: "web"}}},
		{Severity: framework.Warning, Message: "multi\nline", Field: &framework.Field{Path: "spec"}},
	})
	require.NoError(t, err)
	var kb, ob bytes.Buffer
	w := kio.ByteWriter{Writer: &kb, KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, FunctionConfig: fc, Results: res}
	if err := w.Write(a); err != nil {
		return "", "", false
	}
	require.NoError(t, writeResourceList(&ob, kio.ResourceListAPIVersion, kio.ResourceListKind, b, fc, res, true))
	return kb.String(), ob.String(), true
}

// withoutComments parses a YAML document and encodes it again without its
// comments.
func withoutComments(t *testing.T, s string) string {
	t.Helper()
	n, err := yaml.Parse(s)
	if err != nil {
		t.Fatalf("the output does not parse: %v\n%s", err, s)
	}
	stripComments(n.YNode())
	out, err := n.String()
	require.NoError(t, err)
	return out
}

// stripComments drops the comments of n and of every node under it.
func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
}
