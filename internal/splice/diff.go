package splice

import (
	"bytes"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// splicer compares the edited tree with its snapshot and collects the
// edits of the input that make the difference.
type splicer struct {
	o     *Original
	t     *text
	nl    string
	edits []edit
	path  []frame // the collections being visited, outermost first

	step    int         // the document's mapping indentation step; 0 until known
	seqOffs map[int]int // sequence indentation near a collection, by snap
	seqs    *seqStyles  // sequence indentation by key name and column; nil until known
	json    *jsonStyle  // for a JSON document; nil until known
	jsonOK  bool        // json was looked for
}

// frame is a collection being visited, and where it sits.
type frame struct {
	i int
	c ctx
}

// ctx says where a node sits.
type ctx struct {
	parent int  // snap of the collection holding it; -1 for the root
	key    int  // snap of its key when it is a mapping value; else -1
	flow   bool // inside a flow collection
}

func (s *splicer) add(start, end int, text string) {
	s.edits = append(s.edits, edit{start: start, end: end, text: text})
}

// visit compares collection i, which is where it was, with its snapshot.
func (s *splicer) visit(i int, c ctx) error {
	sn := &s.o.snaps[i]
	n := sn.node
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return nil
	}
	flow := c.flow || isFlow(sn)
	s.path = append(s.path, frame{i: i, c: c})
	defer func() { s.path = s.path[:len(s.path)-1] }()
	if !slices.Equal(n.Content, s.o.content(i)) {
		return s.diff(i, flow)
	}
	k := i + 1
	if n.Kind == yaml.SequenceNode {
		for range n.Content {
			if err := s.keep(k, ctx{parent: i, key: -1, flow: flow}); err != nil {
				return err
			}
			k += int(s.o.snaps[k].size)
		}
		return nil
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		key := k
		k += int(s.o.snaps[k].size)
		if s.o.changed(key) {
			if err := s.replaceKey(key, i, flow); err != nil {
				return err
			}
		}
		if err := s.keep(k, ctx{parent: i, key: key, flow: flow}); err != nil {
			return err
		}
		k += int(s.o.snaps[k].size)
	}
	return nil
}

// keep handles a node that is still where it was: changed in place, or
// not (but maybe below).
func (s *splicer) keep(i int, c ctx) error {
	if s.o.changed(i) {
		return s.replace(i, s.o.snaps[i].node, c)
	}
	return s.visit(i, c)
}

// diff turns the changes to the Content of collection i into edits. Its
// units (pairs of a mapping, items of a sequence) are matched with the
// original ones by pointer; the longest run of them still in their order
// is kept, and the rest is taken out of where it was and written where it
// now is.
func (s *splicer) diff(i int, flow bool) error {
	sn := &s.o.snaps[i]
	n := sn.node
	kids := s.o.children(i)
	stride := 1
	if n.Kind == yaml.MappingNode {
		stride = 2
		if len(n.Content)%2 != 0 {
			return unsupported("a mapping with an odd number of nodes")
		}
	}
	orig := len(kids) / stride
	cur := len(n.Content) / stride
	match := make([]int, cur) // the original unit of each current one, or -1
	var index map[*yaml.Node]int
	if orig > 8 {
		index = make(map[*yaml.Node]int, orig)
		for u := range orig {
			index[s.o.snaps[kids[u*stride]].node] = u
		}
	}
	used := make([]bool, orig)
	for u := range cur {
		p := n.Content[u*stride]
		match[u] = -1
		if index != nil {
			if j, ok := index[p]; ok {
				match[u] = j
			}
		} else {
			for j := range orig {
				if s.o.snaps[kids[j*stride]].node == p {
					match[u] = j
					break
				}
			}
		}
		if j := match[u]; j >= 0 {
			if used[j] {
				return unsupported("a node that appears twice")
			}
			used[j] = true
		}
	}
	kept := s.keepers(kids, stride, match)
	moved := make([]bool, orig) // original units that go elsewhere in i, unchanged: they keep their text
	for u, j := range match {
		if j >= 0 && !kept[u] && s.pure(kids, stride, j) {
			moved[j] = true
		}
	}
	prev := -1
	var pending []int
	for u := range cur {
		if !kept[u] {
			pending = append(pending, u)
			continue
		}
		j := match[u]
		if err := s.gap(i, flow, kids, stride, prev, j, pending, match, moved); err != nil {
			return err
		}
		pending = pending[:0]
		if stride == 1 {
			if err := s.keep(kids[j], ctx{parent: i, key: -1, flow: flow}); err != nil {
				return err
			}
		} else {
			key, val := kids[2*j], kids[2*j+1]
			if s.o.changed(key) {
				if err := s.replaceKey(key, i, flow); err != nil {
					return err
				}
			}
			c := ctx{parent: i, key: key, flow: flow}
			var err error
			if v := n.Content[2*u+1]; v == s.o.snaps[val].node {
				err = s.keep(val, c)
			} else {
				err = s.replace(val, v, c)
			}
			if err != nil {
				return err
			}
		}
		prev = j
	}
	return s.gap(i, flow, kids, stride, prev, orig, pending, match, moved)
}

// increasing marks the longest strictly increasing subsequence of the
// matched (>= 0) values: the units that keep their order.
func increasing(match []int) []bool {
	kept := make([]bool, len(match))
	var tails []int // tails[k]: index in match of the smallest tail of a run of length k+1
	prev := make([]int, len(match))
	for u, j := range match {
		if j < 0 {
			continue
		}
		k, _ := slices.BinarySearchFunc(tails, j, func(t, j int) int { return match[t] - j })
		if k > 0 {
			prev[u] = tails[k-1]
		} else {
			prev[u] = -1
		}
		if k == len(tails) {
			tails = append(tails, u)
		} else {
			tails[k] = u
		}
	}
	if len(tails) > 0 {
		for u := tails[len(tails)-1]; u >= 0; u = prev[u] {
			kept[u] = true
		}
	}
	return kept
}

// gap edits what lies between the kept original units prev and next of
// collection i (-1 and the unit count at the ends): the original units
// between them go, the current units pending go in.
func (s *splicer) gap(i int, flow bool, kids []int, stride, prev, next int, pending, match []int, moved []bool) error {
	if next-prev-1 == 0 && len(pending) == 0 {
		return nil
	}
	for u := prev + 1; u < next; u++ {
		for k := range stride {
			if err := s.noAnchors(kids[u*stride+k]); err != nil {
				return err
			}
		}
	}
	if flow {
		return s.flowGap(i, kids, stride, prev, next, pending, match, moved)
	}
	return s.blockGap(i, kids, stride, prev, next, pending, match, moved)
}

func hasProps(sn *snap) bool { return sn.style()&yaml.TaggedStyle != 0 || sn.anchored }

// noAnchors refuses to take out a node whose subtree holds an anchor: an
// alias elsewhere may still refer to it.
func (s *splicer) noAnchors(i int) error {
	end := i + int(s.o.snaps[i].size)
	for j := i; j < end; j++ {
		if s.o.snaps[j].anchored {
			return unsupported("removing or replacing a node that holds an anchor")
		}
	}
	return nil
}

// unit returns where original unit u of collection i starts and ends.
func (s *splicer) unit(i int, kids []int, stride, u int, flow bool) (start, end int, err error) {
	first := kids[u*stride]
	last := kids[u*stride+stride-1]
	if flow {
		if start, err = s.start(first); err != nil {
			return 0, 0, err
		}
		end, err = s.end(last, 0, true)
		return start, end, err
	}
	if start, err = s.unitStart(i, first); err != nil {
		return 0, 0, err
	}
	col, err := s.itemCol(i)
	if err != nil {
		return 0, 0, err
	}
	end, err = s.end(last, col, false)
	return start, end, err
}

// blockGap is gap for a block collection: whole lines go and come.
func (s *splicer) blockGap(i int, kids []int, stride, prev, next int, pending, match []int, moved []bool) error {
	t := s.t
	orig := len(kids) / stride
	col, err := s.itemCol(i)
	if err != nil {
		return err
	}
	var lines string
	var last *emitter // how the new text ends
	if len(pending) > 0 {
		if lines, last, err = s.blockUnits(i, col, kids, stride, pending, match, moved); err != nil {
			return err
		}
	}
	if prev < 0 && next == orig && orig > 0 { // every original unit goes
		a, _, err := s.unit(i, kids, stride, 0, false)
		if err != nil {
			return err
		}
		_, b, err := s.unit(i, kids, stride, orig-1, false)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return s.emptyBlock(i, a, b)
		}
		if last.lastMulti && t.lineEnd(b) > b {
			return unsupported("a block scalar before text on its last line")
		}
		if err := s.blockScalarFits(last, t.nextLine(b), col); err != nil {
			return err
		}
		if t.ownLine(a) {
			s.add(t.lineStart(a), b, lines)
		} else {
			s.add(a, b, lines[col:])
		}
		return nil
	}
	// Each unit that goes takes its own lines: comments between them stay.
	for u := prev + 1; u < next; u++ {
		if err := s.removeBlockUnit(i, kids, stride, u, next, moved[u]); err != nil {
			return err
		}
	}
	if len(pending) == 0 {
		return nil
	}
	if prev >= 0 { // after the previous unit and the comments below it that are indented deeper
		_, pe, err := s.unit(i, kids, stride, prev, false)
		if err != nil {
			return err
		}
		if !t.blankOrComment(pe, t.lineEnd(pe)) {
			return unsupported("text after an item on its line")
		}
		pos := t.nextLine(pe)
		for pos < len(t.src) {
			sp := t.indent(pos)
			if pos+sp < len(t.src) && t.src[pos+sp] == '#' && sp > col {
				pos = t.nextLine(pos)
				continue
			}
			break
		}
		if err := s.blockScalarFits(last, pos, col); err != nil {
			return err
		}
		if pos == len(t.src) && !t.endsWithBreak() {
			last := kids[prev*stride+stride-1]
			last += int(s.o.snaps[last].size) - 1
			if s.o.snaps[last].style()&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				// The break the new lines need would join its value.
				return unsupported("a block scalar that ends an input without a final line break")
			}
			s.add(pos, pos, s.nl+lines)
		} else {
			s.add(pos, pos, lines+s.nl)
		}
		return nil
	}
	// Before the next unit, and above the comments right over it.
	ns, _, err := s.unit(i, kids, stride, next, false)
	if err != nil {
		return err
	}
	if !t.ownLine(ns) {
		s.add(ns, ns, lines[col:]+s.nl+strings.Repeat(" ", col))
		return nil
	}
	pos := t.lineStart(ns)
	for len(s.path) > 1 { // not at the root: its comments head the document
		pl := t.prevLine(pos)
		if pl < 0 {
			break
		}
		if sp := t.indent(pl); sp == col && t.src[pl+sp] == '#' {
			pos = pl
			continue
		}
		break
	}
	s.add(pos, pos, lines+s.nl)
	return nil
}

// removeBlockUnit takes original unit u of block collection i out: its
// whole lines, or when it does not start its line (the first key of
// "- key: v"), up to the kept unit next.
func (s *splicer) removeBlockUnit(i int, kids []int, stride, u, next int, moved bool) error {
	t := s.t
	if moved {
		if from, to, ok := s.movable(i, kids, stride, u); ok {
			s.add(from, t.nextLine(to), "")
			return nil
		}
	}
	a, b, err := s.unit(i, kids, stride, u, false)
	if err != nil {
		return err
	}
	if t.ownLine(a) {
		if !t.blankOrComment(b, t.lineEnd(b)) {
			return unsupported("text after an item on its line")
		}
		s.add(t.lineStart(a), t.nextLine(b), "") // at the end of an input without a final break, apply takes the break before
		return nil
	}
	if u+1 != next || next >= len(kids)/stride {
		return unsupported("removing items that do not start their line")
	}
	nb, _, err := s.unit(i, kids, stride, next, false)
	if err != nil {
		return err
	}
	if !t.blank(b, nb) {
		return unsupported("a comment between removed and kept items")
	}
	s.add(a, nb, "")
	return nil
}

// emptyBlock writes a block collection whose every unit went, spanning
// a to b, as "{}" or "[]", on its key's line when nothing is between.
func (s *splicer) emptyBlock(i, a, b int) error {
	text := "[]"
	if s.o.snaps[i].kind() == yaml.MappingNode {
		text = "{}"
	}
	c := s.path[len(s.path)-1].c
	if c.parent >= 0 {
		ind, err := s.indicatorEnd(c, i)
		if err != nil {
			return err
		}
		if s.t.blank(ind, a) {
			s.add(ind, b, " "+text)
			return nil
		}
	}
	s.add(a, b, text)
	return nil
}

// blockUnits writes the pending units of block collection i at column col,
// one after the other, without a final line break. A unit moved from
// elsewhere in i with nothing changed in it keeps its own lines.
func (s *splicer) blockUnits(i, col int, kids []int, stride int, pending, match []int, moved []bool) (string, *emitter, error) {
	e, err := s.emitter(i)
	if err != nil {
		return "", nil, err
	}
	n := s.o.snaps[i].node
	off := 0
	if n.Kind == yaml.SequenceNode {
		if off, err = s.itemOff(i); err != nil {
			return "", nil, err
		}
	}
	for k, u := range pending {
		if k > 0 {
			e.b = append(e.b, s.nl...)
		}
		if j := match[u]; j >= 0 && moved[j] {
			if from, to, ok := s.movable(i, kids, stride, j); ok {
				e.b = append(e.b, s.t.src[from:s.t.lineEnd(to)]...)
				last := kids[j*stride+stride-1]
				last += int(s.o.snaps[last].size) - 1
				e.lastMulti = s.o.snaps[last].style()&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
				e.lastKeep = e.lastMulti // not known: assume the worst
				continue
			}
		}
		e.spaces(col)
		if n.Kind == yaml.MappingNode {
			err = e.pair(n.Content[2*u], n.Content[2*u+1], col)
		} else {
			err = e.item(n.Content[u], col, off)
		}
		if err != nil {
			return "", nil, err
		}
	}
	return string(e.b), e, nil
}

// blockScalarFits refuses new text that ends with a block scalar where the
// input would change it: at the end of an input without a final line
// break (the scalar's last break is part of its value), or before lines
// of spaces or lines indented deeper than col (which it would take in)
// or, with the keep indicator, before empty lines. p is where the input
// goes on after the new text, col the column of the items it is in.
func (s *splicer) blockScalarFits(e *emitter, p, col int) error {
	t := s.t
	if e == nil || !e.lastMulti {
		return nil
	}
	if p >= len(t.src) && !t.endsWithBreak() {
		return unsupported("a block scalar at the end of an input without a final line break")
	}
	for q := p; q < len(t.src); q = t.nextLine(q) {
		le := t.lineEnd(q)
		if !t.blank(q, le) {
			if t.indent(q) > col { // a deeper line (a comment) it would take in
				return unsupported("a block scalar before lines it would take in")
			}
			break
		}
		if e.lastKeep || le > q {
			return unsupported("a block scalar before empty lines it would take in")
		}
	}
	return nil
}

// movable returns the lines of original unit j of block collection i
// when it moves with its own text: from the comments right above it to
// its end.
func (s *splicer) movable(i int, kids []int, stride, j int) (from, to int, ok bool) {
	a, z, err := s.unit(i, kids, stride, j, false)
	if err != nil || !s.t.ownLine(a) {
		return 0, 0, false
	}
	col := s.t.column(a)
	from = s.t.lineStart(a)
	for {
		pl := s.t.prevLine(from)
		if pl < 0 {
			break
		}
		if sp := s.t.indent(pl); sp == col && s.t.src[pl+sp] == '#' {
			from = pl
			continue
		}
		break
	}
	return from, z, true
}

// pure reports whether original unit j (of kids, by stride) is exactly as
// recorded, all the way down.
func (s *splicer) pure(kids []int, stride, j int) bool {
	for k := range stride {
		i := kids[j*stride+k]
		end := i + int(s.o.snaps[i].size)
		for m := i; m < end; m++ {
			sn := &s.o.snaps[m]
			if s.o.changed(m) || !slices.Equal(sn.node.Content, s.o.content(m)) {
				return false
			}
		}
	}
	return true
}

// inOrder reports whether the matched units keep their original order.
func inOrder(match []int) bool {
	last := -1
	for _, j := range match {
		if j >= 0 {
			if j < last {
				return false
			}
			last = j
		}
	}
	return true
}

// formatted reports whether original unit j carries formatting of its
// own that moving it would disturb: a comment in it, or a comment or an
// empty line right above it. podgraft's own items carry none.
func (s *splicer) formatted(kids []int, stride, j int) bool {
	a, err := s.start(kids[j*stride])
	if err != nil {
		return true
	}
	z, err := s.start(kids[j*stride+stride-1])
	if err != nil {
		return true
	}
	if s.t.hasComment(a, s.t.lineEnd(z)) {
		return true
	}
	last := kids[j*stride+stride-1]
	if end := last + int(s.o.snaps[last].size) - 1; end > last {
		if e, err := s.start(end); err == nil && s.t.hasComment(a, s.t.lineEnd(e)) {
			return true
		}
	}
	pl := s.t.prevLine(s.t.lineStart(a))
	if pl < 0 {
		return false
	}
	sp := s.t.indent(pl)
	le := s.t.lineEnd(pl)
	return pl+sp == le || s.t.src[pl+sp] == '#'
}

// keepers chooses the units that stay where they are: the heaviest run of
// matched units still in their original order, weighed by their size, so
// that the user's own nodes stay and podgraft's small ones move.
func (s *splicer) keepers(kids []int, stride int, match []int) []bool {
	if inOrder(match) || len(match) > 256 { // nothing moved: the common case
		return increasing(match)
	}
	weight := func(u int) int {
		w := 0
		for k := range stride {
			w += int(s.o.snaps[kids[match[u]*stride+k]].size)
		}
		if s.formatted(kids, stride, match[u]) {
			w += 1 << 16
		}
		return w
	}
	best := make([]int, len(match)) // heaviest run ending at u
	prev := make([]int, len(match))
	top := -1
	for u, j := range match {
		prev[u] = -1
		if j < 0 {
			continue
		}
		best[u] = weight(u)
		for v := range u {
			if match[v] >= 0 && match[v] < j && best[v]+weight(u) > best[u] {
				best[u], prev[u] = best[v]+weight(u), v
			}
		}
		if top < 0 || best[u] > best[top] {
			top = u
		}
	}
	kept := make([]bool, len(match))
	for u := top; u >= 0; u = prev[u] {
		kept[u] = true
	}
	return kept
}

// itemOff returns how far after its dash the first item of block
// sequence i starts: 2 for "- item".
func (s *splicer) itemOff(i int) (int, error) {
	kids := s.o.children(i)
	p, err := s.start(kids[0])
	if err != nil {
		return 0, err
	}
	d, err := s.dash(p)
	if err != nil {
		return 0, err
	}
	return max(p-d, 2), nil
}

// indicatorEnd returns the offset after the ":" of node i's key, or after
// the "-" of its item.
func (s *splicer) indicatorEnd(c ctx, i int) (int, error) {
	if c.key < 0 {
		p, err := s.start(i)
		if err != nil {
			return 0, err
		}
		d, err := s.dash(p)
		return d + 1, err
	}
	if hasProps(&s.o.snaps[c.key]) {
		return 0, unsupported("a key with a tag or an anchor")
	}
	col, err := s.itemCol(c.parent)
	if err != nil {
		return 0, err
	}
	p, err := s.end(c.key, col, false)
	if err != nil {
		return 0, err
	}
	for p < len(s.t.src) && isSpace(s.t.src[p]) {
		p++
	}
	if p >= len(s.t.src) || s.t.src[p] != ':' {
		return 0, unsupported("no colon after the key at %d:%d", s.o.snaps[c.key].line, s.o.snaps[c.key].col)
	}
	return p + 1, nil
}

// replaceKey writes a key changed in place.
func (s *splicer) replaceKey(key, parent int, flow bool) error {
	e, err := s.emitter(parent)
	if err != nil {
		return err
	}
	n := s.o.snaps[key].node
	var text string
	if j := s.jsonDoc(); j != nil {
		b, err := jsonString(nil, n.Value)
		if err != nil {
			return err
		}
		text = string(b)
	} else {
		var multi bool
		if text, multi, err = e.scalar(n, flow); err != nil {
			return err
		}
		if multi || text == "" {
			return unsupported("a key that does not fit on one line")
		}
	}
	a, err := s.start(key)
	if err != nil {
		return err
	}
	col := 0
	if !flow {
		if col, err = s.itemCol(parent); err != nil {
			return err
		}
	}
	b, err := s.end(key, col, flow)
	if err != nil {
		return err
	}
	s.add(a, b, text)
	return nil
}

// replace writes x where original node i was: a value whose pointer
// changed, or a node changed in place.
func (s *splicer) replace(i int, x *yaml.Node, c ctx) error {
	if err := s.noAnchors(i); err != nil {
		return err
	}
	if c.parent < 0 {
		return unsupported("the document root was replaced")
	}
	if ve, err := s.end(i, 0, c.flow); err == nil && ve < len(s.t.src) && s.t.src[ve] == '#' {
		return unsupported("a comment right after a value, with no space before it") // it would join a plain one
	}
	if c.flow {
		return s.replaceFlow(i, x, c)
	}
	t := s.t
	col, err := s.itemCol(c.parent)
	if err != nil {
		return err
	}
	ind, err := s.indicatorEnd(c, i)
	if err != nil {
		return err
	}
	vs, err := s.start(i)
	if err != nil {
		return err
	}
	ve, err := s.end(i, col, false)
	if err != nil {
		return err
	}
	e, err := s.emitter(c.parent)
	if err != nil {
		return err
	}
	if x.LineComment != "" && strings.HasPrefix(strings.TrimLeft(string(t.src[ve:t.lineEnd(ve)]), " \t"), "#") {
		// The old value's line comment stays in the text after it: a
		// value put back with its comment (an override removed) must not
		// write it twice.
		bare := *x
		bare.LineComment = ""
		x = &bare
	}
	if c.key >= 0 {
		err = e.tail(x, col, " ", 0)
	} else {
		off := vs - (ind - 1) // this item's own spacing after its dash
		if vs == ind {
			var err2 error
			if off, err2 = s.itemOff(c.parent); err2 != nil {
				return err2
			}
		}
		err = e.tail(x, col, strings.Repeat(" ", off-1), off)
	}
	if err != nil {
		return err
	}
	// Wherever the new lines go, the input goes on after the old value's line.
	if err := s.blockScalarFits(e, t.nextLine(ve), col); err != nil {
		return err
	}
	// The first line's part, after the indicator, and the lines after it.
	first, rest, multi := strings.Cut(string(e.b), s.nl)
	if bytes.IndexByte(t.src[ind:vs], '\n') < 0 { // the old value starts on the indicator's line
		a, text := ind, first
		if vs > ind && first != "" {
			a, text = vs, strings.TrimLeft(first, " ")
		}
		if hdr, ok := s.blockHeaderWithComment(i, vs); ok {
			// The old value is a block scalar whose header line has a
			// comment: the comment stays, the header and lines go.
			s.add(a, hdr, text)
			if multi {
				s.add(t.lineEnd(vs), ve, s.nl+rest)
			} else {
				s.add(t.lineEnd(vs), ve, "")
			}
			return nil
		}
		if !multi {
			s.add(a, ve, text)
			return nil
		}
		if le := t.lineEnd(ve); le > ve { // what follows the old value (a comment) stays on its line
			if c.key < 0 && x.Kind != yaml.ScalarNode {
				// "- item # c" as "- key: v # c" would give the comment to the new key.
				return unsupported("a list item with a comment after it changed into a collection")
			}
			s.add(a, ve, text)
			s.add(le, le, s.nl+rest)
			return nil
		}
		s.add(a, ve, text+s.nl+rest)
		return nil
	}
	if e.lastMulti && t.lineEnd(ve) > ve {
		return unsupported("a block scalar before text on its last line") // it would take the text in
	}
	if t.lineEnd(ind) == ind && first != "" { // nothing after the indicator on its line
		if multi {
			first += s.nl + rest
		}
		s.add(ind, ve, first)
		return nil
	}
	// The indicator's line stays as it is, comment or spaces included.
	if first != "" {
		s.add(ind, ind, first)
	}
	if multi {
		s.add(t.lineStart(vs), ve, rest)
	} else {
		s.add(t.lineEnd(ind), ve, "")
	}
	return nil
}

// blockHeaderWithComment returns where the header of block scalar i, at
// vs, ends, when something (a comment, spaces) follows it on its line.
func (s *splicer) blockHeaderWithComment(i, vs int) (int, bool) {
	sn := &s.o.snaps[i]
	if sn.kind() != yaml.ScalarNode || sn.style()&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return 0, false
	}
	p, _ := s.props(vs)
	if p >= len(s.t.src) || (s.t.src[p] != '|' && s.t.src[p] != '>') {
		return 0, false
	}
	p++
	for p < len(s.t.src) && (s.t.src[p] == '+' || s.t.src[p] == '-' || s.t.src[p] >= '0' && s.t.src[p] <= '9') {
		p++
	}
	return p, s.t.lineEnd(p) > p
}

// replaceFlow writes x where original node i of a flow collection was.
func (s *splicer) replaceFlow(i int, x *yaml.Node, c ctx) error {
	vs, err := s.start(i)
	if err != nil {
		return err
	}
	ve, err := s.end(i, 0, true)
	if err != nil {
		return err
	}
	text, err := s.flowText(c.parent, x, -1, vs)
	if err != nil {
		return err
	}
	if vs == ve && text != "" && c.key >= 0 { // a value without text: "{a: }", or "{a}" with no colon
		if ke, err := s.end(c.key, 0, true); err != nil || ke >= vs || hasProps(&s.o.snaps[c.key]) {
			return unsupported("a flow mapping key without a colon of its own")
		}
		p := vs
		for p > 0 && isSpace(s.t.src[p-1]) {
			p--
		}
		switch {
		case p > 0 && s.t.src[p-1] == ':' && p == vs:
			text = " " + text
		case p == 0 || s.t.src[p-1] != ':':
			return unsupported("a flow mapping key without a colon")
		}
	}
	s.add(vs, ve, text)
	return nil
}

// flowText writes a new node (a value, or when k >= 0 the pair of key k
// and x) for flow collection i; at is where it goes, whose line gives the
// indentation of a JSON document written over several lines.
func (s *splicer) flowText(i int, x *yaml.Node, k int, at int) (string, error) {
	n := s.o.snaps[i].node
	if j := s.jsonDoc(); j != nil {
		pretty, prefix := false, ""
		if j.multi {
			if multi, indent := s.flowLayout(i); multi {
				pretty, prefix = true, indent
			} else if s.opens(i) {
				pretty = true // "{}" opens over several lines
				ls := s.t.lineStart(at)
				prefix = string(s.t.src[ls:ls+s.t.indent(ls)]) + j.step
			}
		}
		var b []byte
		var err error
		if k >= 0 {
			b, err = j.pair(nil, n.Content[k], x, prefix, s.nl, pretty)
		} else {
			b, err = j.node(nil, x, prefix, s.nl, pretty)
		}
		return string(b), err
	}
	e, err := s.emitter(i)
	if err != nil {
		return "", err
	}
	if k >= 0 {
		return e.flowPair(n.Content[k], x)
	}
	return e.flowNode(x)
}

// opens reports whether new items of flow collection i go on lines of
// their own although it has none yet: it is "{}" or "[]" in a JSON
// document written over several lines.
func (s *splicer) opens(i int) bool {
	j := s.jsonDoc()
	if j == nil || !j.multi || len(s.o.content(i)) > 0 {
		return false
	}
	start, err := s.start(i)
	if err != nil {
		return false
	}
	open, _ := s.props(start)
	return open+1 < len(s.t.src) && (s.t.src[open+1] == '}' || s.t.src[open+1] == ']')
}

// flowLayout says whether the items of flow collection i stand on lines
// of their own, and if so with what indentation.
func (s *splicer) flowLayout(i int) (bool, string) {
	sn := &s.o.snaps[i]
	stride := 1
	if sn.kind() == yaml.MappingNode {
		stride = 2
	}
	kids := s.o.children(i)
	for u := 0; u < len(kids); u += stride {
		p, err := s.start(kids[u])
		if err != nil {
			return false, ""
		}
		if s.t.ownLine(p) {
			ls := s.t.lineStart(p)
			return true, string(s.t.src[ls:p])
		}
	}
	return false, ""
}

// flowGap is gap for a flow collection: its one span is edited in place,
// separators included.
func (s *splicer) flowGap(i int, kids []int, stride, prev, next int, pending, match []int, moved []bool) error {
	orig := len(kids) / stride
	n := s.o.snaps[i].node
	// A pair in a flow sequence ("[a: 1]") is a mapping without braces.
	start, err := s.start(i)
	if err != nil {
		return err
	}
	open, _ := s.props(start)
	if open >= len(s.t.src) || s.t.src[open] != map[bool]byte{true: '{', false: '['}[stride == 2] {
		return unsupported("a flow collection without brackets")
	}
	if orig > 0 {
		if first, err := s.start(kids[0]); err != nil || first <= open {
			return unsupported("a flow collection without brackets") // "[{a}: 1]": the bracket is its key's
		}
	}
	if stride == 2 { // "{a, b: 1}": a key without a colon is a pair too
		for u := range orig {
			if hasProps(&s.o.snaps[kids[2*u]]) {
				return unsupported("a key with a tag or an anchor")
			}
			ke, err := s.end(kids[2*u], 0, true)
			if err != nil {
				return err
			}
			p := s.t.skipSpace(ke)
			if p >= len(s.t.src) || s.t.src[p] != ':' {
				return unsupported("a flow mapping key without a colon")
			}
		}
	}
	multi, indent := s.flowLayout(i)
	sep := ", "
	j := s.jsonDoc()
	if j != nil {
		sep = j.comma
	}
	if multi {
		sep = "," + s.nl + indent
	}
	unit := func(u int, at int) (string, error) {
		if j := match[u]; j >= 0 && moved[j] { // moved: its own text
			a, z, err := s.unit(i, kids, stride, j, true)
			return string(s.t.src[a:z]), err
		}
		if stride == 2 {
			return s.flowText(i, n.Content[2*u+1], 2*u, at)
		}
		return s.flowText(i, n.Content[u], -1, at)
	}
	bounds := func(u int) (int, int, error) { return s.unit(i, kids, stride, u, true) }

	if prev < 0 && next == orig { // no original unit is left
		end, err := s.end(i, 0, true)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			a, _, err := bounds(0)
			if err != nil {
				return err
			}
			_, z, err := bounds(orig - 1)
			if err != nil {
				return err
			}
			around := string(s.t.src[open+1:a]) + string(s.t.src[z:end-1])
			ls := s.t.lineStart(open)
			outer := string(s.t.src[ls : ls+s.t.indent(ls)])
			if j != nil && j.multi && around == s.nl+outer+j.step+s.nl+outer {
				// Items on lines of their own in a JSON document over
				// several lines: as "{}" opened, it closes.
				s.add(open, end, map[bool]string{true: "{}", false: "[]"}[n.Kind == yaml.MappingNode])
				return nil
			}
			s.add(a, z, "") // the brackets and what is around the items stay
			return nil
		}
		var b strings.Builder
		itemSep, outer := sep, ""
		expand := s.opens(i)
		if expand {
			ls := s.t.lineStart(open)
			outer = string(s.t.src[ls : ls+s.t.indent(ls)])
			itemSep = "," + s.nl + outer + j.step
			b.WriteString(s.nl + outer + j.step)
		}
		for k, u := range pending {
			if k > 0 {
				b.WriteString(itemSep)
			}
			text, err := unit(u, open)
			if err != nil {
				return err
			}
			b.WriteString(text)
		}
		if expand {
			b.WriteString(s.nl + outer)
		}
		switch {
		case expand:
			s.add(open+1, end-1, b.String())
		case orig > 0: // every item went and new ones came: where the first one was
			a, _, err := bounds(0)
			if err != nil {
				return err
			}
			_, z, err := bounds(orig - 1)
			if err != nil {
				return err
			}
			s.add(a, z, b.String())
		default:
			ls := s.t.lineStart(open)
			outer := string(s.t.src[ls : ls+s.t.indent(ls)])
			if j != nil && j.multi && string(s.t.src[open+1:end-1]) == s.nl+outer+j.step+s.nl+outer {
				// What removing the items of a "{}" that opened leaves:
				// growing it again could not be told from that.
				return unsupported("an empty flow collection over lines of its own")
			}
			if open+1 < len(s.t.src) && s.t.src[open+1] == '#' {
				return unsupported("a comment right after a flow collection's bracket, with no space before it")
			}
			s.add(open+1, open+1, b.String()) // into "{}", or "{ }" keeping its space
		}
		return nil
	}
	if next-prev-1 > 0 {
		switch {
		case prev >= 0:
			_, a, err := bounds(prev)
			if err != nil {
				return err
			}
			_, z, err := bounds(next - 1)
			if err != nil {
				return err
			}
			s.add(a, z, "")
		default:
			a, _, err := bounds(0)
			if err != nil {
				return err
			}
			z, _, err := bounds(next)
			if err != nil {
				return err
			}
			s.add(a, z, "")
		}
	}
	if len(pending) == 0 {
		return nil
	}
	var b strings.Builder
	if prev >= 0 {
		_, at, err := bounds(prev)
		if err != nil {
			return err
		}
		if at < len(s.t.src) && s.t.src[at] == '#' {
			return unsupported("a comment right after a flow item, with no space before it")
		}
		if li := kids[prev*stride+stride-1]; s.o.snaps[li].kind() == yaml.ScalarNode && s.o.snaps[li].value == "" {
			if p, err := s.start(li); err != nil || p < len(s.t.src) && (s.t.src[p] == '!' || s.t.src[p] == '&') {
				return unsupported("a flow item that is only a tag or an anchor") // "!," would read as one tag
			}
		}
		for _, u := range pending {
			text, err := unit(u, at)
			if err != nil {
				return err
			}
			b.WriteString(sep)
			b.WriteString(text)
		}
		s.add(at, at, b.String())
		return nil
	}
	at, _, err := bounds(next)
	if err != nil {
		return err
	}
	for _, u := range pending {
		text, err := unit(u, at)
		if err != nil {
			return err
		}
		b.WriteString(text)
		b.WriteString(sep)
	}
	s.add(at, at, b.String())
	return nil
}
