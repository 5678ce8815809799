package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const diffConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: edge
spec:
  targets:
    kinds: [Deployment]
  sidecars:
    - name: proxy
      image: nginx:1.27-alpine
`

const diffInput = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop/web:1.2
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func TestDiffShowsWhatWouldChange(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	app := filepath.Join(dir, "app.yaml")
	stdout, stderr, code := runCLI(t, nil, "--diff", "-c", filepath.Join(dir, "graft.yaml"), app)
	require.Equal(t, exitDiffChanged, code, "stderr: %s", stderr)
	require.NotContains(t, stdout, "\x1b[", "no colour when stdout is not a terminal")

	lines := strings.Split(stdout, "\n")
	require.Equal(t, "--- a/Deployment shop/web\t"+app+", document 2", lines[0])
	require.Equal(t, "+++ b/Deployment shop/web\t"+app+", document 2", lines[1])
	require.True(t, strings.HasPrefix(lines[2], "@@ -"), lines[2])
	require.Contains(t, stdout, "\n+        - name: proxy\n")
	require.Contains(t, stdout, "\n+          image: nginx:1.27-alpine\n")
	require.NotContains(t, stdout, "Service", "the untouched Service has no diff")
	for _, l := range lines[3:] {
		require.False(t, strings.HasPrefix(l, "-"), "grafting only adds lines here, got %q", l)
	}

	// The diff applies: the "+" and " " lines of the hunk are the grafted
	// document's lines, in order, as the normal run writes them.
	grafted, _, code := runCLI(t, nil, "-c", filepath.Join(dir, "graft.yaml"), app)
	require.Equal(t, exitOK, code)
	var added []string
	for _, l := range lines[3:] {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, " ") {
			added = append(added, l[1:])
		}
	}
	require.Contains(t, grafted, strings.Join(added, "\n"))
}

func TestDiffNoChangesExitsZero(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	cfg := filepath.Join(dir, "graft.yaml")
	grafted, _, code := runCLI(t, nil, "-c", cfg, filepath.Join(dir, "app.yaml"))
	require.Equal(t, exitOK, code)

	// Grafting the grafted stream again changes nothing.
	stdout, stderr, code := runCLI(t, []byte(grafted), "--diff", "-c", cfg)
	require.Equal(t, exitDiffSame, code, "stderr: %s\nstdout: %s", stderr, stdout)
	require.Empty(t, stdout)
}

func TestDiffRemoveShowsDeletions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	cfg := filepath.Join(dir, "graft.yaml")
	grafted, _, code := runCLI(t, nil, "-c", cfg, filepath.Join(dir, "app.yaml"))
	require.Equal(t, exitOK, code)

	stdout, stderr, code := runCLI(t, []byte(grafted), "--diff", "--remove", "-c", cfg)
	require.Equal(t, exitDiffChanged, code, "stderr: %s", stderr)
	require.Contains(t, stdout, "--- a/Deployment shop/web\tstdin, document 2\n")
	require.Contains(t, stdout, "\n-        - name: proxy\n")
}

func TestDiffColor(t *testing.T) {
	dir := writeFiles(t, map[string]string{"graft.yaml": diffConfig, "app.yaml": diffInput})
	args := []string{"--diff", "-c", filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "app.yaml")}

	stdout, _, code := runCLI(t, nil, append([]string{"--color=always"}, args...)...)
	require.Equal(t, exitDiffChanged, code)
	require.Contains(t, stdout, ansiBold+"--- a/Deployment shop/web")
	require.Contains(t, stdout, ansiGreen+"+        - name: proxy"+ansiReset+"\n")
	require.Contains(t, stdout, ansiCyan+"@@ -")
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if strings.HasPrefix(l, "\x1b[") {
			require.True(t, strings.HasSuffix(l, ansiReset), "every coloured line is reset: %q", l)
		}
	}

	plain, _, code := runCLI(t, nil, append([]string{"--color=never"}, args...)...)
	require.Equal(t, exitDiffChanged, code)
	require.NotContains(t, plain, "\x1b[")
	// Colour only wraps lines: stripped, it is the plain diff.
	stripped := stdout
	for _, c := range []string{ansiBold, ansiRed, ansiGreen, ansiCyan, ansiReset} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	require.Equal(t, plain, stripped)

	_, stderr, code := runCLI(t, nil, append([]string{"--color=sometimes"}, args...)...)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "must be auto, always or never")
}

func TestDiffErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"graft.yaml": diffConfig,
		"bad.yaml":   strings.Replace(diffConfig, "image:", "imagee:", 1),
		"app.yaml":   diffInput,
		"clash.yaml": strings.Replace(diffInput, "- name: web", "- name: proxy", 1),
	})
	for name, args := range map[string][]string{
		"config error":   {"-c", filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "app.yaml")},
		"missing input":  {"-c", filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "nope.yaml")},
		"conflict":       {"-c", filepath.Join(dir, "graft.yaml"), filepath.Join(dir, "clash.yaml")},
		"usage: no -c":   {},
		"usage: bad arg": {"-c", filepath.Join(dir, "graft.yaml"), "--bogus"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, append([]string{"--diff"}, args...)...)
			require.Equal(t, exitDiffError, code, "errors exit 2 with --diff (1 means changes)")
			require.Empty(t, stdout)
			require.NotEmpty(t, stderr)
		})
	}
}

func TestRenderDiffNewAndRemovedDocuments(t *testing.T) {
	doc := func(kind, name, body string) diffDoc {
		id := kind + " shop/" + name
		return diffDoc{id: id, key: "v1 " + id, where: "in.yaml, document 1", text: body}
	}
	before := []diffDoc{
		doc("Deployment", "web", "kind: Deployment\n"),
		doc("ConfigMap", "edge-conf-abc", "kind: ConfigMap\ndata: {a: b}\n"),
		doc("Service", "web", "kind: Service\n"),
	}
	after := []diffDoc{
		doc("Deployment", "web", "kind: Deployment\n"),
		doc("Service", "web", "kind: Service\n"),
		doc("ConfigMap", "edge-conf-def", "kind: ConfigMap\ndata: {a: c}\n"),
	}
	got := renderDiff(before, after, false)
	want := "--- a/ConfigMap shop/edge-conf-abc\tin.yaml, document 1\n" +
		"+++ /dev/null\n" +
		"@@ -1,2 +0,0 @@\n" +
		"-kind: ConfigMap\n" +
		"-data: {a: b}\n" +
		"--- /dev/null\n" +
		"+++ b/ConfigMap shop/edge-conf-def\t(new)\n" +
		"@@ -0,0 +1,2 @@\n" +
		"+kind: ConfigMap\n" +
		"+data: {a: c}\n"
	require.Equal(t, want, got)
	require.Empty(t, renderDiff(before, before, true))
}

func TestUseColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	require.False(t, useColor("auto", f), "a regular file is not a terminal")
	require.False(t, useColor("auto", &strings.Builder{}))
	require.True(t, useColor("always", f))
	require.False(t, useColor("never", f))

	// A character device counts as a terminal (/dev/null is one too, which
	// is harmless: nobody reads the colours there).
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer dev.Close()
	require.True(t, useColor("auto", dev))
	t.Setenv("TERM", "dumb")
	require.False(t, useColor("auto", dev))
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "1")
	require.False(t, useColor("auto", dev))
}

// TestDiffOverGoldens runs --diff on every golden case: errors exit 2 with
// nothing on stdout; a case whose expected output differs from its input
// exits 1, with one "+++ b/..." header per changed resource; and a diff of
// the expected output against itself is empty (exit 0).
func TestDiffOverGoldens(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"--diff", "-c", c.file("config.yaml")}, c.args...), c.file("input.yaml"))
			stdout, stderr, code := runCLI(t, nil, args...)
			if c.exists("errors.txt") {
				require.Equal(t, exitDiffError, code, "stderr: %s", stderr)
				require.Empty(t, stdout)
				return
			}
			input, err := os.ReadFile(c.file("input.yaml"))
			require.NoError(t, err)
			expected, err := os.ReadFile(c.file("expected.yaml"))
			require.NoError(t, err)
			if string(input) == string(expected) {
				require.Equal(t, exitDiffSame, code, "stdout: %s\nstderr: %s", stdout, stderr)
				require.Empty(t, stdout)
			} else {
				require.Equal(t, exitDiffChanged, code, "stderr: %s", stderr)
				require.Contains(t, stdout, "+++ ")
			}
			again, stderr, code := runCLI(t, expected, append(append([]string{"--diff", "-c", c.file("config.yaml")}, c.args...), "-")...)
			require.Equal(t, exitDiffSame, code, "stderr: %s", stderr)
			require.Empty(t, again)
		})
	}
}
