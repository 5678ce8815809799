package fn

import (
	"bytes"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// writeResourceList writes a ResourceList the way kio.ByteWriter does with
// a wrapping kind and reader annotations kept, byte for byte, but encodes
// each item, and each result, on its own. yaml.v3's emitter keeps every
// event of a document until the document ends, about 300 bytes per node,
// so encoding a ResourceList as one document takes about a hundred times
// its size in memory: a 200 MB list meant tens of gigabytes and the
// out-of-memory killer. One item at a time, the emitter holds one item.
//
// Encoding a node alone and shifting its lines is the same as encoding it
// in place: the encoder never wraps lines (yaml.v3's width is unlimited)
// and every indentation in the output, block scalar indicators included,
// is relative to the parent node.
// With clean, empty annotations are cleared from the items, as kyaml's
// writer does; without it the items are written exactly as they are (some
// may not be resources at all).
func writeResourceList(w io.Writer, apiVersion, kind string, items []*yaml.RNode, fnConfig, results *yaml.RNode, clean bool) error {
	var out bytes.Buffer
	head := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "apiVersion"}, {Kind: yaml.ScalarNode, Value: apiVersion},
		{Kind: yaml.ScalarNode, Value: "kind"}, {Kind: yaml.ScalarNode, Value: kind},
	}}
	if err := encodeNode(&out, head); err != nil {
		return err
	}
	var nodes []*yaml.Node
	for _, it := range items {
		if clean {
			if err := yaml.ClearEmptyAnnotations(it); err != nil {
				return err
			}
		}
		nodes = append(nodes, it.YNode())
	}
	if err := writeSequenceField(&out, "items", nodes); err != nil {
		return err
	}
	if fnConfig != nil {
		if err := writeField(&out, "functionConfig", fnConfig.YNode()); err != nil {
			return err
		}
	}
	if results != nil {
		r := results.YNode()
		var err error
		if r.Kind == yaml.SequenceNode && r.Style&yaml.FlowStyle == 0 && len(r.Content) > 0 && !hasComments(r) {
			err = writeSequenceField(&out, "results", r.Content)
		} else {
			err = writeField(&out, "results", r)
		}
		if err != nil {
			return err
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

// writeSequenceField writes "key:" and a block sequence of nodes, in
// kyaml's compact style (the dashes under the key), or "key: []".
func writeSequenceField(out *bytes.Buffer, key string, nodes []*yaml.Node) error {
	if len(nodes) == 0 {
		out.WriteString(key + ": []\n")
		return nil
	}
	out.WriteString(key + ":\n")
	var b bytes.Buffer
	for _, n := range nodes {
		b.Reset()
		if err := encodeNode(&b, n); err != nil {
			return err
		}
		shift(out, b.Bytes(), "- ", "  ", n.HeadComment != "")
	}
	return nil
}

// writeField writes "key: value" for a small value, encoded whole.
func writeField(out *bytes.Buffer, key string, n *yaml.Node) error {
	var b bytes.Buffer
	if err := encodeNode(&b, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, n}}); err != nil {
		return err
	}
	out.Write(b.Bytes())
	return nil
}

func hasComments(n *yaml.Node) bool {
	return n.HeadComment != "" || n.LineComment != "" || n.FootComment != ""
}

// encodeNode encodes n alone, as kyaml's writer configures the encoder.
func encodeNode(out *bytes.Buffer, n *yaml.Node) error {
	node.SpellNulls(n)
	enc := yaml.NewEncoder(out)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}

// shift writes text with first before its first line and indent before
// every other non-empty line. With commentAbove, leading comment lines
// (the head comment of the item node itself, as opposed to one on its
// first key) stay above the dash, where the encoder puts them in a
// sequence at column 0, kyaml's compact style.
func shift(out *bytes.Buffer, text []byte, first, indent string, commentAbove bool) {
	for commentAbove && len(text) > 0 && (text[0] == '#' || text[0] == '\n') {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		out.Write(line)
		text = text[len(line):]
	}
	prefix := first
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		text = text[len(line):]
		if len(line) > 1 || prefix == first {
			out.WriteString(prefix)
		}
		out.Write(line)
		prefix = indent
	}
}

// resultsSequence builds the results node one result at a time, for the
// same reason as writeResourceList: thousands of info results encoded as
// one document took hundreds of megabytes.
func resultsSequence(results framework.Results) (*yaml.RNode, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, r := range results {
		var buf bytes.Buffer
		if err := encodeValue(&buf, r); err != nil {
			return nil, err
		}
		n, err := yaml.Parse(buf.String())
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, n.YNode())
	}
	return yaml.NewRNode(seq), nil
}

func encodeValue(out *bytes.Buffer, v any) error {
	enc := yaml.NewEncoder(out)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}
