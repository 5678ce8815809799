package fn

import "bytes"

// plainBlock reports whether raw is block YAML of a shape yaml.v3 always
// reads: a mapping at column 0 of plain or quoted one-line keys, nested
// mappings and sequences by indentation, values that are plain or quoted
// one-line scalars, literal or folded block scalars, {} or [], and
// comments. A document podgraft passes unread must be one yaml.v3 would
// read, or a broken one would go out as if it were fine; this shape cannot
// be broken. Anything else (other flow collections, tags, anchors,
// multi-line plain or quoted scalars, CR line ends, odd indentation)
// returns false, and the document is parsed whole, which reports its
// errors.
func plainBlock(raw []byte) bool {
	if bytes.IndexByte(raw, '\r') >= 0 {
		return false // a CR ends a line for yaml.v3, comments included
	}
	v := blockValidator{}
	for i := 0; len(raw) > 0; i++ {
		line := raw
		if end := bytes.IndexByte(raw, '\n'); end >= 0 {
			line, raw = raw[:end], raw[end+1:]
		} else {
			raw = nil
		}
		if i == 0 && string(line) == "---" {
			continue // the splitter keeps a leading marker with its document
		}
		if !v.line(line) {
			return false
		}
	}
	return v.started
}

// level is one open block collection: the column of its keys or dashes.
type level struct {
	col int
	seq bool
}

type blockValidator struct {
	levels  []level
	started bool
	// pending is the column of a key or dash whose value is on the lines
	// below (an empty "key:" or "-"); pendingItem says a dash.
	pending     int
	pendingItem bool
	hasPending  bool
	// inScalar: the lines below belong to a block scalar of the key or
	// dash at column scalarParent while they are indented deeper;
	// scalarCol is its content's column once its first line sets it.
	inScalar     bool
	scalarParent int
	scalarCol    int
}

func (v *blockValidator) line(line []byte) bool {
	col := 0
	for col < len(line) && line[col] == ' ' {
		col++
	}
	rest := line[col:]
	if v.inScalar {
		switch {
		case len(rest) == 0:
			// yaml.v3 takes an all-space line before the first content
			// line as setting the indentation; refuse rather than follow
			return v.scalarCol >= 0 || col == 0
		case v.scalarCol < 0 && col > v.scalarParent:
			v.scalarCol = col
			return true
		case v.scalarCol >= 0 && col >= v.scalarCol:
			return true // the scalar's text: any printable bytes
		}
		v.inScalar = false // a line indented less ends the scalar
	}
	if len(rest) == 0 || rest[0] == '#' {
		return true // blank, or a comment line
	}
	item := isDash(rest)
	if !v.started {
		if col != 0 || item {
			return false
		}
		v.started = true
		v.levels = []level{{col: 0}}
		return v.content(rest, col)
	}
	if v.hasPending {
		v.hasPending = false
		switch {
		case col > v.pending:
			v.levels = append(v.levels, level{col: col, seq: item})
			return v.content(rest, col)
		case col == v.pending && item && !v.pendingItem:
			// a sequence at its key's column (key:\n- a)
			v.levels = append(v.levels, level{col: col, seq: true})
			return v.content(rest, col)
		}
		// an empty value: null
	}
	for len(v.levels) > 0 && v.levels[len(v.levels)-1].col > col {
		v.levels = v.levels[:len(v.levels)-1]
	}
	if n := len(v.levels); n > 1 && v.levels[n-1].col == col && v.levels[n-1].seq && !item && v.levels[n-2].col == col {
		v.levels = v.levels[:n-1] // a key after a sequence at its key's column
	}
	if len(v.levels) == 0 {
		return false
	}
	top := v.levels[len(v.levels)-1]
	if top.col != col || top.seq != item {
		return false
	}
	return v.content(rest, col)
}

func isDash(s []byte) bool { return s[0] == '-' && (len(s) == 1 || s[1] == ' ') }

// content reads one key or item starting at column col; an item's own
// content opens a collection at the column after its dash.
func (v *blockValidator) content(rest []byte, col int) bool {
	if !isDash(rest) {
		_, value, ok := splitKey(rest)
		return ok && v.value(value, col, false)
	}
	n := 1
	for n < len(rest) && rest[n] == ' ' {
		n++
	}
	inner := rest[n:]
	if len(inner) == 0 {
		v.pending, v.pendingItem, v.hasPending = col, true, true
		return true
	}
	if inner[0] == '#' {
		return false // "- # c": refused rather than reasoned about
	}
	if isDash(inner) {
		v.levels = append(v.levels, level{col: col + n, seq: true})
		return v.content(inner, col+n)
	}
	if _, value, ok := splitKey(inner); ok {
		v.levels = append(v.levels, level{col: col + n})
		return v.value(value, col+n, false)
	}
	return v.value(inner, col, true)
}

// value checks what follows a key at column col, or an item's own scalar
// when item is set (col is then its dash's): nothing (the value is on the
// lines below, or null), a block scalar's header, a quoted or plain
// one-line scalar, {} or [], each with an optional comment after it.
func (v *blockValidator) value(s []byte, col int, item bool) bool {
	s = bytes.Trim(s, " ")
	if len(s) == 0 || s[0] == '#' {
		if item {
			return false
		}
		v.pending, v.pendingItem, v.hasPending = col, false, true
		return true
	}
	switch s[0] {
	case '|', '>':
		n := 1
		if n < len(s) && (s[n] == '-' || s[n] == '+') {
			n++
		}
		if !afterScalar(s[n:]) {
			return false // an indentation indicator, or text after the header
		}
		v.inScalar, v.scalarParent, v.scalarCol = true, col, -1
		return true
	case '"', '\'':
		n := quoted(s)
		return n > 0 && afterScalar(s[n:])
	case '{':
		return len(s) >= 2 && s[1] == '}' && afterScalar(s[2:])
	case '[':
		n := flowSequence(s)
		return n > 0 && afterScalar(s[n:])
	}
	if i := bytes.Index(s, []byte(" #")); i >= 0 {
		s = bytes.TrimRight(s[:i], " ")
	}
	return plainValue(s)
}

// flowSequence returns the length of the one-line flow sequence of plain
// or quoted scalars s starts with ([] or ["sh", "-c", x]), or 0 for
// anything else.
func flowSequence(s []byte) int {
	i := skipSpaces(s, 1)
	if i < len(s) && s[i] == ']' {
		return i + 1
	}
	for i < len(s) {
		switch s[i] {
		case '"', '\'':
			n := quoted(s[i:])
			if n == 0 {
				return 0
			}
			i += n
		default:
			end := i
			for end < len(s) && bytes.IndexByte([]byte(",[]{}"), s[end]) < 0 {
				end++
			}
			item := bytes.TrimRight(s[i:end], " ")
			if !plainValue(item) || bytes.IndexByte(item, ':') >= 0 {
				return 0
			}
			i = end
		}
		i = skipSpaces(s, i)
		if i == len(s) {
			return 0
		}
		switch s[i] {
		case ']':
			return i + 1
		case ',':
			i = skipSpaces(s, i+1)
		default:
			return 0
		}
	}
	return 0
}

func skipSpaces(s []byte, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// afterScalar: what may follow a scalar or {} on its line: nothing, or a
// comment after a space.
func afterScalar(s []byte) bool {
	rest := bytes.TrimLeft(s, " ")
	return len(s) == 0 || s[0] == ' ' && (len(rest) == 0 || rest[0] == '#')
}

// quoted returns the length of the one-line quoted scalar s starts with,
// quotes included, or 0 when it does not close on the line or holds an
// escape yaml.v3 could refuse.
func quoted(s []byte) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++ // '' is a quote inside single quotes
		case s[i] == q:
			return i + 1
		case s[i] == '\\' && q == '"':
			n := escape(s[i+1:])
			if n == 0 {
				return 0
			}
			i += n
		}
	}
	return 0
}

// escape returns the length of the double-quoted escape s starts with (the
// bytes after the backslash), or 0 for one not known to be valid.
func escape(s []byte) int {
	if len(s) == 0 {
		return 0
	}
	switch s[0] {
	case '0', 'a', 'b', 't', 'n', 'v', 'f', 'r', 'e', ' ', '"', '\\', 'N', '_', 'L', 'P': // not '/', which yaml.v3 does not know
		return 1
	case 'x':
		if hexDigits(s[1:], 2) {
			return 3
		}
	case 'u':
		// a surrogate half is refused by yaml.v3
		if hexDigits(s[1:], 4) && (s[1]|0x20 != 'd' || s[2] < '8') {
			return 5
		}
	}
	return 0
}

func hexDigits(s []byte, n int) bool {
	if len(s) < n {
		return false
	}
	for _, c := range s[:n] {
		if (c < '0' || c > '9') && (c|0x20 < 'a' || c|0x20 > 'f') {
			return false
		}
	}
	return true
}

// splitKey splits "key: value" or "key:" where key is plain or quoted.
func splitKey(s []byte) (key, value []byte, ok bool) {
	s = bytes.TrimRight(s, " ")
	if len(s) > 0 && (s[0] == '"' || s[0] == '\'') {
		n := quoted(s)
		if n == 0 || n > 255 || n == len(s) || s[n] != ':' || n+1 < len(s) && s[n+1] != ' ' {
			return nil, nil, false
		}
		return s[:n], s[n+1:], true
	}
	if i := bytes.Index(s, []byte(": ")); i > 0 {
		key, value = s[:i], s[i+2:]
	} else if len(s) > 1 && s[len(s)-1] == ':' {
		key = s[:len(s)-1]
	} else {
		return nil, nil, false
	}
	return key, value, plainKey(key)
}

// plainKey: letters, digits and . _ / - (not first), as Kubernetes keys are.
func plainKey(k []byte) bool {
	if len(k) == 0 || len(k) > 253 || k[0] == '-' || k[0] == '.' { // yaml.v3 takes keys of up to 1024
		return false
	}
	for _, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '/', c == '-':
		default:
			return false
		}
	}
	return true
}

// plainValue: a one-line plain scalar that cannot start anything else, with
// no ": " or " #" inside.
func plainValue(s []byte) bool {
	if len(s) == 0 || bytes.ContainsAny(s[:1], "-?:,#<=~") {
		return false
	}
	if bytes.ContainsAny(s, "\"'{}[]|>&*!%@`\\\r\t") || bytes.Contains(s, []byte(": ")) || bytes.Contains(s, []byte(" #")) || s[len(s)-1] == ':' {
		return false
	}
	return true
}
