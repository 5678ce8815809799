package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// DocumentReader splits a YAML stream into documents at "---" lines, the
// way apimachinery's YAMLReader does, but returns each document's bytes
// exactly as they came, line endings included: YAMLReader turns "\r\n"
// into "\n", so a CRLF document podgraft does not change would not come
// out byte-identical. Separator lines are not part of any document, except
// one that opens the stream (as with YAMLReader).
type DocumentReader struct {
	r   *bufio.Reader
	eof bool
}

// NewDocumentReader reads documents from r.
func NewDocumentReader(r io.Reader) *DocumentReader {
	return &DocumentReader{r: bufio.NewReaderSize(r, 64*1024)}
}

// Read returns the next document, or io.EOF after the last one.
func (d *DocumentReader) Read() ([]byte, error) {
	var doc []byte
	for !d.eof {
		line, err := d.line()
		if err != nil {
			return nil, err
		}
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok {
			// Only spaces and a comment may follow a document separator.
			if trimmed := bytes.TrimSpace(rest); len(trimmed) > 0 && trimmed[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", trimmed)
			}
			if len(doc) > 0 {
				return doc, nil
			}
		}
		doc = append(doc, line...)
	}
	if len(doc) > 0 {
		return doc, nil
	}
	return nil, io.EOF
}

// line reads one line with its ending, however long it is.
func (d *DocumentReader) line() ([]byte, error) {
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
	if err := yaml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if len(doc.Content) == 0 || node.IsNull(doc.Content[0]) {
		return nil, nil
	}
	return &doc, nil
}
