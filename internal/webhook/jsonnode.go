package webhook

// jsonnode.go reads JSON straight into the engine's node tree and writes
// the edited tree straight back as JSON, so that a review costs no YAML
// parse, no YAML encode and no YAML-to-JSON conversion. The tree is the
// one yaml.v3 builds from the same JSON (JSON is YAML): flow collections,
// double-quoted strings, and plain numbers, booleans and nulls with their
// resolved tags. Strings are read the way encoding/json (and so the API
// server) reads them.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// maxJSONDepth bounds the nesting of a request's object, as encoding/json
// bounds it (10,000), so that a hostile body cannot exhaust the stack.
const maxJSONDepth = 10000

// jsonParser reads one JSON value into yaml.Nodes.
type jsonParser struct {
	data  []byte
	pos   int
	depth int
	slab  []yaml.Node // nodes are taken from here: one allocation for many
}

// node returns a new node holding n.
func (p *jsonParser) node(n yaml.Node) *yaml.Node {
	if len(p.slab) == cap(p.slab) {
		// A Pod's JSON holds about one node per 14 bytes.
		p.slab = make([]yaml.Node, 0, max(16, (len(p.data)-p.pos)/14))
	}
	p.slab = append(p.slab, n)
	return &p.slab[len(p.slab)-1]
}

// parseJSONNode reads data, one JSON value, into a node tree.
func parseJSONNode(data []byte) (*yaml.Node, error) {
	p := &jsonParser{data: data}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected data after the JSON value")
	}
	return n, nil
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*yaml.Node, error) {
	p.space()
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	col := p.pos + 1
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(col)
	case c == '[':
		return p.array(col)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.node(yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: s, Line: 1, Column: col}), nil
	case c == '-' || c >= '0' && c <= '9':
		lit, err := p.number()
		if err != nil {
			return nil, err
		}
		n := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: lit, Line: 1, Column: col})
		n.Tag = n.ShortTag() // !!int or !!float, as yaml.v3 resolves the literal
		return n, nil
	default:
		for _, lit := range [...]struct{ text, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
			if bytes.HasPrefix(p.data[p.pos:], []byte(lit.text)) {
				p.pos += len(lit.text)
				return p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: lit.tag, Value: lit.text, Line: 1, Column: col}), nil
			}
		}
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) enter() error {
	if p.depth++; p.depth > maxJSONDepth {
		return p.errorf("nested too deeply")
	}
	return nil
}

func (p *jsonParser) object(col int) (*yaml.Node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	n := p.node(yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map", Line: 1, Column: col})
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("expected a string key")
		}
		kcol := p.pos + 1
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected ':' after an object key")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, p.node(yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: k, Line: 1, Column: kcol}), v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			if hasDuplicateKey(n) {
				// encoding/json takes the last, yaml.v3 refuses the
				// document: the slow path keeps its answer.
				return nil, errNotPlainJSON
			}
			return n, nil
		default:
			return nil, p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *jsonParser) array(col int) (*yaml.Node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // [
	n := p.node(yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Tag: "!!seq", Line: 1, Column: col})
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("expected ',' or ']' in an array")
		}
	}
}

// str reads a string. One without escapes and of valid UTF-8, nearly every
// one, is its bytes; any other is unquoted by encoding/json itself, so
// that escapes, surrogates and invalid bytes read as the API server reads
// them.
func (p *jsonParser) str() (string, error) {
	start := p.pos
	p.pos++ // "
	simple := true
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c == '"':
			p.pos++
			raw := p.data[start:p.pos]
			if simple {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("invalid JSON string at offset %d: %w", start, err)
			}
			return s, nil
		case c == '\\':
			simple = false
			p.pos += 2
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c >= utf8.RuneSelf:
			simple = false
			p.pos++
		default:
			p.pos++
		}
	}
	return "", p.errorf("unterminated string")
}

// number reads a number literal as JSON defines it, and returns its text.
func (p *jsonParser) number() (string, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return "", p.errorf("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return "", p.errorf("invalid number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return "", p.errorf("invalid number")
		}
	}
	return string(p.data[start:p.pos]), nil
}

// errNotPlainJSON: the tree holds something the JSON writer does not
// resolve itself (an alias, a merge key, an explicit tag, a value YAML
// cannot carry into JSON); the caller takes the slow path, which encodes
// the tree as YAML and converts that with sigs.k8s.io/yaml.
var errNotPlainJSON = errors.New("the grafted tree needs the YAML-to-JSON conversion")

// appendJSON writes the tree n as JSON, with the value every scalar has
// when the tree is encoded as YAML by yaml.v3 and that YAML is read by
// sigs.k8s.io/yaml (yaml.v2's YAML 1.1 rules), as kubectl reads it: a
// plain 0644 is the number 420, a plain yes is true. Object keys keep the
// tree's order.
func appendJSON(buf []byte, n *yaml.Node) ([]byte, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return buf, errNotPlainJSON
		}
		return appendJSON(buf, n.Content[0])
	case yaml.MappingNode:
		if n.Tag != "" && n.Tag != "!!map" || n.Style&yaml.TaggedStyle != 0 || len(n.Content)%2 != 0 {
			return buf, errNotPlainJSON
		}
		if hasDuplicateKey(n) {
			return buf, errNotPlainJSON // which one wins is yaml.v2's business
		}
		buf = append(buf, '{')
		for i := 0; i < len(n.Content); i += 2 {
			k, err := scalarKey(n.Content[i])
			if err != nil {
				return buf, err
			}
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			if buf, err = appendJSON(buf, n.Content[i+1]); err != nil {
				return buf, err
			}
		}
		return append(buf, '}'), nil
	case yaml.SequenceNode:
		if n.Tag != "" && n.Tag != "!!seq" || n.Style&yaml.TaggedStyle != 0 {
			return buf, errNotPlainJSON
		}
		buf = append(buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, c); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case yaml.ScalarNode:
		return appendScalar(buf, n)
	default: // an alias, or a zero node
		return buf, errNotPlainJSON
	}
}

func hasDuplicateKey(n *yaml.Node) bool {
	if len(n.Content) <= 16 {
		for i := 2; i < len(n.Content); i += 2 {
			for j := 0; j < i; j += 2 {
				if n.Content[i].Value == n.Content[j].Value {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i < len(n.Content); i += 2 {
		if seen[n.Content[i].Value] {
			return true
		}
		seen[n.Content[i].Value] = true
	}
	return false
}

// scalarKey is a mapping key as a JSON object key. A key that yaml.v2
// reads as anything but a string (a plain 1, yes or <<) takes the slow
// path.
func scalarKey(k *yaml.Node) (string, error) {
	if k.Kind != yaml.ScalarNode {
		return "", errNotPlainJSON
	}
	kind, _, err := scalarValue(k)
	if err != nil || kind != scalarString {
		return "", errNotPlainJSON
	}
	return k.Value, nil
}

type scalarKind int

const (
	scalarString  scalarKind = iota
	scalarLiteral            // a JSON number, true, false or null, as its JSON text
)

func appendScalar(buf []byte, n *yaml.Node) ([]byte, error) {
	kind, lit, err := scalarValue(n)
	if err != nil {
		return buf, err
	}
	if kind == scalarString {
		return appendJSONString(buf, n.Value), nil
	}
	return append(buf, lit...), nil
}

// scalarValue says what a scalar is once yaml.v3 has encoded it and
// yaml.v2 has read it back: a string (n.Value), or a JSON literal.
func scalarValue(n *yaml.Node) (scalarKind, string, error) {
	v := n.Value
	if !utf8.ValidString(v) || n.Style&(yaml.TaggedStyle|yaml.FoldedStyle) != 0 {
		// A folded block does not always read back as the text it
		// folded: yaml.v2 decides.
		return 0, "", errNotPlainJSON
	}
	tag := n.Tag
	if strings.HasPrefix(tag, "tag:yaml.org,2002:") {
		tag = "!!" + tag[len("tag:yaml.org,2002:"):]
	}
	if (tag == "" || tag == "!!str") && v != "" && !resolveHint[v[0]] {
		return scalarString, "", nil // most strings: neither YAML reads them as anything else
	}
	// yaml.v3 writes a scalar quoted (or as a block) when its style says
	// so, when it holds a line break, and when it is a string that would
	// read as something else plain; otherwise plain. It writes the tag
	// only when the value would not resolve to it.
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(v, "\n")
	switch tag {
	case "":
	case "!!str":
		if !quoted && implicitTag(v) != "!!str" {
			quoted = true
		}
	default:
		if implicitTag(v) != tag {
			return 0, "", errNotPlainJSON // written with its tag
		}
	}
	if quoted {
		return scalarString, "", nil
	}
	if v == "" {
		// Plain and empty: null in a block, '' in a flow collection.
		return 0, "", errNotPlainJSON
	}
	return resolvePlain(v)
}

// resolveHint holds the first characters of every plain scalar that
// yaml.v2 or yaml.v3 may resolve to something other than a string:
// numbers, booleans, nulls, floats such as .inf, the merge key.
var resolveHint = func() (t [256]bool) {
	for _, c := range []byte("+-0123456789yYnNtTfFoO~.<") {
		t[c] = true
	}
	return t
}()

// implicitTag is the tag yaml.v3 resolves a plain scalar to.
func implicitTag(v string) string {
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
}

// yamlStyleFloat is yaml.v2's pattern of a float.
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain reads a plain scalar as yaml.v2 reads it into an any
// (YAML 1.1: yes/no/on/off are booleans, 0644 is octal, a timestamp stays
// a string), and gives it as sigs.k8s.io/yaml writes it into JSON. It
// follows yaml.v2's resolve step for step.
func resolvePlain(v string) (scalarKind, string, error) {
	switch v {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return scalarLiteral, "true", nil
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return scalarLiteral, "false", nil
	case "~", "null", "Null", "NULL":
		return scalarLiteral, "null", nil
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<":
		return 0, "", errNotPlainJSON // not JSON, or a merge key
	}
	switch c := v[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return floatLiteral(f)
		}
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		if looksLikeTimestamp(v) {
			return 0, "", errNotPlainJSON // yaml.v2 keeps those that parse as strings; let it decide
		}
		plain := strings.ReplaceAll(v, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return scalarLiteral, strconv.FormatInt(i, 10), nil
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return scalarLiteral, strconv.FormatUint(u, 10), nil
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return floatLiteral(f)
			}
		}
		if strings.HasPrefix(plain, "0b") || strings.HasPrefix(plain, "-0b") {
			return 0, "", errNotPlainJSON
		}
	}
	return scalarString, "", nil
}

// looksLikeTimestamp is yaml.v2's quick check before it tries the
// timestamp formats: four digits and a dash.
func looksLikeTimestamp(v string) bool {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	return i == 4 && i < len(v) && v[i] == '-'
}

// floatLiteral writes a float as encoding/json does.
func floatLiteral(f float64) (scalarKind, string, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, "", errNotPlainJSON
	}
	b, err := json.Marshal(f)
	if err != nil {
		return 0, "", errNotPlainJSON
	}
	return scalarLiteral, string(b), nil
}

// appendJSONString writes s as a JSON string, escaped as encoding/json
// escapes it (with HTML characters escaped). s is valid UTF-8.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
