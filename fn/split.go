package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// DocumentReader splits a YAML stream into documents at "---" lines, the
// way apimachinery's YAMLReader does, but returns each document's bytes
// exactly as they came, line endings included: YAMLReader turns "\r\n"
// into "\n", so a CRLF document podgraft does not change would not come
// out byte-identical. Separator lines are not part of any document, except
// one that opens the stream (as with YAMLReader).
//
// Two markers YAMLReader does not know are kept with their document, so
// that each document parses alone and none is lost: a "..." line (the end
// of a document; yaml.v3 reads only the document before it) ends its
// document, and the %YAML and %TAG directives before a "---" stay with the
// document that "---" starts (a directive line ends the document before
// it, as in yaml.v3).
type DocumentReader struct {
	r   *bufio.Reader
	eof bool
	// started: a line was read, so a "---" no longer opens the stream.
	started bool
	// next is a line read that belongs to the next document.
	next []byte
}

// NewDocumentReader reads documents from r.
func NewDocumentReader(r io.Reader) *DocumentReader {
	return &DocumentReader{r: bufio.NewReaderSize(r, 64*1024)}
}

// Read returns the next document, or io.EOF after the last one.
func (d *DocumentReader) Read() ([]byte, error) {
	var doc []byte
	// body: the document has begun (a line of content, or the "---"
	// that opens it); directives: it has directives before its "---".
	var body, directives bool
	for !d.eof || d.next != nil {
		line, err := d.line()
		if err != nil {
			return nil, err
		}
		opening := !d.started
		d.started = true
		switch kind, err := lineKind(line); {
		case err != nil:
			return nil, err
		case kind == separatorLine && directives && !body:
			body = true // the "---" its directives go with
		case kind == separatorLine && len(doc) > 0:
			return doc, nil
		case kind == separatorLine && !opening:
			continue // an empty document, or the "---" after a "..."
		case kind == separatorLine:
			body = true // the stream's opening "---": document 1 keeps it
		case kind == endLine && (body || directives):
			return append(doc, line...), nil
		case kind == endLine && len(doc) > 0:
			return doc, nil // comments only: the marker ends nothing
		case kind == endLine:
			continue
		case kind == directiveLine && body:
			// Directives start a document: the one before ends here, as
			// yaml.v3 reads it.
			d.next = line
			return doc, nil
		case kind == directiveLine:
			directives = true
		case kind == contentLine:
			body = true
		}
		doc = append(doc, line...)
	}
	if len(doc) > 0 {
		return doc, nil
	}
	return nil, io.EOF
}

// The kinds of line the splitter tells apart.
const (
	contentLine   = iota
	blankLine     // empty, blanks or a comment
	separatorLine // "---"
	endLine       // "...", the end of a document
	directiveLine // "%YAML 1.1", "%TAG ! tag:example.com,2000:"
)

func lineKind(line []byte) (int, error) {
	if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
		// Only spaces and a comment may follow a document separator.
		if trimmed := bytes.TrimSpace(rest); len(trimmed) > 0 && trimmed[0] != '#' {
			return 0, fmt.Errorf("invalid Yaml document separator: %s", trimmed)
		}
		return separatorLine, nil
	}
	// "..." is a marker before a blank or the line's end, as yaml.v3
	// reads it ("...x" is a plain scalar).
	if rest, ok := bytes.CutPrefix(line, []byte("...")); ok && (len(rest) == 0 || isBlank(rest[0])) {
		if trimmed := bytes.TrimSpace(rest); len(trimmed) > 0 && trimmed[0] != '#' {
			return 0, fmt.Errorf("invalid YAML document end marker: %s", trimmed)
		}
		return endLine, nil
	}
	if len(line) > 0 && line[0] == '%' {
		return directiveLine, nil
	}
	if trimmed := bytes.TrimSpace(line); len(trimmed) == 0 || trimmed[0] == '#' {
		return blankLine, nil
	}
	return contentLine, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Separator is the line to write between two documents, in next's line
// endings: "---", but "..." before a document that opens with directives
// (YAML takes them only after the end of the document before), and none
// when prev already ends with a "..." there, or when next opens with its
// own "---" (the first document of a second input file): two would make
// an empty document between them.
func Separator(prev, next []byte) string {
	sep := "---"
	switch firstLineKind(next) {
	case separatorLine:
		return ""
	case directiveLine:
		if endsWithEndMarker(prev) {
			return ""
		}
		sep = "..."
	}
	if bytes.Contains(next, []byte("\r\n")) {
		return sep + "\r\n"
	}
	return sep + "\n"
}

// firstLineKind is the kind of the first line of doc that is not blank
// or a comment, blankLine for none.
func firstLineKind(doc []byte) int {
	for len(doc) > 0 {
		line := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i+1], doc[i+1:]
		} else {
			doc = nil
		}
		if kind, _ := lineKind(line); kind != blankLine {
			return kind
		}
	}
	return blankLine
}

func endsWithEndMarker(doc []byte) bool {
	doc = bytes.TrimRight(doc, "\r\n")
	kind, _ := lineKind(doc[bytes.LastIndexByte(doc, '\n')+1:])
	return kind == endLine
}

// line reads one line with its ending, however long it is.
func (d *DocumentReader) line() ([]byte, error) {
	if line := d.next; line != nil {
		d.next = nil
		return line, nil
	}
	var long []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
			continue
		case errors.Is(err, io.EOF):
			d.eof = true
		case err != nil:
			return nil, err
		}
		if long != nil {
			return append(long, chunk...), nil
		}
		return chunk, nil
	}
}

// ParseDocument parses one document that DocumentReader returned. It
// returns nil for a document without content, wherever it comes in the
// stream: comments and blank lines only, an empty document after a "---"
// ("---\n# Source: …\n", which Helm renders for a template whose body is
// switched off), or a null. kubectl and kyaml skip those too.
func ParseDocument(raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if strings.Contains(err.Error(), "found incompatible YAML document") { // yaml.v3 says no more
			return nil, fmt.Errorf("invalid YAML: %w: a %%YAML directive other than 1.1; podgraft reads YAML 1.1, as kubectl and Helm do: write %%YAML 1.1 or none", err)
		}
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	// One document at a time: a second one would be lost.
	switch err := dec.Decode(new(yaml.Node)); {
	case err == nil:
		return nil, errors.New(`invalid YAML: a second document follows without a "---" line`)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if len(doc.Content) == 0 || node.IsNull(doc.Content[0]) {
		return nil, nil
	}
	return &doc, nil
}
