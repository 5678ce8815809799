package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Small helpers over yaml.Node. podgraft edits documents in place and must
// leave every key it did not add where it was, so it works on the nodes
// directly instead of round-tripping through typed structs.

// lookup returns the value of key in mapping m, or nil.
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

// ensure returns the value of key in m, appending key with an empty value
// of the given kind when it is missing or null.
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
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

func newNode(kind yaml.Kind) *yaml.Node {
	switch kind {
	case yaml.SequenceNode:
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	case yaml.MappingNode:
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
}

// setString sets key in m to a string scalar, appending it when missing.
func setString(m *yaml.Node, key, value string) {
	v := ensure(m, key, yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	if maybeNonString(value) && (yaml.IsYaml1_1NonString(v) || yaml.IsIdxNumber(value)) {
		v.Style = yaml.DoubleQuotedStyle
	}
}

// maybeNonString is a cheap first look for values that YAML 1.1 would read
// as something other than a string (yes, off, 0755, 1e3, ~, ...). kyaml's
// exact check parses the value with yaml.v2, which on a hot path costs
// more than grafting itself.
func maybeNonString(v string) bool {
	if v == "" {
		return true
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == '~':
		return true
	case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		return len(v) <= 5 // y, no, true, false, on, off, yes ...
	}
	return false
}

// setRecord sets a podgraft.dev/grafts annotation to its JSON value, single
// quoted so that the JSON reads without a backslash before every quote.
func setRecord(annos *yaml.Node, value string) {
	v := ensure(annos, RecordAnnotation, yaml.ScalarNode)
	*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: yaml.SingleQuotedStyle}
}

// setNode sets key in m to value, appending it when missing.
func setNode(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
}

// remove deletes key from m and returns its value.
func remove(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return v
		}
	}
	return nil
}

// removeIfEmpty deletes key from m when its value is an empty list or map:
// podgraft created it, and removal must leave the document as it was.
func removeIfEmpty(m *yaml.Node, key string) {
	v := lookup(m, key)
	if v != nil && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 {
		remove(m, key)
	}
}

// str returns the scalar value of key in m, or "".
func str(m *yaml.Node, key string) string {
	v := lookup(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// indexByName returns the index of the element of seq whose name is name.
func indexByName(seq *yaml.Node, name string) int {
	if seq == nil {
		return -1
	}
	for i, el := range seq.Content {
		if str(el, "name") == name {
			return i
		}
	}
	return -1
}

// removeByName deletes the elements of seq whose name is in names.
func removeByName(seq *yaml.Node, names map[string]bool) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	kept := seq.Content[:0]
	for _, el := range seq.Content {
		if !names[str(el, "name")] {
			kept = append(kept, el)
		}
	}
	seq.Content = kept
}

// plain copies a node tree from a config for insertion into a document:
// no comments, no flow style, no anchors, so that the grafted parts look
// like the document around them and re-encode the same way every time.
func plain(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
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
