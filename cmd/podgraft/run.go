package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

type options struct {
	configs []string
	remove  bool
	verbose bool
	version bool
	diff    bool
	check   bool
	color   colorMode
	// namespace is where resources without one land (helm install -n).
	namespace string
	// logFile also gets every message, the info ones included.
	logFile string
	// release names the generated resources (default $PODGRAFT_RELEASE).
	release string
}

// addFlags declares the root command's flags: one line per flag.
func (o *options) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	configFlag(cmd, &o.configs)
	fs.BoolVar(&o.remove, "remove", false, "take out everything the named PodGrafts added")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "also print info results (what was grafted) to stderr")
	fs.BoolVar(&o.version, "version", false, "print the version")
	fs.BoolVar(&o.diff, "diff", false, "print a unified diff of what would change instead of the grafted stream")
	fs.BoolVar(&o.check, "check", false, "write nothing; list the workloads whose grafts are missing or out of date, and exit 1 if there are any")
	fs.StringVarP(&o.namespace, "namespace", "n", "", "the `NAMESPACE` of resources that have none, as helm install -n gives it (default $HELM_NAMESPACE, else \"default\"); never written into them")
	fs.StringVar(&o.release, "release", "", "the Helm `RELEASE` (or Argo CD app) the workloads belong to, which names the resources podgraft generates (default $"+releaseEnv+", else each workload's "+transformers.InstanceLabel+" label)")
	fs.StringVar(&o.logFile, "log-file", "", "also append every message, info included, to `FILE` (default $"+logFileEnv+"): Helm hides a post-renderer's stderr")
	_ = cmd.MarkFlagFilename("log-file")
	o.color = "auto"
	fs.Var(&o.color, "color", "`WHEN` to colour the diff: auto (when stdout is a terminal), always or never")
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
}

// configFlag declares -c/--config, repeatable, completing YAML files.
func configFlag(cmd *cobra.Command, configs *[]string) {
	cmd.Flags().StringArrayVarP(configs, "config", "c", nil, "PodGraft config `FILE` (repeatable; a file may hold several PodGrafts)")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
}

// run is the root command: a standalone run over files with a config, else
// the KRM function.
func (o *options) run(cmd *cobra.Command, files []string) error {
	stdin, stdout, stderr := cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	if tee, ok := stderr.(*logTee); ok {
		if o.logFile != "" {
			tee.path = o.logFile
		}
		if err := tee.open(); err != nil {
			fmt.Fprintln(stderr, "podgraft: error: --log-file:", err)
			return exitCode(exitError)
		}
	}
	if o.version {
		printVersion(stdout)
		return nil
	}
	mode, err := o.mode()
	if err != nil {
		return err
	}
	from := "--release"
	if o.release == "" {
		o.release, from = os.Getenv(releaseEnv), releaseEnv
	}
	var releaseErr error
	if errs := transformers.ReleaseProblems(o.release); o.release != "" && len(errs) > 0 {
		releaseErr = fmt.Errorf("%s %q: %s (a Helm release name)", from, o.release, strings.Join(errs, "; "))
	}
	configs := o.configs
	var warnings []string
	if len(configs) == 0 {
		configs = configList(os.Getenv("PODGRAFT_CONFIG"))
		if len(configs) > 0 && len(files) == 0 {
			// kustomize and kpt pass the shell's environment to exec
			// functions: a PODGRAFT_CONFIG exported there must not turn
			// the KRM function into a pass-through.
			buffered := bufio.NewReaderSize(stdin, 64<<10)
			stdin = buffered
			if fn.StartsWithResourceList(buffered) {
				warnings = append(warnings, "PODGRAFT_CONFIG is ignored: stdin is a ResourceList, so podgraft runs as a KRM function configured by its functionConfig (unset PODGRAFT_CONFIG in the shell that runs kustomize or kpt)")
				configs = nil
			}
		}
	}
	if len(configs) == 0 {
		switch {
		case o.diff:
			return errors.New("--diff needs a config (-c graft.yaml)")
		case o.check:
			return errors.New("--check needs a config (-c graft.yaml)")
		case len(files) > 0:
			return fmt.Errorf("files are read only with -c; without it podgraft is a KRM function and reads a ResourceList on stdin%s", suggestCommand(cmd, files[0]))
		case isTerminal(stdin):
			fmt.Fprint(stderr, terminalHint, rootUsage, "\nRun 'podgraft --help' for more.\n")
			return exitCode(exitUsage)
		}
		var failures []string // a KRM function reports them in its ResourceList
		if releaseErr != nil {
			failures = append(failures, releaseErr.Error())
		}
		return exit(runKRM(*o, mode, warnings, failures, stdin, stdout, stderr))
	}
	if releaseErr != nil {
		return releaseErr
	}
	return exit(runStandalone(*o, mode, configs, files, stdin, stdout, stderr))
}

// terminalHint is what bare podgraft says instead of waiting, silently,
// for a ResourceList typed on a terminal.
const terminalHint = `podgraft: stdin is a terminal. Without -c (or PODGRAFT_CONFIG), podgraft is a KRM
function that kustomize or kpt runs, and reads a ResourceList on stdin.
To graft files: podgraft -c graft.yaml FILE ...

`

// isTerminal says r is a terminal (and not /dev/null, which is a
// character device too).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// configList splits PODGRAFT_CONFIG as the shell splits PATH, skipping
// empty entries (a trailing ':').
func configList(env string) []string {
	var out []string
	for _, p := range filepath.SplitList(env) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// suggestCommand names the command that a mistyped one was probably meant
// to be (podgraft shema), or says nothing.
func suggestCommand(cmd *cobra.Command, arg string) string {
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		return fmt.Sprintf(` (did you mean "podgraft %s"?)`, s[0])
	}
	return ""
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

func runKRM(opts options, mode fn.Mode, warnings, failures []string, stdin io.Reader, stdout, stderr io.Writer) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(stderr, "podgraft: error:", err)
		return exitError
	}
	results, err := fn.RunResourceList(fn.Options{Mode: mode, BaseDir: wd, Warnings: warnings, Errors: failures, Release: opts.releaseOption()}, stdin, stdout)
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
	run := fn.Options{Mode: mode, Namespace: opts.namespace, Release: opts.releaseOption()}
	if run.Namespace == "" {
		run.Namespace = os.Getenv("HELM_NAMESPACE") // what helm sets for plugins and post-renderers run from a plugin
	}
	engine, err := fn.NewEngine(configs, run)
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

// releaseEnv gives --release to a post-renderer or exec function whose
// arguments are hard to reach (an Argo CD plugin: PODGRAFT_RELEASE=$ARGOCD_APP_NAME).
const releaseEnv = "PODGRAFT_RELEASE"

// releaseOption names generated resources after --release, else after
// each workload's instance label.
func (o options) releaseOption() transformers.Release {
	return transformers.Release{Name: o.release, FromLabel: true}
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
			logOnly(stderr, fn.FormatResult(r))
			continue
		}
		fmt.Fprintln(stderr, fn.FormatResult(r))
	}
}
