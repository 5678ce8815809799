package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// resourceListOf wraps the documents of a stream as kustomize hands them to
// an exec function, with config as the functionConfig.
func resourceListOf(t *testing.T, config, stream string) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for _, doc := range strings.Split(stream, "\n---\n") {
		r, err := yaml.Parse(doc)
		require.NoError(t, err)
		b.WriteString("- " + strings.ReplaceAll(strings.TrimSpace(r.MustString()), "\n", "\n  ") + "\n")
	}
	b.WriteString("functionConfig:\n  " + strings.ReplaceAll(strings.TrimSpace(config), "\n", "\n  ") + "\n")
	return []byte(b.String())
}

// TestExportedConfigDoesNotDisableTheKRMFunction: kustomize and kpt pass the
// shell's environment to exec functions; a PODGRAFT_CONFIG exported there
// used to make podgraft echo the ResourceList back as a plain document and
// graft nothing, with exit 0.
func TestExportedConfigDoesNotDisableTheKRMFunction(t *testing.T) {
	dir := writeFiles(t, map[string]string{"other.yaml": strings.ReplaceAll(diffConfig, "proxy", "other")})
	t.Setenv("PODGRAFT_CONFIG", filepath.Join(dir, "other.yaml"))
	stdout, stderr, code := runCLI(t, resourceListOf(t, diffConfig, diffInput))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "podgraft: warning: PODGRAFT_CONFIG is ignored: stdin is a ResourceList")

	rl, err := yaml.Parse(stdout)
	require.NoError(t, err)
	require.Equal(t, "ResourceList", rl.GetKind(), "the output is the ResourceList, not a stream holding it")
	names, err := rl.Pipe(yaml.Lookup("items", "[kind=Deployment]", "spec", "template", "spec", "initContainers"))
	require.NoError(t, err)
	got, err := names.ElementValues("name")
	require.NoError(t, err)
	require.Equal(t, []string{"proxy"}, got, "the functionConfig's graft, not PODGRAFT_CONFIG's")
	results, err := rl.Pipe(yaml.Lookup("results"))
	require.NoError(t, err)
	require.NotNil(t, results)
	require.Contains(t, results.MustString(), "PODGRAFT_CONFIG is ignored", "kpt shows the results, not stderr")

	// A plain stream still takes PODGRAFT_CONFIG.
	stdout, stderr, code = runCLI(t, []byte(diffInput))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "name: other")
	require.NotContains(t, stderr, "ignored")
}

// TestResourceListAmongDocuments: with -c, a ResourceList is an error, never
// a document passed through.
func TestResourceListAmongDocuments(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig})
	stdout, stderr, code := runCLI(t, resourceListOf(t, diffConfig, diffInput), "-c", filepath.Join(dir, "graft.yaml"))
	require.Equal(t, exitError, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "stdin: document 1: ")
	require.Contains(t, stderr, "this is a ResourceList, which podgraft reads only as a KRM function")
}

// TestConfigListSkipsEmptyEntries: PODGRAFT_CONFIG=g.yaml: used to fail
// with "open : no such file".
func TestConfigListSkipsEmptyEntries(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig})
	sep := string(os.PathListSeparator)
	t.Setenv("PODGRAFT_CONFIG", sep+filepath.Join(dir, "graft.yaml")+sep+sep)
	stdout, stderr, code := runCLI(t, []byte(diffInput))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "name: proxy")
	require.Equal(t, []string{"a", "b"}, configList("a"+sep+sep+"b"+sep))
	require.Empty(t, configList(sep))
}

// TestCheckOfNothingFails: a drift check that was given no resources (the
// wrong file, an empty render) must not pass a CI step.
func TestCheckOfNothingFails(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "empty.yaml": "# nothing\n"})
	for _, args := range [][]string{{"--check"}, {"--check", "--remove"}, {"--check", filepath.Join(dir, "empty.yaml")}} {
		stdout, stderr, code := runCLI(t, nil, append([]string{"-c", filepath.Join(dir, "graft.yaml")}, args...)...)
		require.Equal(t, exitError, code, "%v: %s", args, stderr)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "podgraft: error: no Kubernetes resources in ")
		require.Contains(t, stderr, "nothing to check")
	}
	// Grafting nothing stays a warning: Helm post-renders charts that
	// render nothing.
	_, stderr, code := runCLI(t, nil, "-c", filepath.Join(dir, "graft.yaml"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "podgraft: warning: no Kubernetes resources in stdin")
}

// TestLogFile: --log-file and PODGRAFT_LOG_FILE append every message, info
// included, after a line naming the run; the flag wins.
func TestLogFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	graft, app := filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "app.yaml")
	flagLog, envLog := filepath.Join(dir, "flag.log"), filepath.Join(dir, "env.log")
	t.Setenv(logFileEnv, envLog)

	stdout, stderr, code := runCLI(t, nil, "-c", graft, "--log-file", flagLog, app)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "name: proxy")
	require.NotContains(t, stderr, "info:", "info stays off stderr without -v")
	first, err := os.ReadFile(flagLog)
	require.NoError(t, err)
	require.Regexp(t, `^# podgraft \S+ at \d{4}-\d\d-\d\dT\S+Z: podgraft -c `, string(first))
	require.Contains(t, string(first), "podgraft: info: Deployment shop/web: grafted by edge: sidecars proxy")
	require.Contains(t, string(first), stderr, "every stderr line is in the log")
	require.NoFileExists(t, envLog, "the flag wins over the environment")

	// Appended, not truncated; and usage errors are logged too, since
	// Helm 4 shows none of them.
	_, stderr, code = runCLI(t, nil, "--bogus")
	require.Equal(t, exitUsage, code)
	_, _, code = runCLI(t, nil, "-c", graft, app)
	require.Equal(t, exitOK, code)
	_, _, code = runCLI(t, nil, "-c", graft, app)
	require.Equal(t, exitOK, code)
	env, err := os.ReadFile(envLog)
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(env), "# podgraft "), string(env))
	require.Contains(t, string(env), stderr)
	require.Equal(t, 2, strings.Count(string(env), "grafted by edge"))

	// A log that cannot be written is an error, before anything runs.
	stdout, stderr, code = runCLI(t, nil, "-c", graft, "--log-file", filepath.Join(dir, "missing", "x.log"), app)
	require.Equal(t, exitError, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "podgraft: error: --log-file: opening the log file: open ")
}

// TestBareOnATerminal: bare podgraft on a terminal used to wait, silently,
// for a ResourceList; it prints a hint and the usage instead. Run as the
// built binary on a real pseudo-terminal.
func TestBareOnATerminal(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "podgraft")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer func() { _ = ptmx.Close() }()
	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PODGRAFT_CONFIG=")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, io.Discard, &stderr
	require.NoError(t, cmd.Start())
	_ = tty.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("podgraft waited on the terminal")
	}
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, exitUsage, exitErr.ExitCode())
	require.Contains(t, stderr.String(), "podgraft: stdin is a terminal.")
	require.Contains(t, stderr.String(), "podgraft -c graft.yaml [-c more.yaml] [FILE ... | -]")

	// /dev/null is a character device, not a terminal: an empty stdin.
	cmd = exec.Command(bin)
	cmd.Env = append(os.Environ(), "PODGRAFT_CONFIG=")
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer func() { _ = devnull.Close() }()
	stderr.Reset()
	cmd.Stdin, cmd.Stderr = devnull, &stderr
	_ = cmd.Run()
	require.NotContains(t, stderr.String(), "terminal")
	require.Contains(t, stderr.String(), "stdin is empty")
}
