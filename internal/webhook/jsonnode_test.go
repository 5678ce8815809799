package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
)

// viaYAML is what appendJSON must agree with: the tree encoded as YAML by
// yaml.v3 and converted to JSON by sigs.k8s.io/yaml, the slow path.
func viaYAML(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return sigsyaml.YAMLToJSON(buf.Bytes())
}

// requireSameJSON checks appendJSON against viaYAML on n. It returns false
// when appendJSON leaves n to the slow path, which it may only do with
// errNotPlainJSON, and must do when the slow path fails.
func requireSameJSON(t testing.TB, n *yaml.Node, what string) bool {
	t.Helper()
	got, gotErr := appendJSON(nil, n)
	want, wantErr := viaYAML(n)
	if gotErr != nil {
		if !errors.Is(gotErr, errNotPlainJSON) {
			t.Fatalf("%s: appendJSON: %v", what, gotErr)
		}
		return false
	}
	if wantErr != nil {
		t.Fatalf("%s: appendJSON wrote %s where sigs.k8s.io/yaml fails: %v", what, got, wantErr)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: appendJSON wrote invalid JSON %s: %v", what, got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\nappendJSON:        %s\nsigs.k8s.io/yaml:  %s", what, got, want)
	}
	return true
}

// documents parses every document of a YAML file; nil for one that does
// not parse.
func documents(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var out []*yaml.Node
	r := fn.NewDocumentReader(f)
	for {
		raw, err := r.Read()
		if err != nil {
			return out
		}
		if doc, err := fn.ParseDocument(raw); err == nil && doc != nil {
			out = append(out, doc)
		}
	}
}

// Every document of the golden inputs and outputs, and every golden input
// as its config grafts it (engine-made nodes: untagged scalars, block
// strings), is written by appendJSON as sigs.k8s.io/yaml converts it.
func TestAppendJSONAgreesWithSigsYAMLOnGoldens(t *testing.T) {
	var files []string
	require.NoError(t, filepath.WalkDir("../../testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	}))
	require.NotEmpty(t, files)
	checked, slow, grafted := 0, 0, 0
	for _, path := range files {
		for i, doc := range documents(t, path) {
			if requireSameJSON(t, doc, path) {
				checked++
			} else {
				slow++
			}
			_ = i
		}
		if filepath.Base(path) != "input.yaml" {
			continue
		}
		configs, err := fn.LoadConfigFiles([]string{filepath.Join(filepath.Dir(path), "config.yaml")}, guard.Limits{})
		if err != nil {
			continue
		}
		e, err := fn.NewEngine(configs, fn.Options{})
		if err != nil {
			continue
		}
		for _, doc := range documents(t, path) {
			g, err := fn.GraftResource(fn.Options{}, e.Fresh(), yaml.NewRNode(doc.Content[0]))
			if err != nil || !g.Changed {
				continue
			}
			if requireSameJSON(t, doc, path+" grafted") {
				grafted++
			}
			for _, r := range g.Generated {
				requireSameJSON(t, r.YNode(), path+" generated")
			}
		}
	}
	t.Logf("%d documents agree, %d grafted ones, %d left to the slow path", checked, grafted, slow)
	require.Greater(t, checked, 500)
	require.Greater(t, grafted, 100)
	require.Less(t, slow, checked/10, "the slow path is for what is rare")
}

// Scalars whose YAML 1.1 reading differs from their YAML 1.2 one, or from
// their text, with every tag and style the engine or a config gives them.
var trickyScalars = []string{
	"0644", "0o644", "0x1F", "0b101", "-0b101", "1_000", "+1", "-0", "-", ".", ".5", "1.", "1e3", "1E+3", "1e400", "-1e400",
	"12345678901234567890", "123456789012345678901234567890", "-9223372036854775809", "3.0", "0.000001", "1e-7", "1e21",
	"yes", "Yes", "no", "on", "Off", "y", "N", "true", "False", "TRUE", "~", "null", "Null", "", " ", "<<", ".inf", "-.Inf", ".nan",
	"2026-12-01", "2026-12-01T10:00:00Z", "2026-1-1", "1234-x", "12:30", "1:20:30", "0.1.2", "a: b", "- a", "# c", "x #y", "@a", "`a",
	"'q'", `"q"`, "multi\nline", "trailing\n", "tab\there", "<b>&</b>", "\u2028", "caf\u00e9", "{a: 1}", "[1]", "*a", "&a", "!t", "%x",
}

func TestAppendJSONAgreesWithSigsYAMLOnScalars(t *testing.T) {
	tags := []string{"", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "tag:yaml.org,2002:str", "!custom"}
	styles := []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.FlowStyle, yaml.TaggedStyle}
	for _, v := range trickyScalars {
		for _, tag := range tags {
			for _, style := range styles {
				for _, block := range []bool{false, true} {
					m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
					if !block {
						m.Style = yaml.FlowStyle
					}
					m.Content = []*yaml.Node{
						{Kind: yaml.ScalarNode, Tag: "!!str", Value: "v"},
						{Kind: yaml.ScalarNode, Tag: tag, Style: style, Value: v},
						{Kind: yaml.ScalarNode, Tag: tag, Style: style, Value: v + "k"},
						{Kind: yaml.ScalarNode, Tag: "!!str", Value: "k"},
					}
					requireSameJSON(t, m, strings.Join([]string{"value", v, tag, string(rune('0' + style))}, " "))
				}
			}
		}
	}
}

// The tree parseJSONNode reads is yaml.v3's own for the same JSON, and
// its strings are encoding/json's.
func TestParseJSONNodeIsYAMLv3sTree(t *testing.T) {
	for _, in := range []string{
		deploymentPod,
		`{"a":"x","b":1,"c":[true,false,null,1.5,-0,1e5,123456789012345678901234,0.1E-3],"d":{},"e":[],"f":""}`,
		`{"s":"tab\there \"q\" \\ \u00e9 caf\u00e9","u":"日本"}`,
		` { "ws" :	[ 1 , 2 ] } `,
	} {
		got, err := parseJSONNode([]byte(in))
		require.NoError(t, err, in)
		var doc yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(in), &doc))
		requireSameTree(t, doc.Content[0], got)
		out, err := appendJSON(nil, got)
		require.NoError(t, err)
		require.JSONEq(t, in, string(out))
	}
	// yaml.v3 refuses UTF-16 surrogate pairs, which encoding/json (and
	// the API server) read; so does the JSON reader.
	n, err := parseJSONNode([]byte(`["\ud83d\ude00", "\ud800"]`))
	require.NoError(t, err)
	require.Equal(t, "\U0001F600", n.Content[0].Value)
	require.Equal(t, "\uFFFD", n.Content[1].Value)
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `{"a":1,}`, `"x`, `01`, `1.`, `-`, `1e`, `tru`, `{"a":1}x`, "\"\x01\"", `{1:2}`} {
		_, err := parseJSONNode([]byte(bad))
		require.Error(t, err, bad)
	}
	_, err = parseJSONNode([]byte(`{"a":1,"a":2}`))
	require.ErrorIs(t, err, errNotPlainJSON, "duplicate keys go the slow way, which refuses them as before")
	_, err = parseJSONNode([]byte(strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)))
	require.ErrorContains(t, err, "nested too deeply")
}

func requireSameTree(t *testing.T, want, got *yaml.Node) {
	t.Helper()
	require.Equal(t, want.Kind, got.Kind)
	require.Equal(t, want.Style, got.Style, "%q", want.Value)
	require.Equal(t, want.Tag, got.Tag, "%q", want.Value)
	require.Equal(t, want.Value, got.Value)
	require.Len(t, got.Content, len(want.Content))
	for i := range want.Content {
		requireSameTree(t, want.Content[i], got.Content[i])
	}
}

// FuzzParseJSONNode: any valid JSON reads into a tree that writes back as
// the same JSON value; anything else is an error, never a panic.
func FuzzParseJSONNode(f *testing.F) {
	f.Add([]byte(deploymentPod))
	f.Add([]byte(`{"s":"\ud800x","n":[1e400,-0.0,1E2],"o":{"":null}}`))
	f.Add([]byte(`"\u2028<>&"`))
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := parseJSONNode(in)
		if !json.Valid(in) {
			if err == nil {
				t.Fatalf("read invalid JSON %q", in)
			}
			return
		}
		if errors.Is(err, errNotPlainJSON) {
			return // a duplicate key
		}
		if err != nil {
			if strings.Contains(err.Error(), "nested too deeply") {
				return
			}
			t.Fatalf("refused valid JSON %q: %v", in, err)
		}
		out, err := appendJSON(nil, n)
		if errors.Is(err, errNotPlainJSON) {
			return // a number YAML cannot carry (1e400)
		}
		if err != nil {
			t.Fatal(err)
		}
		requireSameJSON(t, n, string(in))
		var want, got any
		if err := json.Unmarshal(in, &want); err != nil {
			return // a number out of float64's range, which the slow path makes a string as well
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("wrote invalid JSON %s from %q: %v", out, in, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q came back as %s", in, out)
		}
	})
}

// FuzzAppendJSON: for any YAML document, appendJSON writes what
// sigs.k8s.io/yaml makes of it, or leaves it to the slow path.
func FuzzAppendJSON(f *testing.F) {
	for _, v := range trickyScalars {
		f.Add("k: " + v + "\n")
	}
	f.Add("a: &x {b: 1}\nc: *x\n")
	f.Add("<<: {a: 1}\nb: 2\n")
	f.Add("? [a]\n: b\n")
	f.Add("a: !!binary aGk=\nb: |\n  x\n  y\nc: >-\n  folded\n  text\n")
	f.Fuzz(func(t *testing.T, in string) {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(in), &doc); err != nil || len(doc.Content) == 0 {
			return
		}
		if guard.CheckAliases(&doc, 10000, guard.MaxAliasNodes) != nil {
			return
		}
		requireSameJSON(t, &doc, in)
	})
}
