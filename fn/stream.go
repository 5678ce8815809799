package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/splice"
	"github.com/podgraft/podgraft/transformers"
)

// Input is one named source of a document stream (a file, or stdin).
type Input struct {
	Name   string
	Reader io.Reader
}

// StreamError is a problem with the input stream itself, located by file
// and document index.
type StreamError struct {
	File  string
	Doc   int // 1-based
	Ref   *yaml.ResourceIdentifier
	Field string
	Err   error
}

func (e *StreamError) Error() string {
	where := fmt.Sprintf("%s: document %d", e.File, e.Doc)
	if e.Ref != nil && (e.Ref.Kind != "" || e.Ref.Name != "") {
		where += " (" + transformers.DescribeRef(e.Ref) + ")"
	}
	if e.Field != "" {
		where += ": " + e.Field
	}
	return where + ": " + e.Err.Error()
}

func (e *StreamError) Unwrap() error { return e.Err }

// document is one document of the output: its original bytes when podgraft
// did not change it, or its parsed form to encode.
type document struct {
	raw  []byte
	doc  *yaml.Node // the DocumentNode, so head comments survive
	node *yaml.RNode
	orig *splice.Original // doc as parsed from raw, to splice the edits into raw
	// held documents stay parsed until the end of the stream, for the
	// cross-document features (see Processor.Holds); changed says the
	// grafts changed one already.
	held, changed bool
}

// RunStream grafts a plain multi-document stream. It handles one document
// at a time: a document that no graft changes is copied through as its
// original bytes, so it comes out byte-identical and costs no encoding.
// The output is returned whole, and only when the whole run succeeded.
// A document the grafts fail on does not stop the run: the rest is still
// checked, so that one run reports every problem (a framework.Results
// error); a document that cannot be read stops it.
func RunStream(p *Processor, inputs []Input) ([]byte, error) {
	var docs []document
	var failed framework.Results
	budget := newBudget(limits.input) // shared by all inputs
	budget.document = limits.document
	for _, in := range inputs {
		reader := NewDocumentReader(budget.reader(in.Reader))
		for index := 1; ; index++ {
			raw, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, &StreamError{File: in.Name, Doc: index, Err: err}
			}
			mark := len(p.Results.Items)
			d, err := graftDocument(p, raw)
			locate(p.Results.Items[mark:], in.Name, index)
			if err != nil {
				var se *StreamError
				if errors.As(err, &se) {
					se.File, se.Doc = in.Name, index
				}
				var rs framework.Results
				if errors.As(err, &rs) {
					locate(rs, in.Name, index)
					failed = append(failed, rs...)
					continue
				}
				return nil, err
			}
			if d != nil && d.doc != nil && !d.held {
				// Done with: keep only its bytes.
				if d.raw, err = encodeDocument(*d); err != nil {
					return nil, err
				}
				d.doc, d.node, d.orig = nil, nil, nil
			}
			if d != nil && d.doc == nil {
				// Keep exactly the bytes: the reader's and the encoder's
				// buffers have up to twice the capacity.
				d.raw = bytes.Clone(d.raw)
			}
			if d != nil {
				docs = append(docs, *d)
			}
		}
	}
	if len(failed) > 0 {
		return nil, failed
	}
	if p.Results.HasErrors() && !p.check { // a drift report goes on, to report everything
		return nil, p.Results.Items
	}
	warnIfEmpty(p, inputs, len(docs))
	docs, err := finishStream(p, docs)
	if err != nil {
		return nil, err
	}
	if p.Results.HasErrors() {
		return nil, p.Results.Items
	}
	return encodeStream(docs)
}

// locate tells results which file and document they are about.
func locate(results framework.Results, file string, index int) {
	for _, r := range results {
		if r.File == nil {
			r.File = &framework.File{Path: file, Index: index}
		}
	}
}

// graftDocument parses one document and runs the grafts on it. It returns
// nil for a document with no content (only comments or whitespace).
func graftDocument(p *Processor, raw []byte) (*document, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &StreamError{Err: fmt.Errorf("invalid YAML: %w", err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &StreamError{Err: fmt.Errorf("expected a Kubernetes resource (a mapping), got a %s", transformers.NodeKind(root))}
	}
	node := yaml.NewRNode(root)
	if err := checkResource(node); err != nil {
		return nil, err
	}
	if node.GetKind() == "" || node.GetApiVersion() == "" {
		missing := "kind"
		if node.GetApiVersion() == "" {
			missing = "apiVersion"
		}
		return nil, &StreamError{Ref: transformers.Ref(node), Field: missing, Err: errors.New("required field is missing")}
	}
	orig := splice.Record(raw, &doc) // before any edit
	p.Touched.Reset()
	if err := p.Transform([]*yaml.RNode{node}); err != nil {
		return nil, err
	}
	if p.Holds(node) {
		return &document{doc: &doc, node: node, raw: raw, orig: orig, held: true, changed: p.Touched.Has(node)}, nil
	}
	if !p.Touched.Has(node) {
		orig.Release()
		return &document{raw: raw}, nil
	}
	if err := checkEdited(node); err != nil {
		return nil, err
	}
	return &document{doc: &doc, node: node, raw: raw, orig: orig}, nil
}

// encodeStream writes the documents, separated by "---", into one buffer
// sized up front: growing it by doubling would cost up to twice the
// output's size at the peak.
func encodeStream(docs []document) ([]byte, error) {
	size := 0
	for i := range docs {
		if docs[i].doc != nil {
			raw, err := encodeDocument(docs[i])
			if err != nil {
				return nil, err
			}
			docs[i].raw, docs[i].doc, docs[i].node, docs[i].orig = raw, nil, nil, nil
		}
		size += len("---\r\n") + len(docs[i].raw) + 1
	}
	out := bytes.NewBuffer(make([]byte, 0, size))
	for i, d := range docs {
		if i > 0 {
			out.WriteString("---")
			if bytes.Contains(d.raw, []byte("\r\n")) {
				out.WriteByte('\r') // the separator follows the document's line endings
			}
			out.WriteByte('\n')
		}
		out.Write(d.raw)
		if len(d.raw) > 0 && d.raw[len(d.raw)-1] != '\n' {
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), nil
}

// SpliceFallbacks counts the changed documents written whole, because an
// edit could not be spliced into their bytes (see internal/splice).
var SpliceFallbacks atomic.Int64

// encodeDocument writes a changed document: its input bytes with the edits
// spliced in, or, when that cannot be done safely (or the document is a
// generated one), the whole document encoded.
func encodeDocument(d document) ([]byte, error) {
	if d.orig != nil {
		out, err := d.orig.Splice(d.doc)
		d.orig.Release()
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, splice.ErrUnsupported) {
			return nil, err
		}
		SpliceFallbacks.Add(1)
	}
	var out bytes.Buffer
	crlf := bytes.Contains(d.raw, []byte("\r\n"))
	original := string(d.raw)
	if crlf {
		original = strings.ReplaceAll(original, "\r\n", "\n")
	}
	style := yaml.SequenceIndentStyle(yaml.DeriveSeqIndentStyle(original))
	enc := yaml.NewEncoderWithOptions(&out, &yaml.EncoderOptions{SeqIndent: style})
	if err := enc.Encode(d.doc); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", transformers.Describe(d.node), err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if crlf { // a document written with CRLF line endings keeps them
		return bytes.ReplaceAll(out.Bytes(), []byte("\n"), []byte("\r\n")), nil
	}
	return out.Bytes(), nil
}

// resultsError turns a filter error into results where it names resources.
func resultsError(err error) framework.Results {
	var rs framework.Results
	if errors.As(err, &rs) {
		return rs
	}
	var re interface{ Result() *framework.Result }
	if errors.As(err, &re) {
		return framework.Results{re.Result()}
	}
	return framework.Results{{Severity: framework.Error, Message: err.Error()}}
}
