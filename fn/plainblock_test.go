package fn

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestPlainBlock(t *testing.T) {
	for doc, want := range map[string]bool{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n":              true,
		"---\napiVersion: v1\nkind: Service\nspec:\n  ports:\n  - name: http\n    port: 80\n": true,
		"a:\n  - x\n  - y: 1\n    z: 2\nb: 3\n":                                               true,
		"a:\n- x\nb:\n":                                                                       true,
		"# Source: chart/x.yaml\napiVersion: v1\nkind: ConfigMap\n":                           true,
		"apiVersion: 0\nkind: 0\n0: \"\n":                                                     false, // the fuzz crasher: an open quote
		"a: 1\n  b: 2\n":                                                                      false,
		"a: 1\n- b\n":                                                                         false,
		"a: b: c\n":                                                                           false,
		"a: |\n  text\n":                                                                      true,
		"a: >-\n  text: with # anything\n\n  more\nb: 1\n":                                    true,
		"a:\n- |\n  x\n- y: |+\n    z\n":                                                      true,
		"a: |\n    x\n  y: 1\n":                                                               false, // less indented, not a key of the top
		"a: |2\n  text\n":                                                                     false,
		"a: | x\n":                                                                            false,
		"a: |\n   \n  x\n":                                                                    false, // an all-space first line
		"a: \"q: #\" # c\nb: 'it''s'\n'c': \"\\u00e9\\n\"\n":                                  true,
		"a: \"\\ud800\"\n":                                                                    false,
		"a: \"\\/\"\n":                                                                        false, // YAML 1.2, not yaml.v3
		"a: \"\\q\"\n":                                                                        false,
		"a: \"open\n":                                                                         false,
		"a: 'x' y\n":                                                                          false,
		"a: [sh, \"-c\", 'x, y'] # c\nb: []\nc: {}\n":                                         true,
		"a: [x, ]\n":                                                                          false,
		"a: [x: y]\n":                                                                         false,
		"a: [[x]]\n":                                                                          false,
		"a: 1 # c\nb: # c\n  c: 2\n":                                                          true,
		"a: {b: 1}\n":                                                                         false,
		"a:\n  b: 1\n c: 2\n":                                                                 false,
		"- a\n":                                                                               false,
		"a: x\n  continued\n":                                                                 false,
		"a:\r\n  b: 1\r\n":                                                                    false,
	} {
		require.Equal(t, want, plainBlock([]byte(doc)), "%q", doc)
	}
}

// FuzzPlainBlock: what plainBlock lets through unread, yaml.v3 reads.
func FuzzPlainBlock(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"))
	f.Add([]byte("a:\n  - x\n  - y: 1\n    z: 2\nb: 3\n"))
	f.Add([]byte("a:\n- x\n- - y\n  - z\nb:\n  c:\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # c\ndata:\n  f: |\n    x: [1\n  'g': \"\\x41\"\n  h: [a, 'b']\n"))
	f.Add([]byte("a: >-\n\n  x\n   y\n\n b: {}\n"))
	f.Add([]byte("a: \"\\u0000\\x7f\\ud7ff\\ue000\\\\\\\" \\N\"\nb: 'it''s'\n'c''d': [\"x\", 'y', z]\n"))
	f.Add([]byte("a:\n- |-\n  x\n\n  y\n- k: >+\n    z\n\n  j: [a, b] # c\n# end\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !plainText(raw) || !plainBlock(raw) {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(raw, &n); err != nil {
			t.Fatalf("plainBlock passed a document yaml.v3 refuses: %v\n%s", err, raw)
		}
		// What header reads of such a document is what the whole reads
		// (comments aside: no decision reads them).
		head := header(raw)
		if head == nil {
			return
		}
		whole := yaml.NewRNode(n.Content[0])
		for _, key := range headerKeys {
			want, got := whole.Field(key), head.Field(key)
			require.Equal(t, want == nil, got == nil, "%s\n%s", key, raw)
			if want != nil {
				require.Equal(t, uncommented(want.Value), uncommented(got.Value), "%s\n%s", key, raw)
			}
		}
	})
}

// uncommented encodes a copy of n without its comments.
func uncommented(n *yaml.RNode) string {
	c := n.Copy()
	stripComments(c.YNode())
	return c.MustString()
}
