package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopyBinary(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, Run([]string{"copy-binary", dir}, nil, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "copied to "+filepath.Join(dir, "podgraft"))

	self, err := os.Executable()
	require.NoError(t, err)
	want, err := os.ReadFile(self)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "podgraft"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "the copy is the running binary, byte for byte")
	info, err := os.Stat(filepath.Join(dir, "podgraft"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "executable by the sidecar's user")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	t.Run("again, over the first copy", func(t *testing.T) {
		require.Equal(t, exitOK, Run([]string{"copy-binary", dir}, nil, &stdout, &stderr), stderr.String())
	})
}

func TestCopyBinaryErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no folder":      {args: []string{"copy-binary"}, code: exitUsage, want: "usage: podgraft copy-binary DIR"},
		"two folders":    {args: []string{"copy-binary", "a", "b"}, code: exitUsage, want: "usage: podgraft copy-binary DIR"},
		"missing folder": {args: []string{"copy-binary", filepath.Join(t.TempDir(), "missing")}, code: exitError, want: "podgraft: error: copy-binary:"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, tc.code, Run(tc.args, nil, &stdout, &stderr))
			require.Contains(t, stderr.String(), tc.want)
			require.Empty(t, stdout.String())
		})
	}
}
