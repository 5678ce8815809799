package guard

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Budget is what is left to read of a run's input: one budget is shared by
// every input of a run. With Document set, each document of a stream (the
// text between "---" lines) is bounded too, while it is read: the document
// splitter would otherwise hold a whole oversized document before anything
// could look at its size.
type Budget struct {
	left, limit int64
	// Document bounds each document; 0 does not.
	Document int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{left: limit, limit: limit} }

// Reader wraps r so that it fails with a TooLargeError once the budget is
// spent, and with a clear error when r starts with a UTF-16 or UTF-32 byte
// order mark: yaml.v3 would decode a single UTF-16 document, but the
// document splitter works on UTF-8 lines, so what came out depended on the
// input.
func (b *Budget) Reader(r io.Reader) io.Reader { return &limitReader{r: r, budget: b} }

type limitReader struct {
	r       io.Reader
	budget  *Budget
	started bool
	// err is returned by every Read once set: bufio.Reader.ReadLine drops
	// an error that comes with data, so it must come again, alone.
	err error
	// docBytes counts the bytes since the last "---" or "..." line (the
	// document splitter ends a document at both); dashes is how much of
	// "\n---" or "\n..." the last bytes matched, marker which of the two.
	docBytes int64
	dashes   int
	marker   byte
}

// countDocument follows the document boundaries in p and fails when one
// document grows past the budget's document limit.
func (l *limitReader) countDocument(p []byte) error {
	for _, c := range p {
		switch {
		case c == '\n':
			l.dashes = 1
		case (c == '-' || c == '.') && l.dashes >= 1 && l.dashes < 4 && (l.dashes == 1 || c == l.marker):
			l.marker = c
			if l.dashes++; l.dashes == 4 {
				l.docBytes, l.dashes = 0, 0
			}
		default:
			l.dashes = 0
		}
		l.docBytes++
	}
	if l.docBytes > l.budget.Document {
		return &TooLargeError{Limit: l.budget.Document, What: "this document"}
	}
	return nil
}

// byteOrderMarks that podgraft refuses; a UTF-8 one is fine.
var byteOrderMarks = []struct {
	bom  []byte
	name string
}{
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "UTF-32"}, {[]byte{0xFF, 0xFE, 0x00, 0x00}, "UTF-32"},
	{[]byte{0xFE, 0xFF}, "UTF-16"}, {[]byte{0xFF, 0xFE}, "UTF-16"},
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		l.err = err
	}
	return n, err
}

func (l *limitReader) read(p []byte) (int, error) {
	if !l.started {
		l.started = true
		br := bufio.NewReader(l.r)
		head, _ := br.Peek(4)
		for _, b := range byteOrderMarks {
			if bytes.HasPrefix(head, b.bom) {
				return 0, fmt.Errorf("the input is %s (it starts with a %s byte order mark): podgraft reads UTF-8 YAML; convert it first, e.g. iconv -f %s -t UTF-8", b.name, b.name, b.name)
			}
		}
		l.r = br
		l.dashes = 1 // the input starts at the start of a line
	}
	b := l.budget
	if b.left < 0 {
		return 0, &TooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := l.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, &TooLargeError{Limit: b.limit}
	}
	if b.Document > 0 {
		if derr := l.countDocument(p[:n]); derr != nil {
			return n, derr
		}
	}
	return n, err
}
