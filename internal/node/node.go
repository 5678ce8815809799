// Package node holds podgraft's helpers over yaml.v3 nodes, once. podgraft
// edits documents in place and must leave every key it did not add where
// it was, so it works on the nodes directly instead of round-tripping
// through typed structs. Where kyaml has a helper (IsYNodeTaggedNull, the
// YAML 1.1 string checks) these use it.
package node

import (
	"hash"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Lookup returns the value of key in mapping m, or nil, the way the API
// server reads it: through aliases, and through merge keys (`<<: *base`)
// for a key m does not set itself. The value may be shared with other
// places of the document: write only into nodes Unshare made the
// edited place's own.
func Lookup(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	merges := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; isMergeKey(k) {
			merges = true
		} else if k.Value == key {
			return resolve(m.Content[i+1])
		}
	}
	if !merges {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !isMergeKey(m.Content[i]) {
			continue
		}
		// <<: *a merges a; <<: [*a, *b] merges a, then b.
		switch src := resolve(m.Content[i+1]); {
		case src == nil:
		case src.Kind == yaml.MappingNode:
			if v := Lookup(src, key); v != nil {
				return v
			}
		case src.Kind == yaml.SequenceNode:
			for _, el := range src.Content {
				if v := Lookup(el, key); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// Keys lists the keys of mapping m as the API server reads them: its
// own, then those its merge keys bring in.
func Keys(m *yaml.Node) []string {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; isMergeKey(k) {
			merged = append(merged, m.Content[i+1])
		} else {
			add(k.Value)
		}
	}
	for _, v := range merged {
		switch v = resolve(v); {
		case v == nil:
		case v.Kind == yaml.MappingNode:
			for _, k := range Keys(v) {
				add(k)
			}
		case v.Kind == yaml.SequenceNode:
			for _, el := range v.Content {
				for _, k := range Keys(el) {
					add(k)
				}
			}
		}
	}
	return out
}

// isMergeKey reports whether k is a YAML merge key ("<<").
func isMergeKey(k *yaml.Node) bool { return k.Value == "<<" && k.Tag == "!!merge" }

// Value returns the non-null value of key in mapping m, or nil.
func Value(m *yaml.Node, key string) *yaml.Node {
	if v := Lookup(m, key); v != nil && !IsNull(v) {
		return v
	}
	return nil
}

// Str returns the scalar value of key in m, or "" when it is missing, null
// or not a scalar.
func Str(m *yaml.Node, key string) string {
	return Scalar(Lookup(m, key))
}

// Scalar returns a scalar's value, or "" for nil, null and non-scalars.
func Scalar(v *yaml.Node) string {
	if v == nil || v.Kind != yaml.ScalarNode || IsNull(v) {
		return ""
	}
	return v.Value
}

// IsNull reports whether n is a null scalar (`key:`, `null`, `~`).
func IsNull(n *yaml.Node) bool { return yaml.IsYNodeTaggedNull(n) }

// MissingOrNull reports whether n is absent or null.
func MissingOrNull(n *yaml.Node) bool { return n == nil || IsNull(n) }

// Kind names a node's kind for messages: "mapping", "list", "scalar", "null".
func Kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if IsNull(n) {
			return "null"
		}
		return "scalar"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// New returns an empty node of the given kind.
func New(kind yaml.Kind) *yaml.Node {
	switch kind {
	case yaml.SequenceNode:
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	case yaml.MappingNode:
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
}

// Key returns a mapping key node.
func Key(name string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
}

// Ensure returns the value of key in m, appending key with an empty value
// of the given kind when it is missing or null.
func Ensure(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if IsNull(v) {
				if k := m.Content[i]; k.LineComment == "" {
					// "key: ~ # none": the comment stays on the key's line.
					k.LineComment, v.LineComment = v.LineComment, ""
				}
				*v = *New(kind)
			}
			return v
		}
	}
	v := New(kind)
	m.Content = append(m.Content, Key(key), v)
	return v
}

// SetString sets key in m to a string scalar, appending it when missing,
// quoted when YAML would read it as something else.
func SetString(m *yaml.Node, key, value string) {
	v := Ensure(m, key, yaml.ScalarNode)
	*v = *String(value)
}

// String returns a string scalar, double quoted when YAML 1.1 (which
// kubectl and Helm use) would read it as something other than a string.
func String(value string) *yaml.Node {
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	if maybeNonString(value) && (yaml.IsYaml1_1NonString(v) || yaml.IsIdxNumber(value)) {
		v.Style = yaml.DoubleQuotedStyle
	}
	return v
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

// Bool returns a boolean scalar.
func Bool(v bool) *yaml.Node {
	s := "false"
	if v {
		s = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}
}

// Unshare makes the subtree at n the edited place's own, before podgraft
// edits it: within n, every alias is replaced by a copy of what it refers
// to, and every merge key by the keys it merges in (those n's mapping does
// not set itself, at the merge key's place); elsewhere under root, every
// alias of an anchor inside n is replaced by a copy of it, taken before
// any edit. What the API server reads does not change, and no other
// container or workload changes when n is edited. Anchors in n are
// dropped, since nothing refers to them any more. Unshare returns what it
// did, for Reshare; nil for a tree without aliases and merge keys, which
// is left as it is.
func Unshare(root, n *yaml.Node) *Shared {
	if !hasSharing(root) {
		return nil
	}
	s := &Shared{}
	inside := map[*yaml.Node]bool{}
	walk(n, func(x *yaml.Node) { inside[x] = true })
	// Aliases outside n that refer into n get their own copies first.
	var outside func(x *yaml.Node)
	outside = func(x *yaml.Node) {
		if x == n {
			return
		}
		for i, c := range x.Content {
			if c.Kind == yaml.AliasNode && c.Alias != nil && inside[c.Alias] {
				x.Content[i] = expand(c.Alias)
				s.aliases = append(s.aliases, expansion{parent: x, alias: c, copy: x.Content[i]})
				continue
			}
			outside(c)
		}
	}
	outside(root)
	s.unshareWithin(n)
	return s
}

// Shared is what Unshare replaced: aliases by copies, and anchors it
// dropped.
type Shared struct {
	aliases []expansion
	anchors []anchor
}

type expansion struct {
	parent, alias, copy *yaml.Node
}

type anchor struct {
	node *yaml.Node
	name string
}

// unshareWithin is unshareWithin, noting what it replaces in the original
// tree (not inside the copies it makes).
func (s *Shared) unshareWithin(n *yaml.Node) {
	if n.Anchor != "" {
		s.anchors = append(s.anchors, anchor{node: n, name: n.Anchor})
	}
	n.Anchor = ""
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			n.Content[i] = expand(c.Alias)
			s.aliases = append(s.aliases, expansion{parent: n, alias: c, copy: n.Content[i]})
		}
	}
	if n.Kind == yaml.MappingNode {
		materializeMerges(n)
	}
	for _, c := range n.Content {
		if !slices.ContainsFunc(s.aliases, func(e expansion) bool { return e.copy == c }) {
			s.unshareWithin(c)
		} else {
			unshareWithin(c)
		}
	}
}

// Reshare puts back, after the edits, every alias Unshare replaced whose
// copy is still in place and still equal to what the alias referred to,
// anchor first in document order, and the anchors those aliases need: an
// edit that did not reach shared values leaves the YAML as it was written.
func (s *Shared) Reshare(root *yaml.Node) {
	if s == nil || len(s.aliases) == 0 {
		return
	}
	order := map[*yaml.Node]int{}
	walk(root, func(x *yaml.Node) { order[x] = len(order) })
	needed := map[*yaml.Node]bool{}
	for _, e := range s.aliases {
		target := e.alias.Alias
		i := slices.Index(e.parent.Content, e.copy)
		_, inTree := order[target]
		if _, parentIn := order[e.parent]; !parentIn || i < 0 || !inTree || order[target] > order[e.copy] || !Equal(e.copy, target) {
			continue
		}
		e.parent.Content[i] = e.alias
		needed[target] = true
	}
	for _, a := range s.anchors {
		if needed[a.node] {
			a.node.Anchor = a.name
		}
	}
}

// HasSharing reports whether the tree holds an alias or a merge key.
func HasSharing(n *yaml.Node) bool { return hasSharing(n) }

// Clone copies a tree exactly, aliases included: an alias of an anchor
// inside the tree refers to the anchor's copy.
func Clone(n *yaml.Node) *yaml.Node {
	out, _ := CloneFind(n, nil)
	return out
}

// CloneFind is Clone that also returns the copy of find, a node inside n
// (nil when it is not there).
func CloneFind(n, find *yaml.Node) (clone, found *yaml.Node) {
	copies := map[*yaml.Node]*yaml.Node{}
	var cloneNode func(*yaml.Node) *yaml.Node
	cloneNode = func(x *yaml.Node) *yaml.Node {
		c := *x
		copies[x] = &c
		if len(x.Content) > 0 {
			c.Content = make([]*yaml.Node, len(x.Content))
			for i, ch := range x.Content {
				c.Content[i] = cloneNode(ch)
			}
		}
		return &c
	}
	out := cloneNode(n)
	walk(out, func(x *yaml.Node) {
		if x.Kind == yaml.AliasNode && copies[x.Alias] != nil {
			x.Alias = copies[x.Alias]
		}
	})
	return out, copies[find]
}

// hasSharing reports whether the tree holds an alias or a merge key.
func hasSharing(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.AliasNode || n.Kind == yaml.ScalarNode && isMergeKey(n) {
		return true
	}
	for _, c := range n.Content {
		if hasSharing(c) {
			return true
		}
	}
	return false
}

func walk(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	if n.Kind == yaml.AliasNode {
		return
	}
	for _, c := range n.Content {
		walk(c, f)
	}
}

// expand copies what an alias refers to, aliases and merges inside it
// expanded too, without anchors.
func expand(target *yaml.Node) *yaml.Node {
	c := Copy(target)
	unshareWithin(c)
	return c
}

func unshareWithin(n *yaml.Node) {
	n.Anchor = ""
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			n.Content[i] = expand(c.Alias)
		}
	}
	if n.Kind == yaml.MappingNode {
		materializeMerges(n)
	}
	for _, c := range n.Content {
		unshareWithin(c)
	}
}

// materializeMerges replaces m's merge keys with the keys they bring in
// that m does not set itself, in the order the merge gives them.
func materializeMerges(m *yaml.Node) {
	own := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !isMergeKey(m.Content[i]) {
			own[m.Content[i].Value] = true
		}
	}
	var content []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !isMergeKey(k) {
			content = append(content, k, v)
			continue
		}
		var sources []*yaml.Node
		switch v = resolve(v); {
		case v == nil:
		case v.Kind == yaml.MappingNode:
			sources = []*yaml.Node{v}
		case v.Kind == yaml.SequenceNode:
			for _, el := range v.Content {
				sources = append(sources, resolve(el))
			}
		}
		for _, src := range sources {
			if src == nil || src.Kind != yaml.MappingNode {
				continue
			}
			src = expand(src) // its own merges and aliases too
			for j := 0; j+1 < len(src.Content); j += 2 {
				if key := src.Content[j].Value; !own[key] {
					own[key] = true
					content = append(content, src.Content[j], src.Content[j+1])
				}
			}
		}
	}
	m.Content = content
}

// Set sets key in m to value, appending it when missing.
func Set(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	m.Content = append(m.Content, Key(key), value)
}

// Insert puts key: value into m at pair index at (0 is the front).
func Insert(m *yaml.Node, at int, key string, value *yaml.Node) {
	i := 2 * at
	m.Content = append(m.Content, nil, nil)
	copy(m.Content[i+2:], m.Content[i:])
	m.Content[i], m.Content[i+1] = Key(key), value
}

// Remove deletes key from m and returns its value.
func Remove(m *yaml.Node, key string) *yaml.Node {
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

// RemoveIfEmpty deletes key from m when its value is an empty list or map:
// podgraft created it, and removal must leave the document as it was.
func RemoveIfEmpty(m *yaml.Node, key string) {
	v := Lookup(m, key)
	if v != nil && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 {
		Remove(m, key)
	}
}

// IndexByName returns the index of the element of seq whose name is name,
// or -1.
func IndexByName(seq *yaml.Node, name string) int {
	if seq == nil {
		return -1
	}
	for i, el := range seq.Content {
		if Str(el, "name") == name {
			return i
		}
	}
	return -1
}

// RemoveByName deletes the elements of seq whose name is in names.
func RemoveByName(seq *yaml.Node, names map[string]bool) {
	if seq == nil || seq.Kind != yaml.SequenceNode || len(names) == 0 {
		return
	}
	kept := seq.Content[:0]
	for _, el := range seq.Content {
		if !names[Str(el, "name")] {
			kept = append(kept, el)
		}
	}
	seq.Content = kept
}

// InsertAt puts el into seq at index i.
func InsertAt(seq *yaml.Node, i int, el *yaml.Node) {
	seq.Content = append(seq.Content, nil)
	copy(seq.Content[i+1:], seq.Content[i:])
	seq.Content[i] = el
}

// Plain copies a node tree from a config for insertion into a document:
// no comments, no flow style, no anchors, aliases expanded, so that the
// grafted parts look like the document around them and encode the same
// way every time.
func Plain(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return Plain(n.Alias)
	}
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value}
	if n.Kind == yaml.ScalarNode {
		c.Style = n.Style &^ yaml.FlowStyle
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = Plain(ch)
		}
	}
	return c
}

// SpellNulls gives every empty null inside a flow collection the text
// "null" before n is encoded: yaml.v3 writes an empty plain scalar in flow
// style as an empty quoted string, which would turn `{a: }` into `{a: ""}`
// in meaning.
func SpellNulls(n *yaml.Node) { spellNulls(n, false) }

func spellNulls(n *yaml.Node, flow bool) {
	flow = flow || n.Style&yaml.FlowStyle != 0
	switch n.Kind {
	case yaml.AliasNode:
		return // its anchor's node is reached where it stands
	case yaml.ScalarNode:
		if flow && n.Value == "" && n.Tag == "!!null" {
			n.Value = "null"
		}
	}
	for _, c := range n.Content {
		spellNulls(c, flow)
	}
}

// Copy copies a node tree exactly: styles, comments and positions too.
// Aliases are copied as aliases of the same anchors.
func Copy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = Copy(ch)
		}
	}
	return &c
}

// Equal reports whether a and b hold the same data, the way the API server
// would read them: mappings by key whatever the order, lists in order,
// scalars by tag and value; comments, styles and aliases do not count.
func Equal(a, b *yaml.Node) bool {
	a, b = resolve(a), resolve(b)
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		return a.Value == b.Value && scalarTag(a) == scalarTag(b)
	case yaml.SequenceNode:
		if len(a.Content) != len(b.Content) {
			return false
		}
		for i := range a.Content {
			if !Equal(a.Content[i], b.Content[i]) {
				return false
			}
		}
		return true
	case yaml.MappingNode:
		if len(a.Content) != len(b.Content) {
			return false
		}
		for i := 0; i+1 < len(a.Content); i += 2 {
			if !Equal(a.Content[i+1], Lookup(b, a.Content[i].Value)) {
				return false
			}
		}
		return true
	case yaml.DocumentNode:
		return len(a.Content) == len(b.Content) && (len(a.Content) == 0 || Equal(a.Content[0], b.Content[0]))
	}
	return false
}

// Covers reports whether actual holds every value desired holds (the
// skip nodes of desired aside):
// mappings may have more keys (the defaults the API server fills in, a
// field another tool adds), lists must have the same items in order, each
// covering, and scalars must be equal. It is how a grafted part is found
// to be still what the graft adds, in a pod read back from a cluster too.
func Covers(actual, desired *yaml.Node, skip ...*yaml.Node) bool {
	actual, desired = resolve(actual), resolve(desired)
	if desired != nil && slices.Contains(skip, desired) {
		return true
	}
	if actual == nil || desired == nil {
		return actual == desired
	}
	if actual.Kind != desired.Kind {
		return false
	}
	switch desired.Kind {
	case yaml.ScalarNode:
		return actual.Value == desired.Value && scalarTag(actual) == scalarTag(desired)
	case yaml.SequenceNode:
		if len(actual.Content) != len(desired.Content) {
			return false
		}
		for i := range desired.Content {
			if !Covers(actual.Content[i], desired.Content[i], skip...) {
				return false
			}
		}
		return true
	case yaml.MappingNode:
		for _, key := range Keys(desired) {
			if !Covers(Lookup(actual, key), Lookup(desired, key), skip...) {
				return false
			}
		}
		return true
	case yaml.DocumentNode:
		return len(actual.Content) == len(desired.Content) && (len(desired.Content) == 0 || Covers(actual.Content[0], desired.Content[0], skip...))
	}
	return false
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// scalarTag is the tag a scalar resolves to: an explicit tag, or the one
// YAML's core schema gives its plain value.
func scalarTag(n *yaml.Node) string {
	if n.Tag != "" {
		return n.ShortTag()
	}
	return "!!str"
}

// Path joins field path segments the way Kubernetes prints them:
// spec.template.spec.containers[1].name. Empty segments are skipped.
func Path(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Fingerprint hashes the data of n the way Equal compares it (mappings by
// key whatever the order, lists in order, scalars by tag and value), so
// that two trees can be compared by keeping only a number. The skip nodes
// are left out (with their keys, when they are mapping values).
func Fingerprint(n *yaml.Node, skip ...*yaml.Node) uint64 {
	h := fnv.New64a()
	fingerprint(h, n, skip)
	return h.Sum64()
}

func fingerprint(h hash.Hash64, n *yaml.Node, skip []*yaml.Node) {
	n = resolve(n)
	if n == nil {
		_, _ = h.Write([]byte{0})
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			fingerprint(h, c, skip)
		}
	case yaml.SequenceNode:
		_, _ = h.Write([]byte{'['})
		for _, c := range n.Content {
			if slices.Contains(skip, c) {
				continue
			}
			fingerprint(h, c, skip)
			_, _ = h.Write([]byte{','})
		}
		_, _ = h.Write([]byte{']'})
	case yaml.MappingNode:
		// Keys in sorted order: the order of keys carries no data.
		idx := make([]int, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !slices.Contains(skip, n.Content[i+1]) {
				idx = append(idx, i)
			}
		}
		sort.Slice(idx, func(a, b int) bool { return n.Content[idx[a]].Value < n.Content[idx[b]].Value })
		_, _ = h.Write([]byte{'{'})
		for _, i := range idx {
			_, _ = h.Write([]byte(n.Content[i].Value))
			_, _ = h.Write([]byte{':'})
			fingerprint(h, n.Content[i+1], skip)
			_, _ = h.Write([]byte{','})
		}
		_, _ = h.Write([]byte{'}'})
	default:
		_, _ = h.Write([]byte(scalarTag(n)))
		_, _ = h.Write([]byte{' '})
		_, _ = h.Write([]byte(n.Value))
		_, _ = h.Write([]byte{0})
	}
}
