package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var showBadInput = flag.Bool("show-badinput", false, "print what every bad-input case writes, to write or review its errors.txt")

// badCase is testdata/badinput/<case>/, the corpus of hostile and broken
// input (see its README):
//
//	graft.yaml        the config; testdata/badinput/graft.yaml when missing
//	input.yaml        the stream, given as a file in standalone mode
//	errors.txt        one expected stderr fragment a line: exit 1, no stdout
//	output.yaml       (instead of errors.txt) the expected stdout of exit 0; not
//	                  expected.yaml, which the e2e tests send to an API server
//	warnings.txt      fragments expected on stderr with exit 0
//	krm.yaml          the stdin of KRM mode; else built from input.yaml and graft.yaml
//	krm-errors.txt    fragments of the KRM results, when they differ from errors.txt
//	krm-warnings.txt  the same for warnings
//	standalone-only   skip KRM mode (the file says why); krm-only: skip standalone
//	args.txt          more flags, one a line; {case} is the case's folder
type badCase struct {
	name, dir string
}

func badCases(t *testing.T) []badCase {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/badinput/*")
	require.NoError(t, err)
	var cases []badCase
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			cases = append(cases, badCase{name: filepath.Base(d), dir: d})
		}
	}
	require.GreaterOrEqual(t, len(cases), 40, "the bad-input corpus shrank")
	return cases
}

func (c badCase) file(name string) string { return filepath.Join(c.dir, name) }

func (c badCase) has(name string) bool {
	_, err := os.Stat(c.file(name))
	return err == nil
}

func (c badCase) config() string {
	if c.has("graft.yaml") {
		return c.file("graft.yaml")
	}
	return "../../testdata/badinput/graft.yaml"
}

// lines reads the non-empty lines of an optional file of the case; the
// first name that exists wins.
func (c badCase) lines(t *testing.T, names ...string) []string {
	t.Helper()
	for _, name := range names {
		b, err := os.ReadFile(c.file(name))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	return nil
}

func (c badCase) args(t *testing.T) []string {
	var out []string
	for _, a := range c.lines(t, "args.txt") {
		out = append(out, strings.ReplaceAll(a, "{case}", c.dir))
	}
	return out
}

// TestBadInputStandalone runs every case as the CLI and the Helm
// post-renderer do.
func TestBadInputStandalone(t *testing.T) {
	for _, c := range badCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.has("krm-only") {
				t.Skip("KRM mode only")
			}
			args := append(append([]string{"-c", c.config()}, c.args(t)...), c.file("input.yaml"))
			stdout, stderr, code := runCLI(t, nil, args...)
			// Messages name files as given; the case's own are named
			// relative to its folder in errors.txt.
			stderr = strings.ReplaceAll(stderr, c.dir+string(filepath.Separator), "")
			stderr = strings.ReplaceAll(stderr, "../../testdata/badinput/", "")
			if *showBadInput {
				t.Logf("exit %d\nstderr:\n%s\nstdout:\n%s", code, stderr, stdout)
			}
			require.NotContains(t, stderr, "panic", "podgraft panicked")
			if want := c.lines(t, "errors.txt"); want != nil {
				require.Equal(t, exitError, code, "stderr: %s", stderr)
				require.Empty(t, stdout, "nothing may be written on error")
				for _, w := range want {
					require.Contains(t, stderr, w)
				}
				return
			}
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			for _, w := range c.lines(t, "warnings.txt") {
				require.Contains(t, stderr, w)
			}
			want, err := os.ReadFile(c.file("output.yaml"))
			require.NoError(t, err, "a case without errors.txt needs output.yaml")
			require.Equal(t, string(want), stdout)
		})
	}
}

// TestBadInputKRM runs every case as a KRM function: the output is always
// a valid ResourceList with the results, and on error the items come back
// as they were.
func TestBadInputKRM(t *testing.T) {
	for _, c := range badCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.has("standalone-only") {
				t.Skip(strings.Join(c.lines(t, "standalone-only"), " "))
			}
			var stdin []byte
			built := false
			if c.has("krm.yaml") {
				b, err := os.ReadFile(c.file("krm.yaml"))
				require.NoError(t, err)
				stdin = b
			} else {
				configs := readDocs(t, c.config())
				require.Len(t, configs, 1, "KRM mode takes one PodGraft: give krm.yaml or mark the case standalone-only")
				input, err := os.ReadFile(c.file("input.yaml"))
				require.NoError(t, err)
				stdin, built = resourceList(t, input, configs[0]), true
			}
			stdout, stderr, code := runCLI(t, stdin, c.args(t)...)
			if *showBadInput {
				t.Logf("exit %d\nstderr:\n%s\nstdout:\n%s", code, stderr, stdout)
			}
			require.NotContains(t, stderr, "panic", "podgraft panicked")
			out := parseResourceList(t, stdout)
			msgs := resultMessages(t, out)
			if *showBadInput {
				t.Logf("results:\n%s", msgs)
			}
			if want := c.lines(t, "krm-errors.txt", "errors.txt"); want != nil {
				require.Equal(t, exitError, code, "stderr: %s", stderr)
				for _, w := range want {
					require.Contains(t, msgs, w)
				}
				if built {
					require.Equal(t, itemTexts(t, itemsOf(t, stdin)), itemTexts(t, itemsOf(t, []byte(stdout))), "items must come back untouched on error")
				}
				return
			}
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			for _, w := range c.lines(t, "krm-warnings.txt", "warnings.txt") {
				require.Contains(t, msgs, w)
			}
			if built {
				want, err := os.ReadFile(c.file("output.yaml"))
				require.NoError(t, err)
				require.Equal(t, normalize(t, streamItems(t, want)), normalize(t, itemsOf(t, []byte(stdout))))
			}
		})
	}
}

// itemTexts encodes items as YAML, keeping aliases unexpanded (normalize
// goes through JSON, which expands them: an alias bomb would explode).
func itemTexts(t *testing.T, items []*yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		s, err := it.String()
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}
