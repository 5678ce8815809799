package main

import (
	"io"
	"testing"
)

// BenchmarkCommandLine is what the CLI layer (cobra's command tree, pflag
// parsing) costs a run before the engine starts: build the tree, read the
// flags of a standalone run, print the version.
func BenchmarkCommandLine(b *testing.B) {
	args := []string{"--version", "-v", "-c", "graft.yaml", "--color=never", "app.yaml"}
	for b.Loop() {
		if code := Run(args, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
