package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

// Exit codes of --diff, as diff(1) and kubectl diff use them.
const (
	exitDiffSame    = 0 // nothing would change
	exitDiffChanged = 1 // something would change
	exitDiffError   = 2 // an error (usage, config, input)
)

// runDiff grafts the inputs like a normal run, but prints a unified diff
// per resource of what would change instead of the grafted stream.
func runDiff(opts options, run fn.Options, engine *transformers.Engine, inputs []fn.Input, stdout, stderr io.Writer) int {
	files := make([]capturedFile, 0, len(inputs))
	budget := int64(guard.MaxInputBytes) // what RunStream would read, at most
	for _, in := range inputs {
		data, err := io.ReadAll(io.LimitReader(in.Reader, budget+1))
		if err == nil && int64(len(data)) > budget {
			err = fmt.Errorf("the input is larger than %d MiB, the limit podgraft sets to stay within memory; split it and run podgraft on each part", guard.MaxInputBytes>>20)
		}
		if err != nil {
			fmt.Fprintf(stderr, "podgraft: error: reading %s: %v\n", in.Name, err)
			return exitDiffError
		}
		budget -= int64(len(data))
		files = append(files, capturedFile{name: in.Name, data: data})
	}
	replay := make([]fn.Input, len(files))
	for i, f := range files {
		replay[i] = fn.Input{Name: f.name, Reader: bytes.NewReader(f.data)}
	}
	out, results, err := fn.RunStream(run, engine, replay)
	report(results, opts.verbose, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitDiffError
	}
	if results.ExitCode() != 0 {
		return exitDiffError
	}

	var before []diffDoc
	for _, f := range files {
		docs, err := splitDocuments(f.name, f.data)
		if err != nil {
			fmt.Fprintln(stderr, "podgraft: error:", err)
			return exitDiffError
		}
		before = append(before, docs...)
	}
	after, err := splitDocuments("output", out)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error: podgraft's own output does not parse:", err)
		return exitDiffError
	}
	text := renderDiff(before, after, useColor(opts.color, stdout))
	if _, err := io.WriteString(stdout, text); err != nil {
		fmt.Fprintln(stderr, "podgraft: error: writing the diff:", err)
		return exitDiffError
	}
	if text == "" {
		return exitDiffSame
	}
	return exitDiffChanged
}

type capturedFile struct {
	name string
	data []byte
}

// diffDoc is one document of a stream, as its text.
type diffDoc struct {
	id    string // "Deployment shop/web"
	key   string // apiVersion + id, to pair input and output documents
	where string // "app.yaml, document 2"
	text  string
}

// splitDocuments splits a stream the way fn.RunStream does, so that
// document indexes match podgraft's messages, and drops documents without
// content (podgraft drops them too).
func splitDocuments(name string, data []byte) ([]diffDoc, error) {
	var docs []diffDoc
	reader := fn.NewDocumentReader(bytes.NewReader(data))
	for index := 1; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, index, err)
		}
		doc, err := fn.ParseDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, index, err)
		}
		if doc == nil {
			continue
		}
		node := yaml.NewRNode(doc.Content[0])
		text := string(raw)
		if !strings.HasSuffix(text, "\n") {
			text += "\n" // podgraft ends every document with a newline
		}
		id := transformers.Describe(node)
		docs = append(docs, diffDoc{
			id:    id,
			key:   node.GetApiVersion() + " " + id,
			where: fmt.Sprintf("%s, document %d", name, index),
			text:  text,
		})
	}
}

// renderDiff pairs input and output documents and returns the unified
// diffs of those that differ. Output keeps the input's documents in order
// and appends generated ones, but may drop some (--remove takes out
// generated resources): an input whose identity does not come next in the
// output was removed, and outputs left over at the end are new.
func renderDiff(before, after []diffDoc, color bool) string {
	var b strings.Builder
	j := 0
	for _, in := range before {
		if j < len(after) && after[j].key == in.key {
			out := after[j]
			j++
			if in.text != out.text {
				writeUnified(&b, "a/"+in.id+"\t"+in.where, "b/"+in.id+"\t"+in.where, in.text, out.text, color)
			}
			continue
		}
		writeUnified(&b, "a/"+in.id+"\t"+in.where, "/dev/null", in.text, "", color)
	}
	for _, out := range after[j:] {
		writeUnified(&b, "/dev/null", "b/"+out.id+"\t(new)", "", out.text, color)
	}
	return b.String()
}

// ANSI colours, as git diff uses them.
const (
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

func writeUnified(b *strings.Builder, from, to, before, after string, color bool) {
	text := udiff.Unified(from, to, before, after)
	if !color {
		b.WriteString(text)
		return
	}
	for i, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		var c string
		switch {
		case i < 2: // the ---/+++ header
			c = ansiBold
		case strings.HasPrefix(body, "@@"):
			c = ansiCyan
		case strings.HasPrefix(body, "-"):
			c = ansiRed
		case strings.HasPrefix(body, "+"):
			c = ansiGreen
		}
		if c == "" {
			b.WriteString(line)
			continue
		}
		b.WriteString(c + body + ansiReset + "\n")
	}
}

// colorMode is the value of --color.
type colorMode string

func (c *colorMode) String() string { return string(*c) }
func (c *colorMode) Type() string   { return "string" }

func (c *colorMode) Set(v string) error {
	switch v {
	case "auto", "always", "never":
		*c = colorMode(v)
		return nil
	}
	return fmt.Errorf("must be auto, always or never, not %q", v)
}

// useColor decides --color=auto: colour when stdout is a terminal, unless
// NO_COLOR is set (https://no-color.org) or TERM is dumb.
func useColor(mode colorMode, stdout io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := stdout.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
