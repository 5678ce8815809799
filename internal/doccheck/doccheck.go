// Package doccheck extracts the shell commands that the Markdown docs mark
// as runnable, so that tests can run them exactly as written.
//
// A fenced ```sh block preceded by the line `<!-- runnable -->` is run by
// the unit tests; `<!-- runnable e2e -->` blocks need the pinned tools and
// are run by the end-to-end tests.
package doccheck

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Block is one runnable shell block.
type Block struct {
	File  string
	Line  int // line of the opening fence
	Tag   string
	Shell string
}

// Find returns the runnable blocks of the given Markdown files whose marker
// tag equals tag ("" for plain `<!-- runnable -->`).
func Find(tag string, files ...string) ([]Block, error) {
	var out []Block
	for _, f := range files {
		blocks, err := parse(f)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			if b.Tag == tag {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// All returns every runnable block of the given Markdown files, whatever
// its tag, so that a runner can reject tags it does not know (a typo in a
// marker would otherwise leave its block unrun).
func All(files ...string) ([]Block, error) {
	var out []Block
	for _, f := range files {
		blocks, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, blocks...)
	}
	return out, nil
}

// MarkdownFiles lists README.md, examples/*/README.md and
// deploy/*/README.md under root.
func MarkdownFiles(root string) ([]string, error) {
	files := []string{filepath.Join(root, "README.md")}
	for _, dir := range []string{"examples", "deploy"} {
		more, err := filepath.Glob(filepath.Join(root, dir, "*", "README.md"))
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

func parse(file string) ([]Block, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var (
		out     []Block
		pending *Block
		inBlock bool
		body    strings.Builder
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case inBlock && strings.HasPrefix(trimmed, "```"):
			inBlock = false
			if pending != nil {
				pending.Shell = body.String()
				out = append(out, *pending)
				pending = nil
			}
		case inBlock:
			if pending != nil {
				body.WriteString(line + "\n")
			}
		case strings.HasPrefix(trimmed, "<!-- runnable") && strings.HasSuffix(trimmed, "-->"):
			tag := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trimmed, "<!-- runnable"), "-->"))
			pending = &Block{File: file, Tag: tag}
		case strings.HasPrefix(trimmed, "```"):
			inBlock = true
			body.Reset()
			if pending != nil {
				if lang := strings.TrimPrefix(trimmed, "```"); lang != "sh" && lang != "bash" && lang != "shell" {
					pending = nil // the marker only applies to shell blocks
				} else {
					pending.Line = n
				}
			}
		case trimmed != "" && pending != nil:
			pending = nil // a marker applies only to the block right after it
		}
	}
	return out, sc.Err()
}
