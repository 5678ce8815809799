package fn

import "bytes"

// plainBlock reports whether raw is block YAML of the plainest shape: a
// mapping at column 0 of plain keys and plain one-line values, nested
// mappings and sequences by indentation, and whole-line comments. A
// document podgraft passes unread must be one yaml.v3 would read, or a
// broken one would go out as if it were fine; this shape cannot be broken.
// Anything else (quotes, flow collections, block scalars, tags, anchors,
// multi-line plain scalars, CR line ends, odd indentation) returns false,
// and the document is parsed whole, which reports its errors.
func plainBlock(raw []byte) bool {
	if bytes.IndexByte(raw, '\r') >= 0 {
		return false // a CR ends a line for yaml.v3, comments included
	}
	v := blockValidator{}
	for i, line := range bytes.Split(raw, []byte("\n")) {
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
	// below (an empty "key:" or "-"), -1 for none; pendingItem says a dash.
	pending     int
	pendingItem bool
	hasPending  bool
}

func (v *blockValidator) line(line []byte) bool {
	col := 0
	for col < len(line) && line[col] == ' ' {
		col++
	}
	rest := line[col:]
	if len(rest) == 0 || rest[0] == '#' {
		return true // blank, or a comment line
	}
	item := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
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

// content reads one key or item starting at column col; an item's own
// content opens a collection at the column after its dash.
func (v *blockValidator) content(rest []byte, col int) bool {
	if rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ') {
		if len(bytes.TrimRight(rest[1:], " ")) == 0 {
			v.pending, v.pendingItem, v.hasPending = col, true, true
			return true
		}
		n := 1
		for n < len(rest) && rest[n] == ' ' {
			n++
		}
		inner := rest[n:]
		if inner[0] == '#' {
			return false
		}
		if inner[0] == '-' && (len(inner) == 1 || inner[1] == ' ') {
			v.levels = append(v.levels, level{col: col + n, seq: true})
			return v.content(inner, col+n)
		}
		if key, value, ok := splitKey(inner); ok {
			v.levels = append(v.levels, level{col: col + n})
			return v.keyValue(key, value, col+n)
		}
		return plainValue(inner)
	}
	key, value, ok := splitKey(rest)
	if !ok {
		return false
	}
	return v.keyValue(key, value, col)
}

func (v *blockValidator) keyValue(key, value []byte, col int) bool {
	if !plainKey(key) {
		return false
	}
	if len(value) == 0 {
		v.pending, v.pendingItem, v.hasPending = col, false, true
		return true
	}
	return plainValue(value)
}

// splitKey splits "key: value" or "key:" at its first ": " or final ":".
func splitKey(s []byte) (key, value []byte, ok bool) {
	s = bytes.TrimRight(s, " ")
	if i := bytes.Index(s, []byte(": ")); i > 0 {
		return s[:i], bytes.TrimLeft(s[i+2:], " "), true
	}
	if len(s) > 1 && s[len(s)-1] == ':' {
		return s[:len(s)-1], nil, true
	}
	return nil, nil, false
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
// no ": " or " #" inside (a comment after it is refused too).
func plainValue(s []byte) bool {
	s = bytes.TrimRight(s, " ")
	if len(s) == 0 || bytes.ContainsAny(s[:1], "-?:,#<=~") {
		return false
	}
	if bytes.ContainsAny(s, "\"'{}[]|>&*!%@`\\\r\t") || bytes.Contains(s, []byte(": ")) || bytes.Contains(s, []byte(" #")) || s[len(s)-1] == ':' {
		return false
	}
	return true
}
