package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUsageErrors: every mistake on the command line exits 2 with one
// message that names it, a pointer to --help, and no usage dump.
func TestUsageErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	graft, app := filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "app.yaml")
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown flag":              {[]string{"-c", graft, "--bogus", app}, "unknown flag: --bogus"},
		"unknown short flag":        {[]string{"-x"}, "unknown shorthand flag: 'x' in -x"},
		"missing value, short":      {[]string{"-c"}, "flag needs an argument: 'c' in -c"},
		"missing value, long":       {[]string{"--config"}, "flag needs an argument: --config"},
		"bad value":                 {[]string{"--color=sometimes", "-c", graft, app}, `invalid argument "sometimes" for "--color" flag: must be auto, always or never`},
		"bool with a value":         {[]string{"--check=maybe", "-c", graft, app}, `invalid argument "maybe" for "--check" flag`},
		"files without a config":    {[]string{app}, "files are read only with -c"},
		"a mistyped command":        {[]string{"shema"}, `did you mean "podgraft schema"?`},
		"diff without a config":     {[]string{"--diff"}, "--diff needs a config"},
		"check without a config":    {[]string{"--check", app}, "--check needs a config"},
		"diff and check":            {[]string{"--diff", "--check", "-c", graft, app}, "--diff and --check contradict each other"},
		"version with an argument":  {[]string{"version", "now"}, `podgraft version takes no arguments, got ["now"]`},
		"schema with an argument":   {[]string{"schema", "x"}, `podgraft schema takes no arguments, got ["x"]`},
		"a flag of another command": {[]string{"schema", "-c", graft}, "unknown shorthand flag: 'c' in -c"},
		"completion without shell":  {[]string{"completion"}, "podgraft completion takes one shell: bash, zsh or fish"},
		"completion of tcsh":        {[]string{"completion", "tcsh"}, `podgraft completion takes one shell: bash, zsh or fish; got ["tcsh"]`},
		"copy-binary, two folders":  {[]string{"copy-binary", "a", "b"}, "podgraft copy-binary DIR"},
		// The Go flag spellings the old help printed; pflag would read
		// -check as -c heck and -config as -c onfig.
		"old -check":   {[]string{"-check", "-c", graft, app}, "-check: long flags take two dashes: --check"},
		"old -config":  {[]string{"-config", graft, app}, "-config: long flags take two dashes: --config"},
		"old -color=":  {[]string{"--diff", "-color=never", "-c", graft, app}, "-color=never: long flags take two dashes: --color=never"},
		"old -remove":  {[]string{"-remove", "-c", graft, app}, "-remove: long flags take two dashes: --remove"},
		"old -version": {[]string{"-version"}, "-version: long flags take two dashes: --version"},
		"old -help":    {[]string{"schema", "-help"}, "-help: long flags take two dashes: --help"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, tc.args...)
			require.Equal(t, exitUsage, code, "stderr: %s", stderr)
			require.Empty(t, stdout)
			require.True(t, strings.HasPrefix(stderr, "podgraft: usage: "), stderr)
			require.Contains(t, stderr, tc.want)
			require.Contains(t, stderr, "--help' for usage.")
			require.NotContains(t, stderr, "Flags:", "no usage dump on a mistake")
			require.LessOrEqual(t, strings.Count(stderr, "\n"), 3, "one message, not a wall: %s", stderr)
		})
	}
}

// TestDoubleDashEndsFlags: after --, a name like -check is a file.
func TestDoubleDashEndsFlags(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "-check": diffInput})
	stdout, stderr, code := runCLI(t, nil, "-c", filepath.Join(dir, "graft.yaml"), "--", filepath.Join(dir, "-check"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "name: proxy")
}

// TestHelpExitsZero: help for podgraft and each command goes to stdout
// and exits 0, however it is asked for.
func TestHelpExitsZero(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"--help":              {[]string{"--help"}, []string{"Examples:", "Commands:", "Flags:", "Exit codes:"}},
		"-h":                  {[]string{"-h"}, []string{"Examples:", "Commands:"}},
		"help":                {[]string{"help"}, []string{"Examples:", "Commands:"}},
		"--help with flags":   {[]string{"-c", "graft.yaml", "--diff", "--help"}, []string{"Examples:"}},
		"schema --help":       {[]string{"schema", "--help"}, []string{"podgraft schema [flags]", "yaml-language-server", "podgraft schema > podgraft.schema.json"}},
		"help schema":         {[]string{"help", "schema"}, []string{"podgraft schema [flags]"}},
		"version --help":      {[]string{"version", "--help"}, []string{"podgraft version [flags]"}},
		"copy-binary --help":  {[]string{"copy-binary", "-h"}, []string{"podgraft copy-binary DIR [flags]", "podgraft copy-binary /opt/podgraft/bin"}},
		"completion --help":   {[]string{"completion", "--help"}, []string{"podgraft completion bash|zsh|fish [flags]", "source <(podgraft completion bash)"}},
		"help completion":     {[]string{"help", "completion"}, []string{"podgraft completion bash|zsh|fish"}},
		"completion -h, bash": {[]string{"completion", "bash", "-h"}, []string{"podgraft completion bash|zsh|fish"}},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, tc.args...)
			require.Equal(t, exitOK, code, stderr)
			require.Empty(t, stderr)
			for _, want := range tc.want {
				require.Contains(t, stdout, want)
			}
		})
	}
}

// TestHelpListsEveryFlagAndCommand: the root help shows the long and
// short spellings and every command.
func TestHelpListsEveryFlagAndCommand(t *testing.T) {
	stdout, _, code := runCLI(t, nil, "--help")
	require.Equal(t, exitOK, code)
	for _, want := range []string{
		"-c, --config FILE", "--remove", "--check", "--diff", "--color WHEN", "-v, --verbose", "--version", "-h, --help",
		"completion ", "copy-binary ", "schema ", "version ",
		"PODGRAFT_CONFIG",
	} {
		require.Contains(t, stdout, want)
	}
	require.NotContains(t, stdout, "__complete", "the shell's hook stays hidden")
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		stdout, stderr, code := runCLI(t, nil, args...)
		require.Equal(t, exitOK, code, stderr)
		require.Equal(t, "podgraft "+version+"\n", stdout, "%v", args)
	}
}

// TestFlagSpellings: the short and long spellings of a flag, and
// PODGRAFT_CONFIG, run alike.
func TestFlagSpellings(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	graft, app := filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "app.yaml")
	want, wantErr, code := runCLI(t, nil, "-v", "-c", graft, app)
	require.Equal(t, exitOK, code, wantErr)
	require.Contains(t, want, "name: proxy")
	require.Contains(t, wantErr, "podgraft: info:", "-v prints info results")
	for name, args := range map[string][]string{
		"--config FILE": {"--verbose", "--config", graft, app},
		"--config=FILE": {"--verbose", "--config=" + graft, app},
		"-c=FILE":       {"-v", "-c=" + graft, app},
		"flags last":    {app, "-c", graft, "-v"},
		"stdin as -":    {"-v", "-c", graft, "-"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, []byte(diffInput), args...)
			require.Equal(t, exitOK, code, stderr)
			require.Equal(t, want, stdout)
			require.Contains(t, stderr, "podgraft: info:")
		})
	}
	t.Run("PODGRAFT_CONFIG", func(t *testing.T) {
		t.Setenv("PODGRAFT_CONFIG", filepath.Join(dir, "missing.yaml")+string(filepath.ListSeparator)+graft)
		_, stderr, code := runCLI(t, nil, app)
		require.Equal(t, exitError, code, "both files named are read")
		require.Contains(t, stderr, "missing.yaml")

		t.Setenv("PODGRAFT_CONFIG", graft)
		stdout, stderr, code := runCLI(t, nil, "-v", app)
		require.Equal(t, exitOK, code, stderr)
		require.Equal(t, want, stdout)
	})
	t.Run("repeated -c", func(t *testing.T) {
		second := writeFiles(t, map[string]string{"more.yaml": strings.NewReplacer("name: edge", "name: more", "name: proxy", "name: logs").Replace(diffConfig)})
		stdout, stderr, code := runCLI(t, nil, "-c", graft, "--config", filepath.Join(second, "more.yaml"), app)
		require.Equal(t, exitOK, code, stderr)
		require.Contains(t, stdout, "name: proxy")
		require.Contains(t, stdout, "name: logs")
	})
}

// TestCompletionScripts: each shell's script comes from cobra's generator
// for podgraft, and each parses in its shell where that shell is here.
func TestCompletionScripts(t *testing.T) {
	for shell, tc := range map[string]struct {
		marker string   // a line only this shell's script has
		check  []string // parse the script without running it
	}{
		"bash": {"complete -o default -F __start_podgraft podgraft", []string{"bash", "-n"}},
		"zsh":  {"#compdef podgraft", []string{"zsh", "-n"}},
		"fish": {"complete -c podgraft -n '__podgraft_clear_perform_completion_once_result'", []string{"fish", "--no-execute"}},
	} {
		t.Run(shell, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, "completion", shell)
			require.Equal(t, exitOK, code, stderr)
			require.Empty(t, stderr)
			require.Contains(t, stdout, tc.marker)
			require.Contains(t, stdout, "__complete", "the script asks podgraft for candidates")

			if _, err := exec.LookPath(tc.check[0]); err != nil {
				if shell == "bash" {
					t.Fatal("bash is needed to check the bash script")
				}
				t.Skipf("%s is not installed: the script is not parsed", tc.check[0])
			}
			script := filepath.Join(t.TempDir(), "podgraft."+shell)
			require.NoError(t, os.WriteFile(script, []byte(stdout), 0o644))
			out, err := exec.Command(tc.check[0], append(tc.check[1:], script)...).CombinedOutput()
			require.NoError(t, err, "%s does not parse the script:\n%s", shell, out)
		})
	}
}

// TestCompletionCandidates asks podgraft what the shells ask it
// (podgraft __complete ARGS... PARTIAL): candidates, one a line, then
// ":<directive>", cobra's bit set that tells the shell what to add.
func TestCompletionCandidates(t *testing.T) {
	const (
		filesToo    = ":0"  // ShellCompDirectiveDefault: the shell completes files
		noFiles     = ":4"  // ShellCompDirectiveNoFileComp
		filesByExt  = ":8"  // ShellCompDirectiveFilterFileExt: the candidates are extensions
		directories = ":16" // ShellCompDirectiveFilterDirs
	)
	for name, tc := range map[string]struct {
		args      []string
		want      []string
		directive string
	}{
		"-c completes YAML files":       {[]string{"-c", ""}, []string{"yaml", "yml"}, filesByExt},
		"--config too":                  {[]string{"--diff", "--config", ""}, []string{"yaml", "yml"}, filesByExt},
		"FILE arguments complete files": {[]string{"-c", "graft.yaml", ""}, nil, filesToo},
		"after a first FILE too":        {[]string{"-c", "graft.yaml", "app.yaml", ""}, nil, filesToo},
		"commands, else files":          {[]string{""}, []string{"completion", "copy-binary", "help", "schema", "version"}, filesToo},
		"a command by its prefix":       {[]string{"sch"}, []string{"schema"}, filesToo},
		"flags":                         {[]string{"--c"}, []string{"--check", "--color", "--config"}, noFiles},
		"--color's values":              {[]string{"--color", ""}, []string{"auto", "always", "never"}, noFiles},
		"completion's shells":           {[]string{"completion", ""}, []string{"bash", "zsh", "fish"}, noFiles},
		"copy-binary completes folders": {[]string{"copy-binary", ""}, nil, directories},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, append([]string{"__completeNoDesc"}, tc.args...)...)
			require.Equal(t, exitOK, code, stderr)
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			require.Equal(t, tc.directive, lines[len(lines)-1], stdout)
			for _, want := range tc.want {
				require.Contains(t, lines[:len(lines)-1], want, stdout)
			}
			if tc.want == nil {
				require.Len(t, lines, 1, "no candidates: %s", stdout)
			}
		})
	}
}
