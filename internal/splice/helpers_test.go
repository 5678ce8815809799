package splice

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Helpers that edit a parsed tree the way podgraft's steps do
// (transformers/nodes.go and friends), for the tests.

func parse(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.NewDecoder(strings.NewReader(src)).Decode(&doc))
	return &doc
}

func tryParse(src []byte) (*yaml.Node, error) {
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, err
	}
	return &doc, err
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// at follows a path of keys and, for sequences, indexes ("0", "1", ...).
func at(n *yaml.Node, path ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	for _, p := range path {
		if n == nil {
			return nil
		}
		if n.Kind == yaml.SequenceNode {
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		n = lookup(n, p)
	}
	return n
}

func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func newNode(kind yaml.Kind) *yaml.Node {
	switch kind {
	case yaml.SequenceNode:
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	case yaml.MappingNode:
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
}

// ensure is transformers' ensure: a null value becomes a collection in place.
func ensure(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				*v = *newNode(kind)
			}
			return v
		}
	}
	v := newNode(kind)
	m.Content = append(m.Content, str(key), v)
	return v
}

func setString(m *yaml.Node, key, value string) {
	v := ensure(m, key, yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
}

func setNode(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, str(key), value)
}

func insertPair(m *yaml.Node, at int, key string, value *yaml.Node) {
	m.Content = append(m.Content[:2*at], append([]*yaml.Node{str(key), value}, m.Content[2*at:]...)...)
}

func insertItem(seq *yaml.Node, at int, item *yaml.Node) {
	seq.Content = append(seq.Content, nil)
	copy(seq.Content[at+1:], seq.Content[at:])
	seq.Content[at] = item
}

func remove(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

func removeItem(seq *yaml.Node, at int) {
	kept := seq.Content[:0] // overwrites the backing array, as removeByName does
	for i, c := range seq.Content {
		if i != at {
			kept = append(kept, c)
		}
	}
	seq.Content = kept
}

// yamlNode parses a YAML fragment into a plain node (no positions, no
// comments, no flow style), as transformers' plain() makes them.
func yamlNode(t testing.TB, src string) *yaml.Node {
	t.Helper()
	return plain(parse(t, src).Content[0])
}

func plain(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return plain(n.Alias)
	}
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value}
	if n.Kind == yaml.ScalarNode {
		c.Style = n.Style &^ yaml.FlowStyle
	}
	for _, ch := range n.Content {
		c.Content = append(c.Content, plain(ch))
	}
	return c
}

// canonical renders a tree as JSON-like text for comparing content: kinds,
// tags and values, no positions, comments or styles.
func canonical(t testing.TB, n *yaml.Node) string {
	t.Helper()
	var b strings.Builder
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.AliasNode:
			b.WriteString("*" + n.Value) // not followed: aliases may form cycles
		case yaml.MappingNode:
			b.WriteString("{")
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i])
				b.WriteString(":")
				walk(n.Content[i+1])
				b.WriteString(",")
			}
			b.WriteString("}")
		case yaml.SequenceNode:
			b.WriteString("[")
			for _, c := range n.Content {
				walk(c)
				b.WriteString(",")
			}
			b.WriteString("]")
		default:
			tag := n.ShortTag()
			v, _ := json.Marshal(n.Value)
			b.WriteString(tag + string(v))
		}
	}
	walk(n)
	return b.String()
}
