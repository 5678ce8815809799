// Command floor is the benchmarks' speed floor: the least work that a tool
// which edits YAML as nodes has to do. It splits the multi-document stream on
// stdin at "---" lines, decodes one document at a time into a yaml.v3 node,
// encodes it into an output buffer, and writes the buffer at the end, as
// podgraft's standalone mode does (so that an error leaves stdout empty).
//
// With -stream it writes each document as soon as it is encoded instead: the
// memory floor, for comparison.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	yaml "go.yaml.in/yaml/v3"
)

func main() {
	streamOutput := flag.Bool("stream", false, "write each document as it is encoded instead of buffering the whole output")
	flag.Parse()

	var err error
	if *streamOutput {
		out := bufio.NewWriter(os.Stdout)
		if err = roundTrip(os.Stdin, out); err == nil {
			err = out.Flush()
		}
	} else {
		var out bytes.Buffer
		// The output is about the size of the input: reserve that once rather
		// than let the buffer double its way there, copying as it goes.
		if info, statErr := os.Stdin.Stat(); statErr == nil && info.Mode().IsRegular() {
			out.Grow(int(info.Size()) + int(info.Size())/8)
		}
		if err = roundTrip(os.Stdin, &out); err == nil {
			_, err = os.Stdout.Write(out.Bytes())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// roundTrip decodes and re-encodes every document of in, in order.
func roundTrip(in io.Reader, out io.Writer) error {
	index, written := 0, 0
	return splitDocuments(in, func(doc []byte) error {
		index++
		var node yaml.Node
		if err := yaml.Unmarshal(doc, &node); err != nil {
			return fmt.Errorf("document %d: %w", index, err)
		}
		if len(node.Content) == 0 {
			return nil // blank, or only comments
		}
		if written > 0 {
			if _, err := io.WriteString(out, "---\n"); err != nil {
				return err
			}
		}
		written++
		// One encoder per document: a yaml.v3 Encoder that is reused keeps
		// memory for every document it has encoded (800 MB live at 10,000
		// workloads).
		enc := yaml.NewEncoder(out)
		enc.SetIndent(2)
		if err := enc.Encode(&node); err != nil {
			return fmt.Errorf("document %d: %w", index, err)
		}
		return enc.Close()
	})
}

// splitDocuments calls each with the bytes of every document in in, split at
// "---" lines. The slice is reused between calls.
func splitDocuments(in io.Reader, each func(doc []byte) error) error {
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 64*1024), 64<<20) // allow long lines, such as embedded files
	var doc []byte
	for lines.Scan() {
		line := lines.Bytes()
		if isSeparator(line) {
			if err := each(doc); err != nil {
				return err
			}
			doc = doc[:0]
			continue
		}
		doc = append(doc, line...)
		doc = append(doc, '\n')
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return each(doc)
}

// isSeparator reports a document start marker: "---" alone or followed by a space.
func isSeparator(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	return bytes.Equal(line, []byte("---")) || bytes.HasPrefix(line, []byte("--- "))
}
