package splice

import (
	"bytes"
	"unicode/utf8"
)

// text is the input with its line starts, to turn yaml.v3's 1-based line
// and column (counted in runes) into byte offsets.
type text struct {
	src   []byte
	lines []int  // byte offset of each line's start; line 1 starts after a BOM
	nl    string // the line break inserted text uses: the input's first one
}

var bom = []byte("\xef\xbb\xbf")

func newText(src []byte) (*text, error) {
	// yaml.v3 reads UTF-16 too, counting columns in its decoded text.
	if bytes.HasPrefix(src, []byte{0xfe, 0xff}) || bytes.HasPrefix(src, []byte{0xff, 0xfe}) || bytes.IndexByte(src, 0) >= 0 {
		return nil, unsupported("input that is not UTF-8")
	}
	// yaml.v3 also breaks lines at a lone CR, NEL, LS and PS; line numbers
	// would then not match the LF-counted table.
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\r')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= len(src) || src[i] != '\n' {
			return nil, unsupported("a carriage return that does not end a line")
		}
	}
	if bytes.Contains(src, []byte("\u0085")) || bytes.Contains(src, []byte("\u2028")) || bytes.Contains(src, []byte("\u2029")) {
		return nil, unsupported("a Unicode line or paragraph separator")
	}
	t := &text{src: src, nl: "\n"}
	t.lines = make([]int, 0, 1+len(src)/24)
	start := 0
	if bytes.HasPrefix(src, bom) {
		start = len(bom)
	}
	t.lines = append(t.lines, start)
	for i := start; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if len(t.lines) == 1 && i >= 2 && src[i-2] == '\r' {
			t.nl = "\r\n"
		}
		t.lines = append(t.lines, i)
	}
	return t, nil
}

// offset returns the byte offset of a 1-based line and rune column.
func (t *text) offset(line, col int32) (int, error) {
	if line < 1 || int(line) > len(t.lines) || col < 1 {
		return 0, unsupported("position %d:%d is outside the input", line, col)
	}
	p := t.lines[line-1]
	end := t.lineEnd(p)
	for c := int32(1); c < col; c++ {
		if p >= end {
			return 0, unsupported("position %d:%d is outside its line", line, col)
		}
		if t.src[p] < utf8.RuneSelf {
			p++
		} else {
			_, size := utf8.DecodeRune(t.src[p:end])
			p += size
		}
	}
	return p, nil
}

// lineEnd returns the offset of the line break of the line holding p (or
// the end of the input).
func (t *text) lineEnd(p int) int {
	j := bytes.IndexByte(t.src[p:], '\n')
	if j < 0 {
		return len(t.src)
	}
	if j > 0 && t.src[p+j-1] == '\r' {
		return p + j - 1
	}
	return p + j
}

// nextLine returns the offset of the line after the one holding p, or the
// end of the input.
func (t *text) nextLine(p int) int {
	j := bytes.IndexByte(t.src[p:], '\n')
	if j < 0 {
		return len(t.src)
	}
	return p + j + 1
}

// lineStart returns the offset of the start of the line holding p.
func (t *text) lineStart(p int) int {
	i := bytes.LastIndexByte(t.src[:p], '\n') + 1
	if i == 0 && bytes.HasPrefix(t.src, bom) && p >= len(bom) {
		return len(bom)
	}
	return i
}

// prevLine returns the start of the line before the one starting at p, or
// -1 for the first line.
func (t *text) prevLine(p int) int {
	if p == 0 || p <= t.lines[0] {
		return -1
	}
	return t.lineStart(p - 1)
}

// indent returns the number of spaces that start the line at p.
func (t *text) indent(p int) int {
	n := 0
	for p+n < len(t.src) && t.src[p+n] == ' ' {
		n++
	}
	return n
}

// ownLine reports whether only spaces come before p on its line.
func (t *text) ownLine(p int) bool {
	ls := t.lineStart(p)
	return t.indent(ls) >= p-ls
}

// blank reports whether src[a:b] holds only whitespace and line breaks.
func (t *text) blank(a, b int) bool {
	for _, c := range t.src[a:b] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// blankOrComment reports whether src[a:b] holds only whitespace, line
// breaks and comments.
func (t *text) blankOrComment(a, b int) bool {
	for p := a; p < b; p++ {
		switch t.src[p] {
		case ' ', '\t', '\n', '\r':
		case '#':
			p = t.lineEnd(p)
		default:
			return false
		}
	}
	return true
}

// hasComment reports whether src[a:b], blank or comments, holds a comment.
func (t *text) hasComment(a, b int) bool {
	return bytes.IndexByte(t.src[a:b], '#') >= 0
}

// skipSpace skips spaces, tabs, line breaks and comments from p.
func (t *text) skipSpace(p int) int {
	for p < len(t.src) {
		switch t.src[p] {
		case ' ', '\t', '\n', '\r':
			p++
		case '#':
			p = t.lineEnd(p)
		default:
			return p
		}
	}
	return p
}

// column returns the byte column of p in its line.
func (t *text) column(p int) int { return p - t.lineStart(p) }

// endsWithBreak reports whether the input ends with a line break.
func (t *text) endsWithBreak() bool {
	return len(t.src) > 0 && t.src[len(t.src)-1] == '\n'
}
