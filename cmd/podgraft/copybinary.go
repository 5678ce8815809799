package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// newCopyBinaryCommand copies the running podgraft binary to
// <dir>/podgraft. The image is FROM scratch, with no shell and no cp, so
// this is how an init container hands podgraft to another container
// through a shared volume (the Argo CD plugin sidecar in deploy/argocd).
// The file appears whole or not at all: it is written next to its final
// name and renamed.
func newCopyBinaryCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "copy-binary DIR",
		Short: "Copy this binary to DIR/podgraft (init containers)",
		Long: `Copy this binary to DIR/podgraft. podgraft's image is FROM scratch, with no
shell and no cp: an init container runs this to hand podgraft to another
container through a shared volume, as the Argo CD plugin does.`,
		Example: "  podgraft copy-binary /opt/podgraft/bin",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || args[0] == "" {
				return errors.New("podgraft copy-binary DIR (copies this binary to DIR/podgraft)")
			}
			return nil
		},
		ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveFilterDirs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := filepath.Join(args[0], "podgraft")
			if err := copySelf(dest); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "podgraft: error: copy-binary:", err)
				return exit(exitError)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "podgraft", version, "copied to", dest)
			return nil
		},
	}
}

func copySelf(dest string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find the running binary: %w", err)
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".podgraft-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	if _, err := io.Copy(tmp, src); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
