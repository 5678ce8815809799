package fn

import (
	"bytes"

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

// passes reports whether raw can go out unread: see Engine.Passes. It
// must also be a document the full parse could not refuse for its size,
// nesting, aliases or encoding: one whose every error the header would
// show.
func passes(e *transformers.Engine, raw []byte, limits guard.Limits) bool {
	if len(raw) >= guard.MaxDepth || int64(len(raw)) >= limits.Nodes || !plainText(raw) || bytes.Contains(raw, podgraftMark) {
		return false
	}
	head := header(raw)
	if head == nil || checkOne(head) != nil {
		return false // parsed whole, the document gets its error
	}
	mounts := false
	for _, m := range mountMarks {
		if bytes.Contains(raw, m) {
			mounts = true
			break
		}
	}
	return e.Passes(head, mounts)
}

// plainText reports whether raw is printable ASCII in lines, without
// both an anchor and an alias: text whose bytes yaml.v3 accepts whatever
// they say, and that aliases cannot blow up. Shorter than guard.MaxDepth,
// it cannot nest too deep or hold too many nodes either.
func plainText(raw []byte) bool {
	anchor, alias := false, false
	for _, c := range raw {
		switch {
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
		switch c := line[0]; {
		case c == ' ' || c == '\n' || c == '\r' || c == '#':
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
	var doc yaml.Node
	if err := yaml.Unmarshal(head, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return yaml.NewRNode(doc.Content[0])
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
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
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
