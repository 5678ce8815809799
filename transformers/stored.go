package transformers

import (
	"encoding/json"
	"maps"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// What a record keeps of the user's own YAML (a probe an override
// replaced, an empty list podgraft filled) is its text: style, quoting,
// numbers as written and comments come back with it.

// storedText renders n, a value podgraft replaces, as the YAML text a
// record keeps of it. The comments around the value are left out: they
// are not part of what the writer replaces, so they stay in the document
// and need no putting back. It says false when n holds an anchor or an
// alias, whose text would not read back on its own.
func storedText(n *yaml.Node) (string, bool) {
	if hasAnchors(n) {
		return "", false
	}
	c := withoutOuterComments(n) // a copy
	node.SpellNulls(c)           // or a flow null would come back as ''
	b, err := yaml.Marshal(c)
	if err != nil {
		return "", false
	}
	return strings.TrimSuffix(string(b), "\n"), true
}

// fromStoredText reads back a node that storedText rendered. The empty
// text is a null written as nothing ("key:").
func fromStoredText(s string) (*yaml.Node, bool) {
	if s == "" {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, true
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	n := doc.Content[0]
	if doc.HeadComment != "" { // a comment above the first key, which it belongs to
		first := n
		if len(n.Content) > 0 && n.Style&yaml.FlowStyle == 0 {
			first = n.Content[0]
		}
		first.HeadComment = strings.TrimSpace(doc.HeadComment + "\n\n" + first.HeadComment)
	}
	return n, true
}

// storeNode keeps n in a record as its YAML text, a JSON string; one
// with anchors or aliases is kept as JSON, as records before text did.
func storeNode(n *yaml.Node) json.RawMessage {
	if text, ok := storedText(n); ok {
		b, _ := json.Marshal(text) // strings always marshal
		return b
	}
	return nodeJSON(n)
}

// loadNode reads a node storeNode kept: YAML text, or JSON (also what
// older records hold).
func loadNode(raw json.RawMessage) (*yaml.Node, bool) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return fromStoredText(text)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil || len(n.Content) != 1 {
		return nil, false
	}
	return fromJSON(n.Content[0]), true
}

// withoutOuterComments copies n without the comments before its first
// line and after its last value.
func withoutOuterComments(n *yaml.Node) *yaml.Node {
	c := node.Copy(n)
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	for f := c; len(f.Content) > 0; {
		f = f.Content[0]
		f.HeadComment = ""
	}
	for l := c; len(l.Content) > 0; {
		l = l.Content[len(l.Content)-1]
		l.LineComment, l.FootComment = "", ""
	}
	return c
}

func hasAnchors(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAnchors(c) {
			return true
		}
	}
	return false
}

// Keys of Entry.Found that are not a container's ("<container>:env").
const (
	foundMetadata       = "metadata"
	foundAnnotations    = "metadata.annotations"
	foundClaimTemplates = "volumeClaimTemplates"
)

// foundPlaces are the collections podgraft may create or fill in a pod
// template, by their Entry.Found key, with the mapping that holds each
// and its key there.
func foundPlaces(t Template) map[string]struct {
	m   *yaml.Node
	key string
} {
	type place = struct {
		m   *yaml.Node
		key string
	}
	tmpl := t.Node.YNode()
	out := map[string]place{
		foundMetadata:    {tmpl, "metadata"},
		foundAnnotations: {node.Lookup(tmpl, "metadata"), "annotations"},
	}
	spec := node.Lookup(tmpl, "spec")
	for _, list := range []string{"initContainers", "containers", "volumes"} {
		out["spec."+list] = place{spec, list}
	}
	if t.Node != t.Resource {
		out[foundClaimTemplates] = place{node.Lookup(t.Resource.YNode(), "spec"), "volumeClaimTemplates"}
	}
	for _, c := range allContainers(spec) {
		for _, key := range []string{"volumeMounts", "env"} {
			out[c.name()+":"+key] = place{c.node, key}
		}
	}
	return out
}

// foundEmpty returns, as written, the empty or null collections where
// the steps may add, and those other entries of the record found: that
// a list was "[]" before any graft filled it is known to every graft
// present, so that whichever is taken out last puts it back.
func (p *pod) foundEmpty() map[string]string {
	// The graft just taken out, to be applied again, found the record's
	// metadata and annotations: the record is still there.
	found := maps.Clone(p.lastFound)
	if found == nil {
		found = map[string]string{}
	}
	for _, e := range p.rec {
		for k, v := range e.Found {
			found[k] = v
		}
	}
	for k, pl := range foundPlaces(p.t) {
		if v := node.Lookup(pl.m, pl.key); v != nil && emptyOrNull(v) {
			if text, ok := storedText(v); ok {
				found[k] = text
			}
		}
	}
	return found
}

// keepFound keeps of found what the entry must remember: the collections
// now filled. The record itself fills the metadata and annotations.
func (p *pod) keepFound(found map[string]string) map[string]string {
	places := foundPlaces(p.t)
	for k := range found {
		if k == foundMetadata || k == foundAnnotations {
			continue
		}
		pl, ok := places[k]
		if v := node.Lookup(pl.m, pl.key); !ok || v == nil || emptyOrNull(v) {
			delete(found, k)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return found
}

func emptyOrNull(v *yaml.Node) bool {
	return node.IsNull(v) || (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0
}

// removeIfEmpty takes key out of m when its value is an empty list or
// map, as node.RemoveIfEmpty does, unless the record found it there
// empty or null: then it gets that value back, as written.
func removeIfEmpty(m *yaml.Node, key string, found map[string]string, foundKey string) {
	v := node.Lookup(m, key)
	if text, ok := found[foundKey]; ok && v != nil && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 {
		if n, ok := fromStoredText(text); ok {
			node.Set(m, key, n)
			return
		}
	}
	node.RemoveIfEmpty(m, key)
}

// serviceFound is foundEmpty for a Service's record: its annotations, as
// written, when they are empty or null, and what its entries found.
func serviceFound(svc *yaml.RNode, rec serviceRecord) map[string]string {
	found := map[string]string{}
	for _, e := range rec {
		for k, v := range e.Found {
			found[k] = v
		}
	}
	if v := node.Lookup(node.Lookup(svc.YNode(), "metadata"), "annotations"); v != nil && emptyOrNull(v) {
		if text, ok := storedText(v); ok {
			found[foundAnnotations] = text
		}
	}
	if len(found) == 0 {
		return nil
	}
	return found
}
