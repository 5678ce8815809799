package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitDocuments(t *testing.T) {
	in := "# leading comment\n---\na: 1\n--- # second\nb: [x]\n---\n\n---   \nc: 3"
	var docs []string
	require.NoError(t, splitDocuments(strings.NewReader(in), func(doc []byte) error {
		docs = append(docs, string(doc))
		return nil
	}))
	require.Equal(t, []string{"# leading comment\n", "a: 1\n", "b: [x]\n", "\n", "c: 3\n"}, docs)
}

func TestRoundTripKeepsDocumentsAndSkipsEmptyOnes(t *testing.T) {
	in := "---\n# Source: a.yaml\nkind: A\nspec:\n  items:\n    - x\n---\n# nothing here\n---\nkind: B\n"
	var out bytes.Buffer
	require.NoError(t, roundTrip(strings.NewReader(in), &out))
	require.Equal(t, "# Source: a.yaml\nkind: A\nspec:\n  items:\n    - x\n---\nkind: B\n", out.String())
}
