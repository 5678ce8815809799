// Command kyamlrt is the kyaml baseline: the whole stream on stdin read into
// RNodes by kio.ByteReader and written back to stdout by kio.ByteWriter, with
// no filters. This is what any kyaml pipeline pays before it does any work.
package main

import (
	"bufio"
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	err := kio.Pipeline{
		Inputs:  []kio.Reader{&kio.ByteReader{Reader: os.Stdin}},
		Outputs: []kio.Writer{kio.ByteWriter{Writer: out}},
	}.Execute()
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kyamlrt:", err)
		os.Exit(1)
	}
}
