package splice

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// encodeKyaml is how podgraft encoded documents before splicing: kyaml's
// encoder, two-space indentation, compact or wide sequences.
func encodeKyaml(t testing.TB, n *yaml.Node, wide bool) string {
	t.Helper()
	style := yaml.CompactSequenceStyle
	if wide {
		style = yaml.WideSequenceStyle
	}
	var b bytes.Buffer
	enc := yaml.NewEncoderWithOptions(&b, &yaml.EncoderOptions{SeqIndent: style})
	require.NoError(t, enc.Encode(n))
	require.NoError(t, enc.Close())
	return b.String()
}

// The emitter writes new fragments exactly as the encoder would have: on
// every mapping of the golden configs and inputs, in both sequence styles.
func TestEmitterWritesAsTheEncoder(t *testing.T) {
	files, err := filepath.Glob("../../testdata/*/*/*.yaml")
	require.NoError(t, err)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, d := range splitDocs(b) {
			doc := parsed(d)
			if doc == nil || doc.Content[0].Kind != yaml.MappingNode || hasAlias(doc) {
				continue // plain() expands aliases: an alias bomb would explode
			}
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if n.Kind == yaml.MappingNode && len(n.Content) > 0 {
					m := plain(n)
					for _, wide := range []bool{false, true} {
						off := 0
						if wide {
							off = 2
						}
						e := &emitter{nl: "\n", step: 2, seqOff: off}
						var err error
						for i := 0; i+1 < len(m.Content) && err == nil; i += 2 {
							if i > 0 {
								e.b = append(e.b, '\n')
							}
							err = e.pair(m.Content[i], m.Content[i+1], 0)
						}
						if err != nil {
							require.ErrorIs(t, err, ErrUnsupported)
							continue
						}
						require.Equal(t, encodeKyaml(t, m, wide), string(e.b)+"\n", "%s", f)
						checked++
					}
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
			walk(doc.Content[0])
		}
	}
	require.Greater(t, checked, 1000)
}

// simpleScalar agrees with yaml.v3 wherever it answers.
func TestSimpleScalarsAsYAMLv3(t *testing.T) {
	values := []string{
		"", "a", "web", "nginx:1.27-alpine", "/healthz", "a b", "a  b", "a: b", "a:b", "a:", "a #b", "a#b",
		"true", "True", "yes", "no", "on", "off", "y", "n", "null", "Null", "NULL", "~", "1", "1.0", "0x10",
		"-", "-a", "a-", ".inf", "a,b", "[a]", "{a}", "a'b", `a"b`, `a\b`, "é", "a\tb", "a\nb", " a", "a ",
		"@a", "`a", "%a", "a%", "a;b", "a(b)", "$HOME", "a=b", "a+b", "a~b", "a/b", "a.b", "a_b", "<<",
		"Infinity", "NaN", "2001-12-14", "1e3", "012", "+1", "0", "-0", "-1", "00", "1_000",
	}
	tags := []string{"!!str", "!!int", "!!bool", "!!null", "!!float"}
	styles := []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle}
	agreed := 0
	for _, v := range values {
		for _, tag := range tags {
			for _, style := range styles {
				n := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v, Style: style}
				for _, flow := range []bool{false, true} {
					text, ok := simpleScalar(n, flow)
					if !ok || text == "" { // an empty null: no text, in a block "key:"
						continue
					}
					var want string
					if flow {
						m := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{n}}
						want = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(encodeKyaml(t, m, false), "\n"), "["), "]")
					} else {
						want = strings.TrimSuffix(encodeKyaml(t, n, false), "\n")
					}
					require.Equal(t, want, text, "%q %s style %d flow %v", v, tag, style, flow)
					agreed++
				}
			}
		}
	}
	require.Greater(t, agreed, 50)
}

// FuzzSimpleScalar: where simpleScalar answers, yaml.v3 writes the same,
// and it reads back as the same value.
func FuzzSimpleScalar(f *testing.F) {
	for _, s := range []string{"web", "a: b", "yes", "1.0", "/x y", "a,b"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, v string, flow bool) {
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		text, ok := simpleScalar(n, flow)
		if !ok {
			return
		}
		require.Equal(t, strings.TrimSuffix(encodeKyaml(t, n, false), "\n"), text)
		var back yaml.Node
		src := "k: " + text + "\n"
		if flow {
			src = "k: [" + text + "]\n"
		}
		require.NoError(t, yaml.Unmarshal([]byte(src), &back))
		got := back.Content[0].Content[1]
		if flow {
			got = got.Content[0]
		}
		require.Equal(t, v, got.Value)
		require.Equal(t, "!!str", got.ShortTag())
	})
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// A flow collection written whole keeps its nulls: yaml.v3 alone writes an
// empty null in flow style as an empty quoted string. The tree written is
// left as it was.
func TestFlowYAMLKeepsNulls(t *testing.T) {
	for in, want := range map[string]string{
		"{a: , b: ~, c: null}": "{a: null, b: ~, c: null}",
		"[{? k}, a]":           "[{k: null}, a]",
		"{a: [{b: }], c: ''}":  "{a: [{b: null}], c: ''}",
	} {
		doc := parsed([]byte("x: " + in + "\n"))
		require.NotNil(t, doc, in)
		v := doc.Content[0].Content[1]
		before := emptyNulls(v)
		require.Positive(t, before, in)
		got, err := flowYAML(v)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		require.Equal(t, before, emptyNulls(v), "%s: the tree written changed", in)
	}
}

func emptyNulls(n *yaml.Node) int {
	count := 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" {
		count++
	}
	for _, c := range n.Content {
		count += emptyNulls(c)
	}
	return count
}
