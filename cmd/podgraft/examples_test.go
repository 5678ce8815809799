package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExamples runs every examples/<name>/ folder as its README does, from
// the repository root: graft.yaml over input.yaml gives expected.yaml; a
// second run over that output changes nothing, byte for byte; --remove
// gives the input back. A folder without input.yaml must be a kustomize
// example (kustomization.yaml), which the end-to-end tests run.
func TestExamples(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	grafts, err := filepath.Glob(filepath.Join(root, "examples", "*", "graft.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, grafts)
	t.Chdir(root) // fromFiles and the READMEs' commands are relative to the root
	for _, graft := range grafts {
		dir := filepath.Dir(graft)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			rel := func(f string) string { return filepath.Join("examples", name, f) }
			if _, err := os.Stat(filepath.Join(dir, "input.yaml")); os.IsNotExist(err) {
				_, err := os.Stat(filepath.Join(dir, "kustomization.yaml"))
				require.NoError(t, err, "an example needs input.yaml and expected.yaml, or a kustomization.yaml")
				t.Skip("a kustomize example: run by the end-to-end tests")
			}
			want, err := os.ReadFile(rel("expected.yaml"))
			require.NoError(t, err)
			out, stderr, code := runCLI(t, nil, "-c", rel("graft.yaml"), rel("input.yaml"))
			require.Equal(t, 0, code, "stderr: %s", stderr)
			require.Equal(t, string(want), out)

			again, stderr, code := runCLI(t, []byte(out), "-c", rel("graft.yaml"), "-")
			require.Equal(t, 0, code, "stderr: %s", stderr)
			require.Equal(t, out, again, "a second run changed the output")

			removed, stderr, code := runCLI(t, []byte(out), "--remove", "-c", rel("graft.yaml"), "-")
			require.Equal(t, 0, code, "stderr: %s", stderr)
			input, err := os.ReadFile(rel("input.yaml"))
			require.NoError(t, err)
			require.Equal(t, normalize(t, streamItems(t, input)), normalize(t, streamItems(t, []byte(removed))), "--remove did not give the input back")
		})
	}
}

// TestScenarioIsTheExample keeps the golden scenario and the shipped
// example the same files, so the example is covered by every golden check
// (both modes, invariants) too.
func TestScenarioIsTheExample(t *testing.T) {
	for golden, example := range map[string]string{
		"config.yaml":     "graft.yaml",
		"input.yaml":      "input.yaml",
		"expected.yaml":   "expected.yaml",
		"conf/nginx.conf": "conf/nginx.conf",
	} {
		a, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scenario", "web-with-proxy", golden))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "web-with-proxy", example))
		require.NoError(t, err)
		require.Equal(t, string(b), string(a), "testdata/scenario/web-with-proxy/%s differs from examples/web-with-proxy/%s", golden, example)
	}
}
