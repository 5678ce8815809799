package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// subcommands are podgraft's commands besides the root one. A new command
// is a file with its constructor, and one line here.
var subcommands = []func() *cobra.Command{
	newSchemaCommand,
	newGenerateCommand,
	newVersionCommand,
	newCopyBinaryCommand,
	newCompletionCommand,
}

// Run is the whole CLI. main only calls it, so tests run it in-process.
//
// A command's RunE returns exitCode for the code it chose (having printed
// its own messages), or another error for a usage mistake it found. Every
// other error that cobra returns comes from reading the command line
// (unknown flag, missing value, stray argument): all usage errors, exit 2.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	if stdin == nil {
		stdin = strings.NewReader("") // never the test process's own stdin
	}
	tee := &logTee{stderr: stderr, path: os.Getenv(logFileEnv), args: args}
	defer tee.close()
	stderr = tee
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if cmd, _, err := root.Find(args); err == nil && !completionRequest(args) {
		if err := singleDashLongFlag(cmd, args); err != nil {
			return usageError(stderr, cmd, err)
		}
	}
	cmd, err := root.ExecuteC()
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	}
	return usageError(stderr, cmd, err)
}

// usageError prints a usage error, naming the mistake and where help is,
// and returns exit code 2.
func usageError(stderr io.Writer, cmd *cobra.Command, err error) int {
	fmt.Fprintf(stderr, "podgraft: usage: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
	return exitUsage
}

// exitCode carries a command's exit code out of RunE.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// exit turns a command's exit code into RunE's error: nil for success.
func exit(code int) error {
	if code == exitOK {
		return nil
	}
	return exitCode(code)
}

func newRootCommand() *cobra.Command {
	var opts options
	root := &cobra.Command{
		Use:   "podgraft",
		Short: "Graft sidecars, init containers, probes and volumes onto pod templates",
		Args:  cobra.ArbitraryArgs, // FILE ..., checked by opts.run
		RunE:  opts.run,
		// FILE arguments complete file names.
		ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault),
		// Run prints errors its own way: a usage error names the mistake,
		// not every flag.
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2, // podgraft shema: did you mean schema?
	}
	opts.addFlags(root)
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd != root {
			defaultHelp(cmd, args) // subcommands: cobra's own help
			return
		}
		writeRootHelp(cmd)
	})
	for _, newCommand := range subcommands {
		root.AddCommand(newCommand())
	}
	return root
}

// singleDashLongFlag refuses the Go flag spellings that podgraft's help
// printed before it moved to pflag (-check, -config FILE), before cobra
// reads the arguments: pflag would read -check as "-c heck" and -config as
// "-c onfig". A long flag's name after one dash is a usage error that says
// what to write.
func singleDashLongFlag(cmd *cobra.Command, args []string) error {
	cmd.InitDefaultHelpFlag()
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(arg[1:], "=")
		if cmd.Flags().Lookup(name) != nil {
			return fmt.Errorf("%s: long flags take two dashes: -%s", arg, arg)
		}
	}
	return nil
}

// completionRequest tells the shell's calls for completions (podgraft
// __complete ARGS...) apart: what the user is typing is not yet an error.
func completionRequest(args []string) bool {
	return len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd)
}

const rootIntro = `podgraft grafts sidecars, init containers, probes and volumes onto the
pod templates of Kubernetes workloads, as declared in PodGraft configs.

`

const rootUsage = `Usage:
  podgraft -c graft.yaml [-c more.yaml] [FILE ... | -]   plain YAML stream in, grafted stream out
  podgraft                                              KRM function: ResourceList on stdin
  podgraft --diff -c graft.yaml FILE ...                show what would change, as a unified diff
  podgraft --check -c graft.yaml FILE ...               list workloads whose grafts are missing or out of date
  podgraft COMMAND                                      one of the commands below
`

const rootHelp = `
Modes:
  Standalone and Helm post-renderer: with -c (or PODGRAFT_CONFIG), podgraft reads
  the files given, or stdin, and writes the grafted stream to stdout. On any
  error it writes nothing to stdout and exits 1.
  KRM function: without -c, podgraft reads a ResourceList whose functionConfig
  is a PodGraft (kustomize --enable-alpha-plugins --enable-exec, kpt fn eval
  --exec / kpt fn render --allow-exec) and writes it back with results.
  Diff: with --diff, podgraft prints a unified diff per resource of what it
  would change (new resources against /dev/null) instead of the stream. It
  exits 0 when nothing would change, 1 when something would, and 2 on any
  error, like diff and kubectl diff. Colour with --color (auto: on a terminal).
  Schema: podgraft schema prints the JSON Schema (draft 2020-12) of PodGraft.
  Editors with the YAML language server (VS Code's YAML extension) use it when
  a config starts with the line
    # yaml-language-server: $schema=https://raw.githubusercontent.com/podgraft/podgraft/main/schema/podgraft.schema.json

Examples:
  podgraft -c examples/web-with-proxy/graft.yaml examples/web-with-proxy/input.yaml
  helm template shop ./chart | podgraft -c graft.yaml
  helm install shop ./chart --post-renderer podgraft --post-renderer-args -c --post-renderer-args graft.yaml
  podgraft --remove -c graft.yaml grafted.yaml
  podgraft --diff -c graft.yaml deploy/*.yaml
  helm template shop ./chart | podgraft --diff --color=always -c graft.yaml | less -R
  podgraft schema > podgraft.schema.json
  kpt fn eval --exec podgraft --fn-config graft.yaml
  kustomize build --enable-alpha-plugins --enable-exec .   (graft.yaml listed under transformers:)
  source <(podgraft completion bash)

`

const rootHelpFooter = `
Environment:
  PODGRAFT_CONFIG  config files, separated by ':', used when no -c is given
  HELM_NAMESPACE   the namespace of resources that have none, when no --namespace is given
  PODGRAFT_LOG_FILE  a file that every message is appended to, when no --log-file is given
  PODGRAFT_RELEASE   the release that names generated resources, when no --release is given

Exit codes: 0 success, 1 any error, 2 usage error.
With --diff: 0 no changes, 1 changes, 2 any error.

Run 'podgraft COMMAND --help' for more about a command.
`

// writeRootHelp prints podgraft --help: the modes and examples, the
// commands, the flags, the environment and the exit codes.
func writeRootHelp(root *cobra.Command) {
	w := root.OutOrStdout()
	fmt.Fprint(w, rootIntro, rootUsage, rootHelp, "Commands:\n")
	for _, cmd := range root.Commands() {
		if cmd.IsAvailableCommand() || cmd.Name() == "help" {
			fmt.Fprintf(w, "  %-*s  %s\n", cmd.NamePadding(), cmd.Name(), cmd.Short)
		}
	}
	fmt.Fprint(w, "\nFlags:\n", root.LocalFlags().FlagUsages(), rootHelpFooter)
}
