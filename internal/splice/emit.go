package splice

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// emitter writes new nodes as block YAML in the style of the document
// around them: its line breaks, its indentation step, and the sequence
// indentation near the edit. Scalars that are plain, simply quoted,
// numbers, booleans or nulls are written directly; any other scalar is
// written by yaml.v3, so that quoting follows the encoder's rules.
type emitter struct {
	b      []byte
	nl     string
	step   int // indentation of a mapping nested in a mapping
	seqOff int // indentation of a block sequence under its key: 0 (compact) or more
	// seqs and near, when set, tell (when first needed) how the document
	// indents the sequences of a key name or of keys at a column, and the
	// ones nearest to the edit, in place of seqOff.
	seqs func() *seqStyles
	near func() int
	key  string // the key whose value tail writes
	// lastMulti says the last node written was a block scalar, whose
	// last line break is part of its value.
	lastMulti bool
	lastKeep  bool // with the keep indicator: empty lines after it are its own
}

// seqStyles is how a document indents its block sequences under their
// keys (as in seqOff), by key name and by key column: the first one seen.
type seqStyles struct {
	byKey map[string]int
	byCol map[int]int
}

// seqOffFor returns the indentation of a new block sequence under key at
// column col: as the document's sequences of that name, else as those of
// keys at that column, else as the ones nearest to the edit.
func (e *emitter) seqOffFor(key string, col int) int {
	if e.seqs != nil {
		seqs := e.seqs()
		if off, ok := seqs.byKey[key]; ok {
			return off
		}
		if off, ok := seqs.byCol[col]; ok {
			return off
		}
	}
	if e.near != nil {
		e.seqOff, e.near = e.near(), nil
	}
	return e.seqOff
}

func (e *emitter) spaces(n int) {
	for range n {
		e.b = append(e.b, ' ')
	}
}

func (e *emitter) newline(col int) {
	e.b = append(e.b, e.nl...)
	e.spaces(col)
}

// pair writes "key: value" at the cursor, the key being at column col.
func (e *emitter) pair(k, v *yaml.Node, col int) error {
	if k.Kind != yaml.ScalarNode {
		return unsupported("a new key that is not a scalar")
	}
	key, multi, err := e.scalar(k, false)
	if err != nil {
		return err
	}
	if multi || key == "" {
		return unsupported("a new key that does not fit on one line")
	}
	if k.FootComment != "" || k.LineComment != "" && v.LineComment != "" {
		return unsupported("a new key with a foot comment or two line comments")
	}
	e.b = append(e.b, key...)
	e.b = append(e.b, ':')
	e.key = k.Value
	if k.LineComment == "" {
		return e.tail(v, col, " ", 0)
	}
	// The key's line comment ends the key's line: after the value on it,
	// or after the colon when the value is a block collection below.
	c := *v
	c.LineComment = k.LineComment
	return e.tail(&c, col, " ", 0)
}

// headComment writes the comment lines above a new key or item, at column
// col, where the cursor is; the key or item then follows at col.
func (e *emitter) headComment(comment string, col int) error {
	if i := bytes.LastIndexByte(e.b, '\n'); i < 0 || len(bytes.TrimLeft(e.b[i+1:], " ")) > 0 {
		return unsupported("a head comment that does not start a line")
	}
	for _, line := range strings.Split(comment, "\n") {
		if line == "" { // an empty line between comment lines
			e.b = bytes.TrimRight(e.b, " ")
			e.newline(col)
			continue
		}
		e.b = append(e.b, line...)
		e.newline(col)
	}
	return nil
}

// item writes "- value" at the cursor, the dash being at column col and
// the value off columns after it.
func (e *emitter) item(v *yaml.Node, col, off int) error {
	e.b = append(e.b, '-')
	return e.tail(v, col, strings.Repeat(" ", off-1), off)
}

// tail writes v after its indicator: the ":" of a key at column col
// (off == 0), or the "-" of an item at column col whose value starts off
// columns after it; sep separates the indicator from an inline value.
func (e *emitter) tail(v *yaml.Node, col int, sep string, off int) error {
	if v.HeadComment != "" || v.FootComment != "" || v.Anchor != "" {
		return unsupported("a new node with a head or foot comment, or an anchor")
	}
	if v.LineComment != "" && v.Kind != yaml.ScalarNode && v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode {
		return unsupported("a new node of kind %d with a line comment", v.Kind)
	}
	switch v.Kind {
	case yaml.ScalarNode:
		c := *v
		c.LineComment = ""
		text, multi, err := e.scalar(&c, false)
		if err != nil {
			return err
		}
		if v.LineComment != "" {
			if multi || text == "" {
				return unsupported("a line comment after a block scalar or an empty null")
			}
			text += " " + v.LineComment
		}
		e.lastMulti = multi
		e.lastKeep = multi && strings.Contains(text[:max(strings.IndexByte(text, '\n'), 0)], "+")
		if text == "" {
			return nil // a null without text: "key:"
		}
		e.b = append(e.b, sep...)
		if !multi {
			e.b = append(e.b, text...)
			return nil
		}
		// A block scalar: its header, then its lines one step in,
		// which yaml.v3 wrote relative to column 0.
		lines := strings.Split(text, "\n")
		e.b = append(e.b, lines[0]...)
		for _, l := range lines[1:] {
			e.b = append(e.b, e.nl...)
			if l != "" {
				e.spaces(col)
				e.b = append(e.b, l...)
			}
		}
		return nil
	case yaml.AliasNode:
		e.lastMulti = false
		e.b = append(e.b, sep...)
		e.b = append(e.b, '*')
		e.b = append(e.b, v.Value...)
		return nil
	case yaml.MappingNode, yaml.SequenceNode:
		if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
			c := *v
			c.LineComment = ""
			text, err := flowYAML(&c)
			if err != nil {
				return err
			}
			e.lastMulti = false
			e.b = append(e.b, sep...)
			e.b = append(e.b, text...)
			if v.LineComment != "" {
				e.b = append(e.b, ' ')
				e.b = append(e.b, v.LineComment...)
			}
			return nil
		}
		if v.LineComment != "" {
			if off > 0 {
				return unsupported("a line comment after the dash of a new item")
			}
			e.b = append(e.b, ' ')
			e.b = append(e.b, v.LineComment...)
		}
		if v.Tag != "" && v.Tag != "!!map" && v.Tag != "!!seq" || v.Style&yaml.TaggedStyle != 0 {
			return unsupported("a new collection with tag %s", v.Tag)
		}
		if v.Kind == yaml.MappingNode && len(v.Content)%2 != 0 {
			return unsupported("a mapping with an odd number of nodes")
		}
		stride := 1
		if v.Kind == yaml.MappingNode {
			stride = 2
		}
		inner := col + off // in an item, the value's column
		if off == 0 {
			inner = col + e.step
			if v.Kind == yaml.SequenceNode {
				inner = col + e.seqOffFor(e.key, col)
			}
		}
		for i := 0; i < len(v.Content); i += stride {
			if i == 0 && off > 0 {
				e.b = append(e.b, sep...) // the first entry on the item's line
			} else {
				e.newline(inner)
			}
			head, err := v.Content[i], error(nil)
			if head.HeadComment != "" {
				if i == 0 && off > 0 {
					return unsupported("a head comment on the first entry of a new item")
				}
				if err := e.headComment(head.HeadComment, inner); err != nil {
					return err
				}
				c := *head
				c.HeadComment = ""
				head = &c
			}
			if stride == 2 {
				err = e.pair(head, v.Content[i+1], inner)
			} else {
				err = e.item(head, inner, 2)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return unsupported("a new node of kind %d", v.Kind)
}

// scalar returns how a scalar is written, and whether that takes several
// lines (a block scalar, whose lines after the first are relative to
// column 0). flow says it goes into a flow collection.
func (e *emitter) scalar(v *yaml.Node, flow bool) (string, bool, error) {
	if text, ok := simpleScalar(v, flow); ok {
		return text, false, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(max(e.step, 2))
	c := *v
	if flow && (c.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || c.Style == 0 && strings.Contains(c.Value, "\n")) {
		c.Style &^= yaml.LiteralStyle | yaml.FoldedStyle
		c.Style |= yaml.DoubleQuotedStyle
	}
	if err := enc.Encode(&c); err != nil {
		return "", false, unsupported("encoding a scalar: %v", err)
	}
	if err := enc.Close(); err != nil {
		return "", false, unsupported("encoding a scalar: %v", err)
	}
	text := strings.TrimSuffix(b.String(), "\n")
	if strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") {
		return "", false, unsupported("a scalar that yaml.v3 writes as a document")
	}
	multi := strings.Contains(text, "\n")
	if multi && (flow || (text[0] != '|' && text[0] != '>' && text[0] != '!')) {
		return "", false, unsupported("a scalar that does not fit on one line")
	}
	return text, multi, nil
}

// simpleScalar writes the scalars that need no analysis, as yaml.v3 would.
func simpleScalar(v *yaml.Node, flow bool) (string, bool) {
	s := v.Value
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		if v.Tag == "!!str" && printable(s, '"', '\\') {
			return `"` + s + `"`, true
		}
	case yaml.SingleQuotedStyle:
		if v.Tag == "!!str" && printable(s, 0, 0) && s != "" && s[0] != ' ' && s[len(s)-1] != ' ' {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
		}
	case 0:
		switch v.Tag {
		case "!!str":
			if plainString(s, flow) {
				return s, true
			}
		case "!!int":
			if decimal(s) {
				return s, true
			}
		case "!!bool":
			if s == "true" || s == "false" {
				return s, true
			}
		case "!!null":
			if s == "" || s == "null" || s == "~" {
				return s, true
			}
		}
	}
	return "", false
}

// printable reports whether s is printable ASCII without the given bytes.
func printable(s string, not1, not2 byte) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == not1 || c == not2 {
			return false
		}
	}
	return true
}

// plainString reports whether yaml.v3 writes the string s plain: it starts
// with a letter or "/", holds only characters that need no quoting, and
// does not read as another type.
func plainString(s string, flow bool) bool {
	if s == "" || !isLetter(s[0]) && s[0] != '/' {
		return false
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9':
		case c == '.', c == '_', c == '/', c == '-', c == '+', c == '=', c == '@', c == '~', c == '%', c == '(', c == ')', c == ';', c == '$':
		case c == ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return false
			}
			if flow {
				return false
			}
		case c == ',':
			if flow {
				return false
			}
		case c == ' ':
			if i+1 == len(s) || s[i+1] == '#' || s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// decimal reports whether s is a decimal integer as yaml.v3 writes one.
func decimal(s string) bool {
	if s == "0" {
		return true
	}
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// flowYAML writes a collection in YAML flow style, on one line.
func flowYAML(v *yaml.Node) (string, error) {
	if b, ok := simpleFlow(nil, v); ok {
		return string(b), nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	c := node.Copy(v)
	c.Style |= yaml.FlowStyle
	node.SpellNulls(c)
	if err := enc.Encode(c); err != nil {
		return "", unsupported("encoding a flow collection: %v", err)
	}
	if err := enc.Close(); err != nil {
		return "", unsupported("encoding a flow collection: %v", err)
	}
	text := strings.TrimSuffix(b.String(), "\n")
	if strings.Contains(text, "\n") {
		return "", unsupported("a flow collection that does not fit on one line")
	}
	return text, nil
}

// simpleFlow appends a collection of simple scalars in flow style, as
// yaml.v3 writes it; false when it holds anything else.
func simpleFlow(b []byte, v *yaml.Node) ([]byte, bool) {
	if v.Anchor != "" || v.HeadComment != "" || v.LineComment != "" || v.FootComment != "" || v.Style&^yaml.FlowStyle != 0 {
		return nil, false
	}
	switch {
	case v.Kind == yaml.ScalarNode:
		text, ok := simpleScalar(v, true)
		return append(b, text...), ok && text != ""
	case v.Kind == yaml.MappingNode && (v.Tag == "" || v.Tag == "!!map") && len(v.Content)%2 == 0:
		b = append(b, '{')
		for i := 0; i < len(v.Content); i += 2 {
			if i > 0 {
				b = append(b, ", "...)
			}
			var ok bool
			if b, ok = simpleFlow(b, v.Content[i]); !ok {
				return nil, false
			}
			b = append(b, ": "...)
			if b, ok = simpleFlow(b, v.Content[i+1]); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	case v.Kind == yaml.SequenceNode && (v.Tag == "" || v.Tag == "!!seq"):
		b = append(b, '[')
		for i, c := range v.Content {
			if i > 0 {
				b = append(b, ", "...)
			}
			var ok bool
			if b, ok = simpleFlow(b, c); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	}
	return nil, false
}

// flowScalar writes a scalar for a flow collection.
func (e *emitter) flowScalar(v *yaml.Node) (string, error) {
	text, multi, err := e.scalar(v, true)
	if err != nil {
		return "", err
	}
	if multi {
		return "", unsupported("a scalar that does not fit on one line")
	}
	return text, nil
}

// flowNode writes a node for a flow collection, on one line.
func (e *emitter) flowNode(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		return e.flowScalar(v)
	case yaml.AliasNode:
		return "*" + v.Value, nil
	}
	return flowYAML(v)
}

// flowPair writes "key: value" for a flow mapping.
func (e *emitter) flowPair(k, v *yaml.Node) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", unsupported("a new key that is not a scalar")
	}
	key, err := e.flowScalar(k)
	if err != nil {
		return "", err
	}
	val, err := e.flowNode(v)
	if err != nil {
		return "", err
	}
	if val == "" {
		return key + ":", nil
	}
	return key + ": " + val, nil
}

// jsonStyle is how a JSON document separates its tokens.
type jsonStyle struct {
	colon string // ":" or ": "
	comma string // "," or ", " between items on one line
	step  string // the indentation step of a document written over several lines
	multi bool   // the document is written over several lines
}

// jsonNode appends v as JSON; pretty writes collections over several
// lines, prefix being the indentation of the line v starts on.
func (j *jsonStyle) node(b []byte, v *yaml.Node, prefix, nl string, pretty bool) ([]byte, error) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return jsonScalar(b, v)
	case yaml.MappingNode, yaml.SequenceNode:
		open, closing := byte('['), byte(']')
		stride := 1
		if v.Kind == yaml.MappingNode {
			open, closing, stride = '{', '}', 2
			if len(v.Content)%2 != 0 {
				return nil, unsupported("a mapping with an odd number of nodes")
			}
		}
		b = append(b, open)
		inner := prefix + j.step
		for i := 0; i < len(v.Content); i += stride {
			if i > 0 {
				b = append(b, ',')
				if !pretty {
					b = append(b, j.comma[1:]...)
				}
			}
			if pretty {
				b = append(b, nl...)
				b = append(b, inner...)
			}
			var err error
			if stride == 2 {
				b, err = j.pair(b, v.Content[i], v.Content[i+1], inner, nl, pretty)
			} else {
				b, err = j.node(b, v.Content[i], inner, nl, pretty)
			}
			if err != nil {
				return nil, err
			}
		}
		if pretty && len(v.Content) > 0 {
			b = append(b, nl...)
			b = append(b, prefix...)
		}
		return append(b, closing), nil
	}
	return nil, unsupported("a new node of kind %d", v.Kind)
}

// pair appends "key": value.
func (j *jsonStyle) pair(b []byte, k, v *yaml.Node, prefix, nl string, pretty bool) ([]byte, error) {
	if k.Kind != yaml.ScalarNode {
		return nil, unsupported("a new key that is not a scalar")
	}
	b, err := jsonString(b, k.Value)
	if err != nil {
		return nil, err
	}
	b = append(b, j.colon...)
	return j.node(b, v, prefix, nl, pretty)
}

// jsonScalar appends a scalar as JSON: numbers, booleans and null typed,
// everything else a string.
func jsonScalar(b []byte, v *yaml.Node) ([]byte, error) {
	switch v.Tag {
	case "!!str":
		return jsonString(b, v.Value)
	case "!!int":
		if decimal(v.Value) {
			return append(b, v.Value...), nil
		}
	case "!!bool":
		if v.Value == "true" || v.Value == "false" {
			return append(b, v.Value...), nil
		}
	case "!!null":
		return append(b, "null"...), nil
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return nil, unsupported("a scalar with no JSON form: %v", err)
	}
	switch x := x.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case int:
		return append(b, []byte(itoa(int64(x)))...), nil
	case int64:
		return append(b, []byte(itoa(x))...), nil
	case uint64:
		return append(b, []byte(utoa(x))...), nil
	case string:
		return jsonString(b, x)
	}
	return nil, unsupported("a %s scalar in a JSON document", v.Tag)
}

func itoa(v int64) string {
	if v < 0 {
		return "-" + utoa(uint64(-v))
	}
	return utoa(uint64(v))
}

func utoa(v uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(buf[i:])
		}
	}
}

// jsonString appends s as a JSON string; UTF-8 is written as it is.
func jsonString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, unsupported("a string that is not valid UTF-8")
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}
