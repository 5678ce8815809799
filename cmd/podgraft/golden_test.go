package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/transformers"
)

var update = flag.Bool("update", false, "rewrite the golden expected.yaml files from the standalone output")

// goldenCase is testdata/<group>/<case>/: config.yaml and input.yaml, and
// either expected.yaml (success) or errors.txt (one expected message
// fragment per line). An optional args.txt holds extra flags, one a line;
// an optional removed.yaml is what --remove gives back when that is not
// input.yaml (an input that is itself grafted output).
type goldenCase struct {
	name, dir string
	args      []string
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/*/*/config.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "no golden cases found")
	var cases []goldenCase
	for _, cfg := range dirs {
		dir := filepath.Dir(cfg)
		rel, _ := filepath.Rel("../../testdata", dir)
		abs, err := filepath.Abs(dir) // KRM cases run in the case's folder
		require.NoError(t, err)
		c := goldenCase{name: rel, dir: abs}
		if b, err := os.ReadFile(filepath.Join(dir, "args.txt")); err == nil {
			c.args = strings.Fields(string(b))
		}
		cases = append(cases, c)
	}
	return cases
}

func (c goldenCase) file(name string) string { return filepath.Join(c.dir, name) }

func (c goldenCase) exists(name string) bool {
	_, err := os.Stat(c.file(name))
	return err == nil
}

func runCLI(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestGoldenStandalone runs every case as the CLI and post-renderer do, and
// runs every success case again on its own output to prove idempotency.
func TestGoldenStandalone(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"-c", c.file("config.yaml")}, c.args...), c.file("input.yaml"))
			stdout, stderr, code := runCLI(t, nil, args...)
			if c.exists("errors.txt") {
				require.Equal(t, 1, code, "stderr: %s", stderr)
				require.Empty(t, stdout, "nothing may be written on error")
				for _, want := range expectedErrors(t, c) {
					require.Contains(t, stderr, want)
				}
				return
			}
			require.Equal(t, 0, code, "stderr: %s", stderr)
			for _, want := range lines(t, c, "warnings.txt") {
				require.Contains(t, stderr, want)
			}
			if *update {
				require.NoError(t, os.WriteFile(c.file("expected.yaml"), []byte(stdout), 0o644))
			}
			want, err := os.ReadFile(c.file("expected.yaml"))
			require.NoError(t, err)
			require.Equal(t, string(want), stdout)

			// Idempotency: f(f(x)) == f(x), byte for byte.
			again, stderr2, code := runCLI(t, []byte(stdout), append(append([]string{"-c", c.file("config.yaml")}, c.args...), "-")...)
			require.Equal(t, 0, code, "stderr: %s", stderr2)
			require.Equal(t, stdout, again, "a second run changed the output")

			input, err := os.ReadFile(c.file("input.yaml"))
			require.NoError(t, err)
			assertInvariants(t, c, input, []byte(stdout))
		})
	}
}

// TestGoldenKRM runs every case as a KRM function over a ResourceList and
// compares the items with the standalone golden output, by content.
func TestGoldenKRM(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			configs := readDocs(t, c.file("config.yaml"))
			if len(configs) != 1 || containsAny(c.args, "--remove") {
				t.Skip("KRM mode takes exactly one PodGraft as functionConfig and no flags")
			}
			if c.exists("standalone-only") {
				t.Skip("the input is not a valid ResourceList item list")
			}
			input, err := os.ReadFile(c.file("input.yaml"))
			require.NoError(t, err)
			rl := resourceList(t, input, configs[0])
			// KRM mode resolves fromFiles against the working directory
			// (kustomize runs exec functions in the kustomization root).
			t.Chdir(c.dir)
			stdout, stderr, code := runCLI(t, rl, c.args...) // --release, --namespace (which KRM mode ignores)
			out := parseResourceList(t, stdout)
			if c.exists("errors.txt") {
				require.Equal(t, 1, code, "stderr: %s", stderr)
				msgs := resultMessages(t, out)
				for _, want := range expectedErrors(t, c) {
					require.Contains(t, msgs, want)
				}
				require.Equal(t, normalize(t, itemsOf(t, rl)), normalize(t, itemsOf(t, []byte(stdout))), "items must come back untouched on error")
				return
			}
			require.Equal(t, 0, code, "stderr: %s", stderr)
			want, err := os.ReadFile(c.file("expected.yaml"))
			require.NoError(t, err)
			require.Equal(t, normalize(t, streamItems(t, want)), normalize(t, itemsOf(t, []byte(stdout))))

			// Idempotency in KRM mode: the items do not change again.
			again, stderr2, code := runCLI(t, []byte(stdout), c.args...)
			require.Equal(t, 0, code, "stderr: %s", stderr2)
			require.Equal(t, normalize(t, itemsOf(t, []byte(stdout))), normalize(t, itemsOf(t, []byte(again))))
			for _, item := range itemsOf(t, []byte(stdout)) {
				for k := range item.GetAnnotations() {
					if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
						require.Contains(t, string(rl), k, "a reader annotation the input did not have appeared")
					}
				}
			}
		})
	}
}

func expectedErrors(t *testing.T, c goldenCase) []string {
	out := lines(t, c, "errors.txt")
	require.NotEmpty(t, out, "errors.txt must name at least one expected message")
	return out
}

// lines reads the non-empty lines of an optional case file.
func lines(t *testing.T, c goldenCase, name string) []string {
	b, err := os.ReadFile(c.file(name))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// assertInvariants checks what must hold for every successful graft,
// whatever the golden file says.
func assertInvariants(t *testing.T, c goldenCase, input, output []byte) {
	t.Helper()
	inDocs := rawDocs(input)
	outDocs := rawDocs(output)
	// Untouched documents are byte-identical: every output document without
	// a graft record that podgraft did not generate is found verbatim in
	// the input, or, when it lost its graft (a config that no longer
	// targets it), in removed.yaml.
	if c.exists("removed.yaml") {
		removed, err := os.ReadFile(c.file("removed.yaml"))
		require.NoError(t, err)
		inDocs = append(inDocs, rawDocs(removed)...)
	}
	for _, d := range outDocs {
		if strings.Contains(d, transformers.RecordAnnotation) || strings.Contains(d, "podgraft.dev/generated-by") {
			continue
		}
		if !containsAny(c.args, "--remove") {
			require.Contains(t, inDocs, d, "a document podgraft did not graft changed")
		}
	}
	// Every grafted pod template carries each container its grafts declare,
	// exactly once.
	for _, item := range withListItems(streamItems(t, output)) {
		for _, tmpl := range templatesOf(t, item) {
			rec, err := transformers.LoadRecord(tmpl)
			require.NoError(t, err)
			spec := tmpl.Node.Field("spec").Value
			for graft, e := range rec {
				require.NotEmpty(t, e.Hash, "graft %s has no hash", graft)
				for _, name := range append(append(append([]string{}, e.InitContainers...), e.Sidecars...), e.Containers...) {
					require.Equal(t, 1, countContainer(spec, name), "%s: container %s grafted by %s must appear exactly once", transformers.Describe(item), name, graft)
				}
			}
		}
	}
	// A drift report on what apply wrote finds nothing (when apply wrote
	// something: a check of nothing is an error).
	if len(outDocs) > 0 {
		checkArgs := append(append([]string{"--check", "-c", c.file("config.yaml")}, c.args...), "-")
		_, stderr, code := runCLI(t, output, checkArgs...)
		require.Equal(t, 0, code, "--check fails on what apply wrote: %s", stderr)
	}
	// Removal restores the input's content; a case whose input is itself
	// grafted (an older version, say) names what removal gives in
	// removed.yaml.
	if !containsAny(c.args, "--remove") {
		removed, stderr, code := runCLI(t, output, "--remove", "-c", c.file("config.yaml"), "-")
		require.Equal(t, 0, code, "stderr: %s", stderr)
		want := input
		if c.exists("removed.yaml") {
			var err error
			want, err = os.ReadFile(c.file("removed.yaml"))
			require.NoError(t, err)
		}
		require.Equal(t, normalize(t, streamItems(t, want)), normalize(t, streamItems(t, []byte(removed))), "--remove did not restore the input")
	}
}

// withListItems returns the resources with the items of every List after
// it, however nested.
func withListItems(resources []*yaml.RNode) []*yaml.RNode {
	var out []*yaml.RNode
	for _, r := range resources {
		out = append(out, r)
		if transformers.IsList(r) {
			out = append(out, withListItems(transformers.ListItems(r))...)
		}
	}
	return out
}

func countContainer(spec *yaml.RNode, name string) int {
	n := 0
	for _, list := range []string{"initContainers", "containers"} {
		seq := spec.Field(list)
		if seq == nil {
			continue
		}
		for _, el := range seq.Value.Content() {
			if yaml.NewRNode(el).Field("name") != nil && yaml.NewRNode(el).Field("name").Value.YNode().Value == name {
				n++
			}
		}
	}
	return n
}

func templatesOf(t *testing.T, r *yaml.RNode) []transformers.Template {
	tmpls, err := transformers.Locator{}.Templates(r)
	require.NoError(t, err)
	return tmpls
}

// separatorLine splits a stream at "---" lines, LF or CRLF.
var separatorLine = regexp.MustCompile(`\n---\r?\n`)

func rawDocs(b []byte) []string {
	var out []string
	for _, d := range separatorLine.Split(string(b), -1) {
		d = strings.TrimPrefix(strings.TrimPrefix(d, "---\n"), "---\r\n")
		if strings.TrimSpace(d) != "" {
			out = append(out, strings.TrimSuffix(d, "\n")+"\n")
		}
	}
	return out
}

func readDocs(t *testing.T, path string) []*yaml.RNode {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return streamItems(t, b)
}

func streamItems(t *testing.T, b []byte) []*yaml.RNode {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(b), OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	return nodes
}

func resourceList(t *testing.T, input []byte, config *yaml.RNode) []byte {
	t.Helper()
	items := streamItems(t, input)
	var buf bytes.Buffer
	w := kio.ByteWriter{Writer: &buf, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, FunctionConfig: config}
	for i, it := range items {
		// What kustomize and kpt add; they must survive.
		require.NoError(t, it.PipeE(yaml.SetAnnotation(kioutil.IndexAnnotation, strconv.Itoa(i))))
		require.NoError(t, it.PipeE(yaml.SetAnnotation(kioutil.PathAnnotation, "input.yaml")))
		require.NoError(t, it.PipeE(yaml.SetAnnotation(kioutil.LegacyPathAnnotation, "input.yaml")))
	}
	w.KeepReaderAnnotations = true
	require.NoError(t, w.Write(items))
	return buf.Bytes()
}

func parseResourceList(t *testing.T, b string) *yaml.RNode {
	t.Helper()
	node, err := yaml.Parse(b)
	require.NoError(t, err, "KRM output is not a valid ResourceList: %s", b)
	require.Equal(t, kio.ResourceListKind, node.GetKind())
	return node
}

func itemsOf(t *testing.T, rl []byte) []*yaml.RNode {
	t.Helper()
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(rl), OmitReaderAnnotations: true, KeepReaderAnnotations: false}
	items, err := rw.Read()
	require.NoError(t, err)
	return items
}

// resultMessages renders the results the way standalone mode prints them,
// so that one errors.txt serves both modes.
func resultMessages(t *testing.T, rl *yaml.RNode) string {
	res := rl.Field("results")
	if res == nil {
		return ""
	}
	s, err := res.Value.String()
	require.NoError(t, err)
	var results framework.Results
	require.NoError(t, yaml.Unmarshal([]byte(s), &results))
	var b strings.Builder
	for _, r := range results {
		b.WriteString(fn.FormatResult(r) + "\n")
	}
	return b.String()
}

// normalize renders items as JSON without the annotations that readers and
// orchestrators add, for comparing content across modes.
func normalize(t *testing.T, items []*yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		c := it.Copy()
		for _, a := range []string{kioutil.IndexAnnotation, kioutil.PathAnnotation, kioutil.LegacyIndexAnnotation, kioutil.LegacyPathAnnotation, kioutil.IdAnnotation, kioutil.LegacyIdAnnotation, kioutil.SeqIndentAnnotation} {
			require.NoError(t, c.PipeE(yaml.ClearAnnotation(a)))
		}
		if annos := c.GetAnnotations(); len(annos) == 0 {
			_ = c.PipeE(yaml.Lookup("metadata"), yaml.Clear("annotations"))
		}
		s, err := c.String()
		require.NoError(t, err)
		j, err := sigsyaml.YAMLToJSON([]byte(s))
		require.NoError(t, err)
		out = append(out, string(j))
	}
	return out
}

func containsAny(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
