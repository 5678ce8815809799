package splice

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The style new fragments follow, read from the document around them.

// emitter returns an emitter for new nodes in collection i.
func (s *splicer) emitter(i int) (*emitter, error) {
	return &emitter{nl: s.nl, step: s.docStep(), near: func() int { return s.seqOffNear(i) }, seqs: s.seqStyles}, nil
}

// docStep returns how far the document indents a mapping nested in a
// mapping: the first such pair of the root tells, or else 2.
func (s *splicer) docStep() int {
	if s.step > 0 {
		return s.step
	}
	s.step = 2
	root := 1
	if isFlow(&s.o.snaps[root]) {
		return s.step
	}
	rootCol, err := s.itemCol(root)
	if err != nil {
		return s.step
	}
	kids := s.o.children(root)
	for k := 1; k < len(kids); k += 2 {
		v := &s.o.snaps[kids[k]]
		if v.kind() == yaml.MappingNode && !isFlow(v) && v.nkids > 0 {
			if col, err := s.itemCol(kids[k]); err == nil && col > rootCol && col-rootCol <= 8 {
				s.step = col - rootCol
			}
			break
		}
	}
	return s.step
}

// seqOffNear returns how the block sequences nearest to collection i are
// indented under their key: 0 when the dash is at the key's column
// (compact), else how far in. It looks in i, then in the collections
// around it, nearest first; a document without any is compact.
func (s *splicer) seqOffNear(i int) int {
	if off, ok := s.seqOffIn(i); ok {
		return off
	}
	for k := len(s.path) - 1; k >= 0; k-- {
		if j := s.path[k].i; j != i {
			if off, ok := s.seqOffIn(j); ok {
				return off
			}
		}
	}
	return 0
}

// seqOffIn looks for a block sequence under a key in the subtree of i.
func (s *splicer) seqOffIn(i int) (int, bool) {
	if off, ok := s.seqOffs[i]; ok {
		return off, off >= 0
	}
	if s.seqOffs == nil {
		s.seqOffs = map[int]int{}
	}
	off := -1
	s.blockSeqs(i, i+int(s.o.snaps[i].size), func(_, _, d int) bool {
		off = d
		return false
	})
	s.seqOffs[i] = off
	return off, off >= 0
}

// seqStyles returns how the document indents its block sequences, by key
// name and by key column.
func (s *splicer) seqStyles() *seqStyles {
	if s.seqs != nil {
		return s.seqs
	}
	s.seqs = &seqStyles{byKey: map[string]int{}, byCol: map[int]int{}}
	s.blockSeqs(0, len(s.o.snaps), func(key, col, d int) bool {
		name := s.o.snaps[key].value
		if _, ok := s.seqs.byKey[name]; !ok {
			s.seqs.byKey[name] = d
		}
		if _, ok := s.seqs.byCol[col]; !ok {
			s.seqs.byCol[col] = d
		}
		return true
	})
	return s.seqs
}

// blockSeqs calls visit, in document order, for each key of a block
// mapping among snapshots [from, to) whose value is a non-empty block
// sequence: with the key's snapshot, its column, and how far right of it
// the sequence's dashes stand; visit returns false to stop.
func (s *splicer) blockSeqs(from, to int, visit func(key, col, off int) bool) {
	for m := from; m < to; m++ {
		sn := &s.o.snaps[m]
		if sn.kind() != yaml.MappingNode || isFlow(sn) {
			continue
		}
		k := m + 1
		for range sn.nkids / 2 {
			key := k
			v := k + int(s.o.snaps[k].size)
			k = v + int(s.o.snaps[v].size)
			vs := &s.o.snaps[v]
			if vs.kind() != yaml.SequenceNode || isFlow(vs) || vs.nkids == 0 {
				continue
			}
			kp, err := s.start(key)
			if err != nil {
				continue
			}
			dp, err := s.unitStart(v, v+1)
			if err != nil {
				continue
			}
			col := s.t.column(kp)
			if d := s.t.column(dp) - col; d >= 0 && !visit(key, col, d) {
				return
			}
		}
	}
}

// jsonDoc returns how the document writes JSON, or nil when it is not a
// JSON document (a flow mapping at the root whose keys are double quoted).
func (s *splicer) jsonDoc() *jsonStyle {
	if s.jsonOK {
		return s.json
	}
	s.jsonOK = true
	root := 1
	sn := &s.o.snaps[root]
	if sn.kind() != yaml.MappingNode || !isFlow(sn) || sn.nkids < 2 {
		return nil
	}
	kids := s.o.children(root)
	if s.o.snaps[kids[0]].style()&yaml.DoubleQuotedStyle == 0 {
		return nil
	}
	src := s.t.src
	j := &jsonStyle{colon: ":", comma: ",", step: "  "}
	if ke, err := s.end(kids[0], 0, true); err == nil {
		p := ke
		for p < len(src) && isSpace(src[p]) {
			p++
		}
		if p+1 < len(src) && src[p] == ':' && src[p+1] == ' ' {
			j.colon, j.comma = ": ", ", "
		}
	}
	if len(kids) >= 4 {
		if ve, err := s.end(kids[1], 0, true); err == nil {
			p := s.t.skipSpace(ve)
			if p+1 < len(src) && src[p] == ',' {
				switch src[p+1] {
				case ' ':
					j.comma = ", "
				default:
					j.comma = ","
				}
			}
		}
	}
	if multi, indent := s.flowLayout(root); multi {
		j.multi = true
		start, _ := s.start(root)
		ls := s.t.lineStart(start)
		outer := s.t.indent(ls)
		if len(indent) > outer {
			j.step = indent[outer:]
		} else {
			j.step = indent
		}
	}
	s.json = j
	return j
}
