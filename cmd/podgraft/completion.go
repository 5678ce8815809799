package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// completionShells are the shells podgraft completion writes a script for,
// with cobra's generators.
var completionShells = map[string]func(root *cobra.Command, w io.Writer) error{
	"bash": func(root *cobra.Command, w io.Writer) error { return root.GenBashCompletionV2(w, true) },
	"zsh":  func(root *cobra.Command, w io.Writer) error { return root.GenZshCompletion(w) },
	"fish": func(root *cobra.Command, w io.Writer) error { return root.GenFishCompletion(w, true) },
}

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script for bash, zsh or fish",
		Long: `Print the shell completion script for bash, zsh or fish. It completes
podgraft's commands and flags, YAML files after -c, and files as arguments.
The script calls podgraft to complete, so podgraft must be on PATH; the bash
script needs the bash-completion package.`,
		Example: `  source <(podgraft completion bash)                                              # bash, this shell
  podgraft completion bash > ~/.local/share/bash-completion/completions/podgraft  # bash, every new shell
  podgraft completion zsh > "${fpath[1]}/_podgraft"                               # zsh (compinit loads it)
  podgraft completion fish > ~/.config/fish/completions/podgraft.fish             # fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || completionShells[args[0]] == nil {
				return fmt.Errorf("%s takes one shell: bash, zsh or fish; got %q", cmd.CommandPath(), args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := completionShells[args[0]](cmd.Root(), cmd.OutOrStdout()); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "podgraft: error: writing the completion script:", err)
				return exit(exitError)
			}
			return nil
		},
	}
}
