package main

import (
	"fmt"
	"io"

	"github.com/podgraft/podgraft/schema"
)

// printSchema prints the JSON Schema of the PodGraft config. It is
// embedded, generated from the Go types at development time (make schema),
// so printing it costs nothing at start-up.
func printSchema(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "podgraft: usage: podgraft schema takes no arguments, got %q\n", args)
		return exitUsage
	}
	if _, err := stdout.Write(schema.JSON); err != nil {
		fmt.Fprintln(stderr, "podgraft: error: writing the schema:", err)
		return exitError
	}
	return exitOK
}
