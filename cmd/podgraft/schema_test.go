package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/schema"
)

func TestSchemaCommand(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "schema")
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, string(schema.JSON), stdout)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc["$schema"])
	require.Contains(t, doc["$defs"], "Sidecar")

	stdout, stderr, code = runCLI(t, nil, "schema", "extra")
	require.Equal(t, exitUsage, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "takes no arguments")
}

func TestHelpShowsEveryMode(t *testing.T) {
	stdout, _, code := runCLI(t, nil, "--help")
	require.Equal(t, exitOK, code)
	for _, want := range []string{
		"podgraft -c graft.yaml",                 // standalone
		"--post-renderer podgraft",               // Helm
		"kpt fn eval --exec podgraft",            // KRM
		"kustomize build --enable-alpha-plugins", // KRM
		"podgraft --diff -c graft.yaml",          // diff
		"podgraft schema",                        // schema
		"# yaml-language-server: $schema=",       // editors
		"With --diff: 0 no changes, 1 changes, 2 any error.",
		"--color",
	} {
		require.Contains(t, stdout, want, "help goes to stdout, as kubectl's and helm's do")
	}
}
