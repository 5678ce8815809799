package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/doccheck"
)

// TestDocsRunAsWritten runs every shell block the README and the examples'
// READMEs mark `<!-- runnable -->`, from the repository root, as a user
// would paste it.
func TestDocsRunAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	files, err := doccheck.MarkdownFiles(root)
	require.NoError(t, err)
	blocks, err := doccheck.Find("", files...)
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "the README must mark its example command runnable")
	for _, b := range blocks {
		rel, _ := filepath.Rel(root, b.File)
		t.Run(rel+":"+strconv.Itoa(b.Line), func(t *testing.T) {
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", b.Shell)
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s:%d failed:\n%s\n%s", rel, b.Line, b.Shell, out)
		})
	}
}

// TestReadmeQuickstartIsTheExample keeps the quickstart config shown in the
// README the very file the quickstart commands run.
func TestReadmeQuickstartIsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	graft, err := os.ReadFile("../../examples/quickstart/graft.yaml")
	require.NoError(t, err)
	require.Contains(t, string(readme), "`examples/quickstart/graft.yaml`:\n\n```yaml\n"+string(graft)+"```\n")
}
