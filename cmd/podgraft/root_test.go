package main

import (
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
		"--help":             {[]string{"--help"}, []string{"Examples:", "Commands:", "Flags:", "Exit codes:"}},
		"-h":                 {[]string{"-h"}, []string{"Examples:", "Commands:"}},
		"help":               {[]string{"help"}, []string{"Examples:", "Commands:"}},
		"--help with flags":  {[]string{"-c", "graft.yaml", "--diff", "--help"}, []string{"Examples:"}},
		"schema --help":      {[]string{"schema", "--help"}, []string{"podgraft schema [flags]", "yaml-language-server", "podgraft schema > podgraft.schema.json"}},
		"help schema":        {[]string{"help", "schema"}, []string{"podgraft schema [flags]"}},
		"version --help":     {[]string{"version", "--help"}, []string{"podgraft version [flags]"}},
		"copy-binary --help": {[]string{"copy-binary", "-h"}, []string{"podgraft copy-binary DIR [flags]", "podgraft copy-binary /opt/podgraft/bin"}},
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
		"copy-binary ", "schema ", "version ",
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
