package splice

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Where original nodes are in the input. yaml.v3 records where a node
// starts (at its anchor or tag, if it has one); where it ends is found
// here, from its style and, for collections, from its last child.

func isFlow(sn *snap) bool { return sn.style()&yaml.FlowStyle != 0 }

// start returns the offset of snap i.
func (s *splicer) start(i int) (int, error) {
	sn := &s.o.snaps[i]
	return s.t.offset(sn.line, sn.col)
}

// end returns the offset just after snap i. n is the indentation (the
// item column) of the block collection holding it, which a block scalar
// with an indentation indicator needs; flow says it is inside a flow
// collection.
func (s *splicer) end(i, n int, flow bool) (int, error) {
	sn := &s.o.snaps[i]
	start, err := s.start(i)
	if err != nil {
		return 0, err
	}
	switch sn.kind() {
	case yaml.ScalarNode:
		return s.scalarEnd(sn, start, n, flow)
	case yaml.AliasNode:
		p := start + 1 + len(sn.value)
		if s.t.src[start] != '*' || p > len(s.t.src) || string(s.t.src[start+1:p]) != sn.value {
			return 0, unsupported("alias at %d:%d not where expected", sn.line, sn.col)
		}
		return p, nil
	case yaml.MappingNode, yaml.SequenceNode:
		kids := s.o.children(i)
		if isFlow(sn) || flow {
			p, _ := s.props(start)
			if len(kids) > 0 {
				last, err := s.end(kids[len(kids)-1], 0, true)
				if err != nil {
					return 0, err
				}
				p = last
			} else {
				if p >= len(s.t.src) || (s.t.src[p] != '{' && s.t.src[p] != '[') {
					return 0, unsupported("flow collection at %d:%d not where expected", sn.line, sn.col)
				}
				p++
			}
			return s.closeBracket(p, sn)
		}
		if len(kids) == 0 {
			return 0, unsupported("empty block collection at %d:%d", sn.line, sn.col)
		}
		col, err := s.itemCol(i)
		if err != nil {
			return 0, err
		}
		return s.end(kids[len(kids)-1], col, false)
	}
	return 0, unsupported("node of kind %d", sn.kind())
}

// closeBracket returns the offset after the bracket that closes a flow
// collection, from p after its last item.
func (s *splicer) closeBracket(p int, sn *snap) (int, error) {
	src := s.t.src
	for {
		p = s.t.skipSpace(p)
		if p < len(src) && src[p] == ',' {
			p++
			continue
		}
		break
	}
	want := byte('}')
	if sn.kind() == yaml.SequenceNode {
		want = ']'
	}
	if p >= len(src) || src[p] != want {
		return 0, unsupported("flow collection at %d:%d does not close where expected", sn.line, sn.col)
	}
	return p + 1, nil
}

// props skips a node's anchor and tag from p. It returns where the node's
// content starts and where its properties end.
func (s *splicer) props(p int) (content, propsEnd int) {
	src := s.t.src
	propsEnd = p
	for p < len(src) && (src[p] == '&' || src[p] == '!') {
		for p < len(src) && src[p] != ' ' && src[p] != '\t' && src[p] != '\n' && src[p] != '\r' && src[p] != ',' && src[p] != ']' && src[p] != '}' {
			p++
		}
		propsEnd = p
		p = s.t.skipSpace(p)
	}
	return p, propsEnd
}

// itemCol returns the byte column of the items of block collection i: its
// keys' column, or its dashes' column.
func (s *splicer) itemCol(i int) (int, error) {
	kids := s.o.children(i)
	if len(kids) == 0 {
		return 0, unsupported("empty block collection")
	}
	p, err := s.unitStart(i, kids[0])
	if err != nil {
		return 0, err
	}
	return s.t.column(p), nil
}

// unitStart returns where item c of collection i starts: its key, or for
// a block sequence the dash before it.
func (s *splicer) unitStart(i, c int) (int, error) {
	p, err := s.start(c)
	if err != nil {
		return 0, err
	}
	if isFlow(&s.o.snaps[i]) {
		return p, nil
	}
	if s.o.snaps[i].kind() != yaml.SequenceNode {
		q := p - 1
		for q >= 0 && isSpace(s.t.src[q]) {
			q--
		}
		if q >= 0 && s.t.src[q] == '?' {
			return 0, unsupported("an explicit key (\"? key\")")
		}
		return p, nil
	}
	return s.dash(p)
}

// dash returns the offset of the "-" that introduces the block sequence
// item at p.
func (s *splicer) dash(p int) (int, error) {
	src := s.t.src
	q := p - 1
	for q >= 0 && (src[q] == ' ' || src[q] == '\t') {
		q--
	}
	if q < 0 || src[q] != '-' {
		return 0, unsupported("no dash before the sequence item at offset %d", p)
	}
	return q, nil
}

// scalarEnd returns the offset after a scalar that starts at start.
func (s *splicer) scalarEnd(sn *snap, start, n int, flow bool) (int, error) {
	src := s.t.src
	p, propsEnd := s.props(start)
	switch {
	case sn.style()&yaml.DoubleQuotedStyle != 0:
		if p >= len(src) || src[p] != '"' {
			break
		}
		for q := p + 1; q < len(src); q++ {
			switch src[q] {
			case '\\':
				q++
			case '"':
				return q + 1, nil
			}
		}
	case sn.style()&yaml.SingleQuotedStyle != 0:
		if p >= len(src) || src[p] != '\'' {
			break
		}
		for q := p + 1; q < len(src); q++ {
			if src[q] == '\'' {
				if q+1 < len(src) && src[q+1] == '\'' {
					q++
					continue
				}
				return q + 1, nil
			}
		}
	case sn.style()&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		if p >= len(src) || (src[p] != '|' && src[p] != '>') {
			break
		}
		return s.blockScalarEnd(p, n), nil
	default:
		if sn.value == "" {
			// An empty plain scalar (a null without text) ends where
			// it starts, or after its properties.
			return propsEnd, nil
		}
		if e, ok := s.plainEnd(sn.value, p, n, flow); ok {
			return e, nil
		}
	}
	return 0, unsupported("scalar at %d:%d not where expected", sn.line, sn.col)
}

// blockScalarEnd returns the offset after the last line of the literal or
// folded scalar whose indicator is at p: its last content line, or with
// the keep indicator (+) its last line, empty lines included.
func (s *splicer) blockScalarEnd(p, n int) int {
	src := s.t.src
	keep, indent := false, 0
	for q := p + 1; q < len(src) && q < p+3; q++ {
		switch c := src[q]; {
		case c == '+':
			keep = true
		case c >= '1' && c <= '9':
			indent = n + int(c-'0')
		}
	}
	end := s.t.lineEnd(p) // the header line ends an empty scalar
	last := end
	for q := s.t.nextLine(p); q < len(src); q = s.t.nextLine(q) {
		sp := s.t.indent(q)
		le := s.t.lineEnd(q)
		if q+sp == le && (indent == 0 || sp <= indent) { // an empty line
			last = le
			continue
		}
		if indent == 0 {
			indent = max(sp, n+1)
		}
		if sp < indent {
			break
		}
		end, last = le, le
	}
	if keep {
		return last
	}
	return end
}

// plainEnd returns the offset after the plain scalar with the given value
// that starts at p, which may continue on the lines after (folded into
// spaces and line breaks).
func (s *splicer) plainEnd(value string, p, n int, flow bool) (int, bool) {
	src := s.t.src
	// The common case: the scalar is its value, on one line.
	if e := p + len(value); e <= len(src) && string(src[p:e]) == value && (e == len(src) || plainStop(src, e, flow)) {
		return e, true
	}
	// The first line, then continuation lines, each folded into the value.
	e := s.plainLineEnd(p, flow)
	seg := src[p:e]
	if len(seg) > len(value) || string(seg) != value[:len(seg)] {
		return 0, false
	}
	k := len(seg)
	for q := s.t.nextLine(e); k < len(value) && q < len(src); {
		breaks := 0
		for q < len(src) {
			ls := q
			for q < len(src) && (src[q] == ' ' || src[q] == '\t') {
				q++
			}
			if q < len(src) && (src[q] == '\n' || src[q] == '\r') {
				breaks++
				q = s.t.nextLine(ls)
				continue
			}
			if q >= len(src) || src[q] == '#' || (!flow && q-ls <= n) {
				return 0, false
			}
			break
		}
		sep := " "
		if breaks > 0 {
			sep = strings.Repeat("\n", breaks)
		}
		if k+len(sep) > len(value) || value[k:k+len(sep)] != sep {
			return 0, false
		}
		k += len(sep)
		le := s.t.plainLineEnd(q, flow)
		seg := src[q:le]
		if k+len(seg) > len(value) || string(seg) != value[k:k+len(seg)] {
			return 0, false
		}
		k += len(seg)
		if k == len(value) {
			return le, true
		}
		if le < s.t.lineEnd(q) && !isSpace(src[le]) {
			return 0, false
		}
		q = s.t.nextLine(q)
	}
	return 0, false
}

// plainLineEnd returns where a plain scalar's text on the line of p ends:
// before a comment, a ": " or, in flow, a flow indicator; trailing
// whitespace excluded.
func (t *text) plainLineEnd(p int, flow bool) int {
	src := t.src
	le := t.lineEnd(p)
	e := p
	for q := p; q < le; q++ {
		c := src[q]
		if c == '#' && q > p && isSpace(src[q-1]) {
			break
		}
		if c == ':' && (q+1 == le || isSpace(src[q+1]) || (flow && isFlowIndicator(src[q+1]))) {
			break
		}
		if flow && isFlowIndicator(c) {
			break
		}
		if !isSpace(c) {
			e = q + 1
		}
	}
	return e
}

func (s *splicer) plainLineEnd(p int, flow bool) int { return s.t.plainLineEnd(p, flow) }

func plainStop(src []byte, e int, flow bool) bool {
	c := src[e]
	return isSpace(c) || c == '\n' || c == '\r' || c == ':' || (flow && isFlowIndicator(c))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isFlowIndicator(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }
