package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/internal/splice"
	"github.com/podgraft/podgraft/transformers"
)

// Input is one named source of a document stream (a file, or stdin).
type Input struct {
	Name   string
	Reader io.Reader
}

// document is one document of the output: its original bytes when podgraft
// did not change it, or its parsed form to encode.
type document struct {
	raw  []byte
	doc  *yaml.Node // the DocumentNode, so head comments survive
	node *yaml.RNode
	orig *splice.Original // doc as parsed from raw, to splice the edits into raw
	// held documents are needed again at the end of the stream, for the
	// cross-document features (see Engine.Holds): they keep their bytes
	// and are parsed again then, since a stream can hold thousands of
	// Services; changed says a graft changed one already, which then stays
	// parsed.
	held, changed bool
	// owned says raw is the document's own copy, not the reader's buffer.
	owned bool
	where *framework.File // its input file and document number
}

// RunStream grafts a plain multi-document stream. It handles one document
// at a time: a document that no graft changes is copied through as its
// original bytes, so it comes out byte-identical and costs no encoding.
// It returns the output whole, and only when the whole run succeeded, with
// every result. A document the grafts fail on does not stop the run: the
// rest is still checked, so that one run reports every problem; a
// document that cannot be read stops it, with a *DocError.
func RunStream(opts Options, e *transformers.Engine, inputs []Input) ([]byte, framework.Results, error) {
	var out bytes.Buffer
	results, err := WriteStream(opts, e, inputs, &out)
	if err != nil || results.ExitCode() != 0 {
		return nil, results, err
	}
	return out.Bytes(), results, nil
}

// WriteStream is RunStream writing its output to w, once the whole run
// succeeded, document by document: assembling the output in one buffer
// first would hold it twice at the peak.
func WriteStream(opts Options, e *transformers.Engine, inputs []Input, w io.Writer) (framework.Results, error) {
	limits := opts.Limits.WithDefaults()
	var docs []document
	var results framework.Results
	endsBare := false                       // the input ends without a line break
	budget := guard.NewBudget(limits.Input) // shared by all inputs
	budget.Document = limits.Document
	done := make(chan struct{})
	defer close(done) // stops the readers when the run stops early
	for p := range prepareAll(done, e, inputs, budget, limits) {
		if p.err != nil {
			return results, &DocError{File: p.file, Doc: p.index, Err: p.err}
		}
		if len(p.raw) > 0 {
			endsBare = p.raw[len(p.raw)-1] != '\n'
		}
		d, rs, err := graftDocument(e, p, limits)
		locate(rs, p.file, p.index)
		results = append(results, rs...)
		if err != nil {
			return results, &DocError{File: p.file, Doc: p.index, Err: err}
		}
		if d == nil {
			continue
		}
		d.where = &framework.File{Path: p.file, Index: p.index}
		if d.doc != nil && !d.held {
			// Done with: keep only its bytes.
			if d.raw, err = encodeDocument(*d, &results); err != nil {
				return results, err
			}
			d.doc, d.node, d.orig = nil, nil, nil
		}
		if d.doc == nil && !d.owned {
			// Keep exactly the bytes: the reader's and the encoder's
			// buffers have up to twice the capacity.
			d.raw = bytes.Clone(d.raw)
		}
		docs = append(docs, *d)
	}
	if transformers.HasErrors(results) && !opts.Mode.Checks() { // a drift report goes on, to report everything
		return results, nil
	}
	if len(docs) == 0 {
		results = append(results, emptyResult(inputs, opts.Mode))
	}
	docs, rs, err := finishStream(e, docs)
	results = append(results, rs...)
	if err != nil || transformers.HasErrors(results) {
		return results, err
	}
	for i := range docs {
		if docs[i].doc != nil {
			if docs[i].raw, err = encodeDocument(docs[i], &results); err != nil {
				return results, err
			}
			docs[i].doc, docs[i].node, docs[i].orig = nil, nil, nil
		}
	}
	if opts.Mode.Checks() {
		return results, nil // a drift report writes nothing
	}
	if err := writeStream(w, docs, endsBare); err != nil {
		return results, fmt.Errorf("writing the output: %w", err)
	}
	return results, nil
}

// locate tells results which file and document they are about.
func locate(results framework.Results, file string, index int) {
	for _, r := range results {
		if r.File == nil {
			r.File = &framework.File{Path: file, Index: index}
		}
	}
}

// prepared is one document of the input as read, and parsed when a graft
// needs it: the work that depends on nothing but the document's bytes.
type prepared struct {
	file  string
	index int // 1-based, within file
	raw   []byte
	// passage says what the grafts need of it; head is its header when
	// it goes through unread.
	passage transformers.Passage
	head    *yaml.RNode
	// doc is the parsed document (passage Read), nil for one without
	// content; orig records it before any edit.
	doc  *yaml.Node
	orig *splice.Original
	err  error // it could not be read or parsed: the run stops there
}

// prepareAll reads the inputs' documents in order and prepares them on
// every core, ahead of the engine, which must see them one at a time in
// order: parsing is most of standalone mode's CPU, and the engine's part
// is small. The channel yields each document in input order, at most a
// few documents per core ahead of the one the engine is at; it stops
// after a document that could not be read, or when done is closed.
func prepareAll(done <-chan struct{}, e *transformers.Engine, inputs []Input, budget *guard.Budget, limits guard.Limits) <-chan *prepared {
	workers := runtime.GOMAXPROCS(0)
	headers := readHeaders
	type job struct {
		p    *prepared
		into chan<- *prepared
	}
	jobs := make(chan job, workers)
	queued := make(chan (<-chan *prepared), 2*workers) // in input order
	out := make(chan *prepared)
	for range workers {
		go func() {
			for j := range jobs {
				select {
				case <-done: // the run stopped: nobody waits for it
				default:
					prepare(e, j.p, headers, limits)
				}
				j.into <- j.p
			}
		}()
	}
	go func() { // reads
		defer close(queued)
		defer close(jobs)
		for _, in := range inputs {
			reader := NewDocumentReader(budget.Reader(in.Reader))
			for index := 1; ; index++ {
				raw, err := reader.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				into := make(chan *prepared, 1)
				p := &prepared{file: in.Name, index: index, raw: raw, err: err}
				if err != nil {
					into <- p
				} else {
					select {
					case jobs <- job{p, into}:
					case <-done:
						return
					}
				}
				select {
				case queued <- into:
				case <-done:
					return
				}
				if err != nil {
					return
				}
			}
		}
	}()
	go func() { // hands them out in order
		defer close(out)
		for into := range queued {
			select {
			case out <- <-into:
			case <-done:
				return
			}
		}
	}()
	return out
}

// prepare finds what the grafts need of p (from its header, with headers
// on), and parses it if they need it whole. It only reads the engine's
// configuration, so that it can run ahead on another core.
func prepare(e *transformers.Engine, p *prepared, headers bool, limits guard.Limits) {
	if headers {
		if p.passage, p.head = passes(e, p.raw, limits); p.passage != transformers.Read {
			return
		}
	}
	doc, err := ParseDocument(p.raw)
	if err != nil || doc == nil {
		p.err = err
		return
	}
	r := yaml.NewRNode(doc.Content[0])
	if IsResourceList(r) {
		p.err = errResourceListInStream
		return
	}
	if p.err = checkResource(r, limits); p.err != nil {
		return
	}
	p.doc, p.orig = doc, splice.Record(p.raw, doc) // before any edit
}

// graftDocument runs the grafts on a prepared document. It returns no
// document for one without content (see ParseDocument).
func graftDocument(e *transformers.Engine, p *prepared, limits guard.Limits) (*document, framework.Results, error) {
	raw := p.raw
	switch p.passage {
	case transformers.Pass:
		return &document{raw: raw}, nil, nil // nothing needs more than its header
	case transformers.PassUnlessFronted:
		raw = bytes.Clone(raw) // kept for the end: not the reader's buffer
		e.NoteUnread(p.head, raw, func() (*yaml.RNode, error) {
			doc, err := ParseDocument(raw)
			if err != nil || doc == nil {
				return nil, err
			}
			r := yaml.NewRNode(doc.Content[0])
			return r, checkResource(r, limits)
		})
		return &document{raw: raw, owned: true}, nil, nil
	}
	if p.doc == nil {
		return nil, nil, nil
	}
	doc, orig := p.doc, p.orig
	r := yaml.NewRNode(doc.Content[0])
	res := e.Document(r)
	if w := misplacedConfig(r); w != nil {
		res.Results = append(res.Results, w)
	}
	if res.Failed {
		orig.Release()
		return nil, res.Results, nil
	}
	if e.Holds(r) && res.Changed {
		return &document{doc: doc, node: r, raw: raw, orig: orig, held: true, changed: true}, res.Results, nil
	}
	if !res.Changed {
		orig.Release()
		return &document{raw: raw, held: e.Holds(r)}, res.Results, nil
	}
	if err := checkEdited(r); err != nil {
		orig.Release()
		return nil, res.Results, err
	}
	return &document{doc: doc, node: r, raw: raw, orig: orig}, res.Results, nil
}

// emptyResult says the input held no resource at all: an empty stream,
// or one of comments only. That is not an error: Helm runs its
// post-renderer on charts that render nothing (every template disabled by
// values), and failing there would fail the install for no reason; so the
// output is empty, the exit code 0, and the warning tells a CLI user who
// passed the wrong file. A drift check of nothing is an error, though: it
// would otherwise pass a CI step that checked the wrong file.
func emptyResult(inputs []Input, mode Mode) *framework.Result {
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in.Name
	}
	if mode.Checks() {
		return &framework.Result{Severity: framework.Error,
			Message: fmt.Sprintf("no Kubernetes resources in %s: nothing to check", strings.Join(names, ", "))}
	}
	return &framework.Result{Severity: framework.Warning,
		Message: fmt.Sprintf("no Kubernetes resources in %s: nothing to graft, the output is empty", strings.Join(names, ", "))}
}

// errResourceListInStream refuses a ResourceList among plain documents:
// passed through, it would look like success while nothing was grafted
// (PODGRAFT_CONFIG exported in the shell that runs kustomize or kpt).
var errResourceListInStream = errors.New("this is a ResourceList, which podgraft reads only as a KRM function: " +
	"run it without -c and without PODGRAFT_CONFIG, and give the PodGraft as the functionConfig")

// finishStream runs the engine's Finish over the held documents of a
// stream: a held document that nothing changed goes out as its original
// bytes, a changed one must pass checkEdited like every changed document,
// a dropped one goes out not at all, and the generated resources come
// last, with the sequence indentation of the first document that has a
// block list.
func finishStream(e *transformers.Engine, docs []document) ([]document, framework.Results, error) {
	var held []*yaml.RNode
	for i := range docs {
		d := &docs[i]
		if !d.held {
			continue
		}
		if d.doc == nil {
			doc, err := ParseDocument(d.raw)
			if err != nil || doc == nil {
				return nil, nil, fmt.Errorf("parsing a held document again: %v", err) // it parsed before
			}
			d.doc, d.node = doc, yaml.NewRNode(doc.Content[0])
			d.orig = splice.Record(d.raw, doc) // before Finish edits it
		}
		held = append(held, d.node)
	}
	style := seqStyleSample(docs)
	out := e.Finish(held)
	kept := docs[:0]
	for _, d := range docs {
		if d.held {
			if out.Drop[d.node] {
				continue
			}
			if !d.changed && !out.Changed[d.node] {
				d.orig.Release()
				d.doc, d.orig = nil, nil // unchanged: its original bytes
			} else if err := checkEdited(d.node); err != nil {
				return nil, out.Results, err
			}
		}
		kept = append(kept, d)
	}
	for _, r := range out.Added {
		kept = append(kept, document{doc: &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{r.YNode()}}, node: r, raw: style, held: true})
	}
	tail := len(kept)
	for tail > 0 && kept[tail-1].held && transformers.IsGenerated(kept[tail-1].node) {
		tail--
	}
	block := slices.Clone(kept[tail:])
	nodes := make([]*yaml.RNode, len(block))
	for i, d := range block {
		nodes[i] = d.node
	}
	for i, j := range e.GeneratedOrder(nodes) {
		kept[tail+i] = block[j]
	}
	return kept, out.Results, nil
}

// seqStyleSample returns the bytes of the first document that has a block
// sequence, so that generated resources indent their lists like the input.
func seqStyleSample(docs []document) []byte {
	for _, d := range docs {
		for _, line := range bytes.Split(d.raw, []byte("\n")) {
			if t := bytes.TrimLeft(line, " "); bytes.HasPrefix(t, []byte("- ")) {
				return d.raw
			}
		}
	}
	return nil
}

// writeStream writes the documents, separated by "---" (see Separator),
// through one buffered writer. A document without a final line break gets
// one only when another follows. The output ends with a line break when
// the input did (endsBare false), whichever document comes last: after
// generated documents are appended to an input without one, --remove
// still gives it back byte for byte.
func writeStream(w io.Writer, docs []document, endsBare bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var prev []byte
	if n := len(docs); n > 0 {
		last := docs[n-1].raw
		switch breaks := bytes.HasSuffix(last, []byte("\n")); {
		case endsBare && breaks:
			last = bytes.TrimSuffix(bytes.TrimSuffix(last, []byte("\n")), []byte("\r"))
		case !endsBare && !breaks && len(last) > 0:
			last = append(last[:len(last):len(last)], '\n')
		}
		docs[n-1].raw = last
	}
	for i, d := range docs {
		if i > 0 {
			if len(prev) > 0 && prev[len(prev)-1] != '\n' {
				if err := bw.WriteByte('\n'); err != nil {
					return err
				}
			}
			if _, err := bw.WriteString(Separator(prev, d.raw)); err != nil {
				return err
			}
		}
		if _, err := bw.Write(d.raw); err != nil {
			return err
		}
		prev = d.raw
		docs[i].raw = nil // written: let it go
	}
	return bw.Flush()
}

// untagMergeKeys clears the !!merge tag of merge keys, which yaml.v3 would
// otherwise write out as "!!merge <<:"; "<<" reads as a merge key again.
func untagMergeKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Tag == "!!merge" && k.Value == "<<" {
				k.Tag = ""
			}
		}
	}
	if n.Kind != yaml.AliasNode {
		for _, c := range n.Content {
			untagMergeKeys(c)
		}
	}
}

// SpliceFallbacks counts the changed documents written whole, because an
// edit could not be spliced into their bytes (see internal/splice).
var SpliceFallbacks atomic.Int64

// encodeDocument writes a changed document: its input bytes with the edits
// spliced in, or, when that cannot be done safely (or the document is a
// generated one), the whole document encoded. A document of the input
// written whole is told in an info result (-v), with the reason.
func encodeDocument(d document, results *framework.Results) ([]byte, error) {
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
		*results = append(*results, &framework.Result{
			Severity:    framework.Info,
			ResourceRef: transformers.Ref(d.node),
			File:        d.where,
			Message:     "encoded whole: its edits could not be spliced into its text (" + strings.TrimPrefix(err.Error(), splice.ErrUnsupported.Error()+": ") + ")",
		})
	}
	var out bytes.Buffer
	crlf := bytes.Contains(d.raw, []byte("\r\n"))
	original := string(d.raw)
	if crlf {
		original = strings.ReplaceAll(original, "\r\n", "\n")
	}
	style := yaml.SequenceIndentStyle(yaml.DeriveSeqIndentStyle(original))
	untagMergeKeys(d.doc)
	node.SpellNulls(d.doc)
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
