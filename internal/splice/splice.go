// Package splice writes a changed YAML document as its original bytes with
// the edits made to its parsed tree spliced in, so that the output differs
// from the input only where the tree was changed: comments, quoting, key
// order, indentation and line endings of everything else are kept.
//
// Record takes a snapshot of a document as parsed; the caller then edits
// the tree in place (inserting, removing, replacing and reordering nodes);
// Splice compares the tree with the snapshot and turns each difference
// into a byte splice of the input. Only the new fragments are encoded,
// in the style of their siblings. An edit that cannot be spliced safely
// makes Splice return an error wrapping ErrUnsupported, and the caller
// encodes the document whole instead.
package splice

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrUnsupported is wrapped by the error Splice returns when an edit
// cannot be spliced safely; the document must then be encoded whole.
var ErrUnsupported = errors.New("edit cannot be spliced")

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Original is what Splice needs to know of a document as parsed, taken
// before any edit: the steps edit the tree in place, overwriting nodes and
// the backing arrays of Content slices.
type Original struct {
	src   []byte
	snaps []snap           // every node reachable through Content, in document order
	kids  []*yaml.Node     // the original Content of every node, one after the other
	rare  map[int32]string // the tags not in tags, by snap
}

// snap is one node as parsed, in 48 bytes: a stream records every node.
type snap struct {
	node      *yaml.Node
	value     string
	line, col int32
	kids      int32 // its Content is kids[kids : kids+nkids]
	nkids     int32
	size      int32 // snaps in its subtree, itself included
	tag       uint8 // an index in tags, or rareTag
	k         uint8 // the yaml.Kind
	st        uint8 // the yaml.Style
	anchored  bool  // it has an anchor (which an in-place edit would drop)
}

func (sn *snap) kind() yaml.Kind   { return yaml.Kind(sn.k) }
func (sn *snap) style() yaml.Style { return yaml.Style(sn.st) }

// tags are the tags nodes have; any other is kept in Original.rare.
var tags = []string{"", "!!str", "!!int", "!!bool", "!!null", "!!float", "!!map", "!!seq", "!!binary", "!!timestamp", "!!merge"}

const rareTag = 255

func tagCode(tag string) uint8 {
	for i, t := range tags {
		if t == tag {
			return uint8(i)
		}
	}
	return rareTag
}

// Record snapshots doc, the DocumentNode parsed from src. It costs one
// walk over the tree and no look at src.
func Record(src []byte, doc *yaml.Node) *Original {
	n := count(doc)
	o := originals.Get().(*Original)
	if c := cap(o.snaps); c < n || c > 2*n+64 {
		// Not this size: a small document kept to the end of the stream
		// (a Service, say) must not hold a big one's memory.
		originals.Put(o)
		o = &Original{snaps: make([]snap, 0, n), kids: make([]*yaml.Node, 0, n)}
	}
	o.src = src
	o.record(doc)
	return o
}

// count returns the number of nodes reachable from n through Content.
func count(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += count(k)
	}
	return c
}

// originals keeps released snapshots' memory for the next Record: a
// stream records every document it parses.
var originals = sync.Pool{New: func() any { return new(Original) }}

// Release gives o's memory back for a later Record to reuse. o must not
// be used after.
func (o *Original) Release() {
	if o == nil {
		return
	}
	clear(o.snaps) // drop the nodes, for the collector
	clear(o.kids)
	o.src, o.snaps, o.kids, o.rare = nil, o.snaps[:0], o.kids[:0], nil
	originals.Put(o)
}

func (o *Original) record(n *yaml.Node) {
	i := len(o.snaps)
	tag := tagCode(n.Tag)
	if tag == rareTag {
		if o.rare == nil {
			o.rare = map[int32]string{}
		}
		o.rare[int32(i)] = n.Tag
	}
	o.snaps = append(o.snaps, snap{
		node: n, value: n.Value,
		line: int32(n.Line), col: int32(n.Column),
		kids: int32(len(o.kids)), nkids: int32(len(n.Content)),
		tag: tag, k: uint8(n.Kind), st: uint8(n.Style), anchored: n.Anchor != "",
	})
	o.kids = append(o.kids, n.Content...)
	for _, c := range n.Content {
		o.record(c)
	}
	o.snaps[i].size = int32(len(o.snaps) - i)
}

// tag returns the tag snap i had.
func (o *Original) tag(i int) string {
	if t := o.snaps[i].tag; t != rareTag {
		return tags[t]
	}
	return o.rare[int32(i)]
}

// content returns the original Content of snap i.
func (o *Original) content(i int) []*yaml.Node {
	s := &o.snaps[i]
	return o.kids[s.kids : s.kids+s.nkids]
}

// children returns the snap indices of the original Content of snap i.
func (o *Original) children(i int) []int {
	s := &o.snaps[i]
	out := make([]int, s.nkids)
	c := i + 1
	for k := range out {
		out[k] = c
		c += int(o.snaps[c].size)
	}
	return out
}

// Splice returns the input with the edits made to doc since Record spliced
// in; the bytes of everything not edited are kept as they were. doc must
// be the DocumentNode given to Record. When nothing changed it returns the
// input itself.
func (o *Original) Splice(doc *yaml.Node) ([]byte, error) {
	if len(o.snaps) == 0 || o.snaps[0].node != doc || doc.Kind != yaml.DocumentNode {
		return nil, unsupported("not the document that was recorded")
	}
	if len(doc.Content) != 1 || o.snaps[0].nkids != 1 || doc.Content[0] != o.kids[0] {
		return nil, unsupported("the document root was replaced")
	}
	if o.changed(1) {
		return nil, unsupported("the document root was changed in place")
	}
	t, err := newText(o.src)
	if err != nil {
		return nil, err
	}
	s := &splicer{o: o, t: t, nl: t.nl}
	if isFlow(&o.snaps[1]) {
		// A flow root (JSON) must be all there is: yaml.v3 reads past
		// text after it that it would not read again once edited.
		end, err := s.end(1, -1, false)
		if err != nil {
			return nil, err
		}
		if rest := s.t.skipSpace(end); rest < len(o.src) && !bytes.HasPrefix(o.src[rest:], []byte("...")) {
			return nil, unsupported("text after the document's flow collection")
		}
	}
	if err := s.visit(1, ctx{parent: -1, key: -1}); err != nil { // snap 1 is the root
		return nil, err
	}
	return s.apply()
}

// changed reports whether snap i's node was changed in place since it
// was recorded.
func (o *Original) changed(i int) bool {
	sn := &o.snaps[i]
	n := sn.node
	if n.Kind != sn.kind() || n.Style != sn.style() || n.Value != sn.value || (n.Anchor != "") != sn.anchored {
		return true
	}
	if sn.tag != rareTag {
		return n.Tag != tags[sn.tag]
	}
	return n.Tag != o.rare[int32(i)]
}

// edit replaces src[start:end] with text; start == end inserts.
type edit struct {
	start, end int
	text       string
}

// apply writes the input with the edits made.
func (s *splicer) apply() ([]byte, error) {
	if len(s.edits) == 0 {
		return s.o.src, nil
	}
	// Edits are made in document order; a stable sort puts an insertion
	// before a removal that starts where it goes.
	slices.SortStableFunc(s.edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return (a.end - a.start) - (b.end - b.start)
	})
	s.mergeRemovals()
	// Whole last lines of an input that does not end with a line break go
	// with the break before them, so that the output does not end with one.
	if last := &s.edits[len(s.edits)-1]; last.text == "" && last.end == len(s.o.src) && !s.t.endsWithBreak() &&
		last.start > s.t.lines[0] && s.o.src[last.start-1] == '\n' {
		last.start--
		if last.start > 0 && s.o.src[last.start-1] == '\r' {
			last.start--
		}
		s.mergeRemovals()
	}
	size := len(s.o.src)
	for i, e := range s.edits {
		if e.start > e.end || e.end > len(s.o.src) || (i > 0 && e.start < s.edits[i-1].end) {
			return nil, unsupported("overlapping edits")
		}
		size += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, size)
	at := 0
	for _, e := range s.edits {
		out = append(out, s.o.src[at:e.start]...)
		out = append(out, e.text...)
		at = e.end
	}
	return append(out, s.o.src[at:]...), nil
}

// mergeRemovals joins removals that overlap: those of adjacent last lines
// share a line break.
func (s *splicer) mergeRemovals() {
	merged := s.edits[:1]
	for _, e := range s.edits[1:] {
		last := &merged[len(merged)-1]
		if e.start <= last.end && e.text == "" && last.text == "" {
			last.end = max(last.end, e.end)
			continue
		}
		merged = append(merged, e)
	}
	s.edits = merged
}
