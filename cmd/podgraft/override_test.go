package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What an env or pod override replaced comes back as the user wrote it,
// byte for byte: its quotes, its flow style and its comment. (The golden
// removal invariant compares content only.)
func TestOverrideRemovalRestoresTheUsersText(t *testing.T) {
	for _, dir := range []string{"env/override", "pod/override"} {
		t.Run(dir, func(t *testing.T) {
			base := filepath.Join("..", "..", "testdata", dir)
			input, err := os.ReadFile(filepath.Join(base, "input.yaml"))
			require.NoError(t, err)
			out, stderr, code := runCLI(t, input, "-c", filepath.Join(base, "config.yaml"), "-")
			require.Equal(t, 0, code, stderr)
			require.Contains(t, out, `"original":`, "the record keeps what the override replaced")
			removed, stderr, code := runCLI(t, []byte(out), "--remove", "-c", filepath.Join(base, "config.yaml"), "-")
			require.Equal(t, 0, code, stderr)
			require.Equal(t, string(input), removed)
			require.True(t, strings.Contains(removed, "#"), "the comment of the replaced value is back")
		})
	}
}

// The default-container annotation a graft set goes with it; one the
// template had stays.
func TestDefaultContainerAnnotationIsRemovedWithItsGraft(t *testing.T) {
	for dir, kept := range map[string]bool{"pod/default-container": false, "pod/default-container-kept": true} {
		t.Run(dir, func(t *testing.T) {
			base := filepath.Join("..", "..", "testdata", dir)
			expected, err := os.ReadFile(filepath.Join(base, "expected.yaml"))
			require.NoError(t, err)
			require.Contains(t, string(expected), "kubectl.kubernetes.io/default-container:")
			removed, stderr, code := runCLI(t, expected, "--remove", "-c", filepath.Join(base, "config.yaml"), "-")
			require.Equal(t, 0, code, stderr)
			require.Equal(t, kept, strings.Contains(removed, "kubectl.kubernetes.io/default-container: worker"))
			if !kept {
				require.NotContains(t, removed, "default-container")
			}
		})
	}
}
