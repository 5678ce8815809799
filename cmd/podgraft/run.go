package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
)

// version is stamped by the Makefile with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `podgraft grafts sidecars, init containers, probes and volumes onto the
pod templates of Kubernetes workloads, as declared in PodGraft configs.

Usage:
  podgraft -c graft.yaml [-c more.yaml] [FILE ... | -]   plain YAML stream in, grafted stream out
  podgraft                                              KRM function: ResourceList on stdin
  podgraft --diff -c graft.yaml FILE ...                show what would change, as a unified diff
  podgraft --check -c graft.yaml FILE ...               list workloads whose grafts are missing or out of date
  podgraft schema                                       print the JSON Schema of the PodGraft config
  podgraft version                                      print the version
  podgraft copy-binary DIR                              copy this binary to DIR/podgraft (init containers)

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

Flags:
`

// Run is the whole CLI. main only calls it, so tests run it in-process.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "version" {
		fmt.Fprintln(stdout, "podgraft", version)
		return exitOK
	}
	if len(args) > 0 && args[0] == "schema" {
		return printSchema(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "copy-binary" {
		return copyBinary(args[1:], stdout, stderr)
	}
	var opts options
	flags := opts.flagSet(stderr)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if opts.version {
		fmt.Fprintln(stdout, "podgraft", version)
		return exitOK
	}
	mode, err := opts.mode()
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: usage:", err)
		return exitUsage
	}
	configs := opts.configs
	if len(configs) == 0 {
		configs = filepath.SplitList(os.Getenv("PODGRAFT_CONFIG"))
	}
	if len(configs) == 0 {
		if opts.diff {
			fmt.Fprintln(stderr, "podgraft: usage: --diff needs a config (-c graft.yaml)")
			return exitUsage
		}
		if opts.check {
			fmt.Fprintln(stderr, "podgraft: usage: --check needs a config (-c graft.yaml)")
			return exitUsage
		}
		if flags.NArg() > 0 {
			fmt.Fprintln(stderr, "podgraft: usage: files are read only with -c; without it podgraft is a KRM function and reads a ResourceList on stdin")
			return exitUsage
		}
		return runKRM(opts, mode, stdin, stdout, stderr)
	}
	return runStandalone(opts, mode, configs, flags.Args(), stdin, stdout, stderr)
}

type options struct {
	configs multiFlag
	remove  bool
	verbose bool
	version bool
	diff    bool
	check   bool
	color   colorMode
}

func (o *options) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("podgraft", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&o.configs, "c", "PodGraft config file (repeatable; a file may hold several PodGrafts)")
	fs.Var(&o.configs, "config", "same as -c")
	fs.BoolVar(&o.remove, "remove", false, "take out everything the named PodGrafts added")
	fs.BoolVar(&o.verbose, "v", false, "also print info results (what was grafted) to stderr")
	fs.BoolVar(&o.version, "version", false, "print the version")
	fs.BoolVar(&o.diff, "diff", false, "print a unified diff of what would change instead of the grafted stream")
	fs.BoolVar(&o.check, "check", false, "write nothing; list the workloads whose grafts are missing or out of date, and exit 1 if there are any")
	o.color = "auto"
	fs.Var(&o.color, "color", "colour the diff: auto (when stdout is a terminal), always or never")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nEnvironment:\n  PODGRAFT_CONFIG  config files, separated by ':', used when no -c is given\n\nExit codes: 0 success, 1 any error, 2 usage error.\nWith --diff: 0 no changes, 1 changes, 2 any error.\n")
	}
	return fs
}

// mode maps the flags to one run mode, refusing combinations that
// contradict each other.
func (o *options) mode() (fn.Mode, error) {
	switch {
	case o.diff && o.check:
		return 0, errors.New("--diff and --check contradict each other: --diff shows what a run would change, --check only says whether it would")
	case o.check && o.remove:
		return fn.CheckRemove, nil
	case o.check:
		return fn.Check, nil
	case o.remove:
		return fn.Remove, nil
	}
	return fn.Apply, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runKRM(opts options, mode fn.Mode, stdin io.Reader, stdout, stderr io.Writer) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	results, err := fn.RunResourceList(fn.Options{Mode: mode, BaseDir: wd}, stdin, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	report(countFromOne(results), opts.verbose, stderr)
	return results.ExitCode()
}

// countFromOne copies results whose file index is kustomize's and kpt's
// 0-based config.kubernetes.io/index, for printing: the stderr lines say
// "document <n>" counting from 1, as in standalone mode.
func countFromOne(results framework.Results) framework.Results {
	out := make(framework.Results, len(results))
	for i, r := range results {
		c := *r
		if r.File != nil {
			f := *r.File
			f.Index++
			c.File = &f
		}
		out[i] = &c
	}
	return out
}

func runStandalone(opts options, mode fn.Mode, configPaths, files []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := exitError
	if opts.diff {
		fail = exitDiffError // 1 means "changes" there
	}
	configs, err := fn.LoadConfigFiles(configPaths, guard.Limits{})
	if err != nil {
		for _, line := range fn.ErrorLines(err) { // one line per error of a config
			fmt.Fprintln(stderr, "podgraft: error:", line)
		}
		return fail
	}
	engine, err := fn.NewEngine(configs, mode)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return fail
	}
	inputs, closeAll, err := openInputs(files, stdin)
	defer closeAll()
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return fail
	}
	run := fn.Options{Mode: mode}
	if opts.diff {
		return runDiff(opts, run, engine, inputs, stdout, stderr)
	}
	results, err := fn.WriteStream(run, engine, inputs, stdout)
	report(results, opts.verbose, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	if results.ExitCode() != 0 {
		return exitError
	}
	return exitOK
}

// openInputs opens the files named, or stdin when there are none or the
// name is "-".
func openInputs(files []string, stdin io.Reader) ([]fn.Input, func(), error) {
	var inputs []fn.Input
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			_ = c.Close()
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		if name == "-" {
			inputs = append(inputs, fn.Input{Name: "stdin", Reader: stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, closeAll, err
		}
		closers = append(closers, f)
		inputs = append(inputs, fn.Input{Name: name, Reader: f})
	}
	return inputs, closeAll, nil
}

// report prints warnings and errors, and info with -v.
func report(results framework.Results, verbose bool, stderr io.Writer) {
	for _, r := range results {
		if r.Severity == framework.Info && !verbose {
			continue
		}
		fmt.Fprintln(stderr, fn.FormatResult(r))
	}
}
