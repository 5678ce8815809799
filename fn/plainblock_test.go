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
		"a: |\n  text\n":                                                                      false,
		"a: {b: 1}\n":                                                                         false,
		"a:\n  b: 1\n c: 2\n":                                                                 false,
		"- a\n":                                                                               false,
		"a: x\n  continued\n":                                                                 false,
		"a: 'q'\n":                                                                            false,
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
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !plainText(raw) || !plainBlock(raw) {
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(raw, &n); err != nil {
			t.Fatalf("plainBlock passed a document yaml.v3 refuses: %v\n%s", err, raw)
		}
	})
}
