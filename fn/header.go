package fn

import (
	"bytes"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

// Most documents of a rendered chart are ones no graft touches: Services,
// ConfigMaps, workloads a selector leaves out. Parsing them whole is most
// of standalone mode's cost, and they go out as their bytes anyway. So a
// document is first read only as far as its apiVersion, kind and metadata
// (header); when the engine says nothing needs more of it (Engine.Passes),
// it goes through unread. Anything the header scan is not sure of is
// parsed whole, as before.

var (
	// readHeaders turns the header scan on; tests turn it off to compare.
	readHeaders  = true
	podgraftMark = []byte("podgraft.dev")
	// mountMarks are the volume sources a workload names a ConfigMap,
	// Secret or claim by (transformers.mountedResources reads them).
	mountMarks = [][]byte{[]byte("configMap"), []byte("secret"), []byte("persistentVolumeClaim")}
)

// passes says whether raw can go out unread (see Engine.Passes), with
// its header. It must also be a document the full parse could not refuse:
// for its size, nesting, aliases or encoding, or for its syntax
// (plainBlock, checked last: most documents a graft needs are read anyway,
// and what header reads of the others only counts once it has passed).
func passes(e *transformers.Engine, raw []byte, limits guard.Limits) (transformers.Passage, *yaml.RNode) {
	if len(raw) >= guard.MaxDepth || int64(len(raw)) >= limits.Nodes || !plainText(raw) || bytes.Contains(raw, podgraftMark) {
		return transformers.Read, nil
	}
	head := header(raw)
	if head == nil || checkOne(head) != nil || IsResourceList(head) {
		return transformers.Read, nil // parsed whole, the document gets its error
	}
	mounts := false
	for _, m := range mountMarks {
		if bytes.Contains(raw, m) {
			mounts = true
			break
		}
	}
	passage := e.Passes(head, mounts)
	if passage == transformers.Read || !plainBlock(raw) {
		return transformers.Read, nil
	}
	return passage, head
}

// plainText reports whether raw is printable ASCII in lines, without
// both an anchor and an alias: text whose bytes yaml.v3 accepts whatever
// they say, and that aliases cannot blow up. Shorter than guard.MaxDepth,
// it cannot nest too deep or hold too many nodes either. Nor may it hold
// an escape that spells a character (\x41, \u0041, \U00000041): one could
// spell "podgraft.dev" or a mount key without the bytes passes looks for.
func plainText(raw []byte) bool {
	anchor, alias := false, false
	for i, c := range raw {
		switch {
		case c == '\\' && i+1 < len(raw) && (raw[i+1] == 'x' || raw[i+1] == 'u' || raw[i+1] == 'U'):
			return false
		case c == '&':
			anchor = true
		case c == '*':
			alias = true
		case c >= 0x20 && c < 0x7f || c == '\n' || c == '\r':
		default:
			return false
		}
	}
	return !anchor || !alias
}

// header reads the apiVersion, kind and metadata of a document in block
// style from its top-level lines: the lines that start at column 0 start
// the top-level keys, and what is indented under one belongs to it (block
// scalars and continuation lines are indented under their key). Those
// three keys' lines are parsed on their own. It returns nil for any
// document it is not sure of: one that is not a block mapping of plain
// keys (flow, JSON, a list), has markers or directives, names a header
// key twice, or whose header does not parse alone. (passes has already
// turned away tabs, a byte order mark and anything else but plain text.)
func header(raw []byte) *yaml.RNode {
	head := headerText(raw)
	if head == nil {
		return nil
	}
	if n := simpleHeader(head); n != nil {
		return yaml.NewRNode(n)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(head, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return yaml.NewRNode(doc.Content[0])
}

// headerText returns the lines of raw's apiVersion, kind and metadata,
// or nil (see header).
func headerText(raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	var head []byte
	var seen [3]bool
	keep := false // the current top-level key is one of the three
	for p := 0; p < len(raw); {
		end := bytes.IndexByte(raw[p:], '\n') + 1
		if end == 0 {
			end = len(raw) - p
		}
		line := raw[p : p+end]
		p += end
		switch line[0] {
		case ' ', '\n', '\r', '#':
			// indented, blank or a comment: part of the current key's
			// lines, so that its text parses as it does in place
		default:
			i := topKey(line)
			if i < 0 {
				return nil
			}
			keep = i < len(seen)
			if keep {
				if seen[i] {
					return nil // a duplicate: the full parse reports it
				}
				seen[i] = true
			}
		}
		if keep {
			head = append(head, line...)
		}
	}
	if !seen[0] || !seen[1] {
		return nil
	}
	return head
}

// headerKeys are the top-level keys header keeps, by index.
var headerKeys = [...]string{"apiVersion", "kind", "metadata"}

// topKey returns the index in headerKeys of the key line starts, the
// number of header keys for another plain key, or -1 when line does not
// start a plain "key:" (a marker, a directive, a quoted or complex key, a
// list item, a flow collection).
func topKey(line []byte) int {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || colon+1 < len(line) && line[colon+1] != ' ' && line[colon+1] != '\n' && line[colon+1] != '\r' {
		return -1
	}
	for _, c := range line[:colon] {
		if !wordByte(c) {
			return -1
		}
	}
	if line[0] == '-' || line[0] == '.' {
		return -1 // "---", "...", or a list item
	}
	for i, k := range headerKeys {
		if string(line[:colon]) == k {
			return i
		}
	}
	return len(headerKeys)
}

// simpleHeader reads the usual header without yaml.v3, which costs as much
// for a header as for a small document: keys and plain string values, in
// mappings at most two deep under a top-level key ("metadata:",
// "labels:", "app: web"). It returns nil for anything else (comments,
// quotes, flow style, values YAML reads as other than a string, a key
// twice), which yaml.v3 then reads.
func simpleHeader(head []byte) *yaml.Node {
	// open holds the open mappings and the indentation of their keys.
	type level struct {
		m      *yaml.Node
		indent int
	}
	open := []level{{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, 0}}
	var pending *yaml.Node // the mapping a "key:" line opened, still empty
	for len(head) > 0 {
		line := head
		if end := bytes.IndexByte(head, '\n'); end >= 0 {
			line, head = head[:end], head[end+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		if indent == len(line) {
			continue // blank
		}
		key, value, ok := simplePair(line[indent:])
		if !ok {
			return nil
		}
		if pending != nil {
			if indent <= open[len(open)-1].indent || len(open) == 3 {
				return nil // "key:" with no value, or deeper than the usual header
			}
			open = append(open, level{pending, indent})
			pending = nil
		}
		for len(open) > 1 && indent < open[len(open)-1].indent {
			open = open[:len(open)-1]
		}
		m := open[len(open)-1].m
		if indent != open[len(open)-1].indent {
			return nil
		}
		for i := 0; i < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return nil
			}
		}
		var v *yaml.Node
		if value == "" {
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			pending = v
		} else {
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
	if pending != nil {
		return nil
	}
	return open[0].m
}

// simplePair splits "key: value" or "key:" of plain keys and values that
// YAML reads as strings.
func simplePair(b []byte) (key, value string, ok bool) {
	colon := bytes.IndexByte(b, ':')
	if colon <= 0 || !simpleWord(b[:colon], false) {
		return "", "", false
	}
	rest := b[colon+1:]
	if len(rest) == 0 {
		return string(b[:colon]), "", true
	}
	if rest[0] != ' ' {
		return "", "", false
	}
	rest = rest[1:]
	if !simpleWord(rest, true) {
		return "", "", false
	}
	return string(b[:colon]), string(rest), true
}

// simpleWord: letters, digits and "._/-"; a value must start with a
// letter and not be one YAML 1.1 reads as a boolean or null.
func simpleWord(b []byte, value bool) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !wordByte(c) {
			return false
		}
	}
	if !value {
		return true
	}
	if !letter(b[0]) {
		return false
	}
	switch strings.ToLower(string(b)) {
	case "y", "n", "yes", "no", "true", "false", "on", "off", "null":
		return false
	}
	return true
}

func letter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// wordByte: a letter, a digit or one of "._/-".
func wordByte(c byte) bool {
	return letter(c) || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
}
