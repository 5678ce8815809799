package fn

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// run grafts input with the configs in files, with or without the header
// scan: what it writes, its results and its error, as text.
func runWithHeaders(t *testing.T, on bool, mode Mode, files []string, input []byte) string {
	t.Helper()
	was := readHeaders
	readHeaders = on
	defer func() { readHeaders = was }()
	var configs []*Config
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		cs, err := decodeConfigStream(bytes.NewReader(b), f, filepath.Dir(f), Options{}.Limits.WithDefaults())
		if err != nil {
			return "config error: " + err.Error()
		}
		configs = append(configs, cs...)
	}
	e, err := NewEngine(configs, Options{Mode: mode})
	if err != nil {
		return "engine error: " + err.Error()
	}
	var out bytes.Buffer
	results, err := WriteStream(Options{Mode: mode}, e, []Input{{Name: "in", Reader: bytes.NewReader(input)}}, &out)
	return fmt.Sprintf("output:\n%s\nresults: %v\nerror: %v", out.String(), results, err)
}

// Reading only the header of the documents nothing needs changes nothing:
// every golden input and the bench generator's output (several seeds),
// under every golden config, applied and removed, give the same output,
// results and errors as parsing every document whole.
func TestHeaderScanChangesNothing(t *testing.T) {
	inputs := map[string][]byte{}
	for _, pattern := range []string{"../testdata/*/*/input.yaml", "../testdata/*/*/expected.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(t, err)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			inputs[f] = b
		}
	}
	if !testing.Short() {
		bin := filepath.Join(t.TempDir(), "gen")
		out, err := exec.Command("go", "build", "-o", bin, "../bench/gen").CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, seed := range []int{1, 2, 3} {
			b, err := exec.Command(bin, "-n", "60", "-seed", fmt.Sprint(seed)).Output()
			require.NoError(t, err)
			inputs[fmt.Sprintf("bench/gen -seed %d", seed)] = b
		}
	}
	passed := 0
	for name, input := range inputs {
		// The input's own case config, and the bench configs, on it.
		cfgs := [][]string{{"../bench/testdata/graft.yaml"}, {"../examples/web-with-proxy/graft.yaml"}}
		if own := filepath.Join(filepath.Dir(name), "config.yaml"); fileExists(own) {
			cfgs = append(cfgs, []string{own})
		}
		for _, files := range cfgs {
			for _, mode := range []Mode{Apply, Remove, Check} {
				want := runWithHeaders(t, false, mode, files, input)
				got := runWithHeaders(t, true, mode, files, input)
				require.Equal(t, want, got, "%s with %v (mode %v)", name, files, mode)
			}
		}
		for _, raw := range splitStream(input) {
			if header(raw) != nil {
				passed++
			}
		}
	}
	require.Greater(t, passed, 300, "the header scan reads most documents")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// splitStream splits a stream as WriteStream reads it.
func splitStream(b []byte) [][]byte {
	var out [][]byte
	r := NewDocumentReader(bytes.NewReader(b))
	for {
		raw, err := r.Read()
		if err != nil {
			return out
		}
		out = append(out, bytes.Clone(raw))
	}
}

// The header scan reads apiVersion, kind and metadata of block documents
// of plain keys, and gives up on anything else.
func TestHeader(t *testing.T) {
	head := header([]byte("# Source: x\napiVersion: v1\nkind: Service\nmetadata:\n  name: web # the name\n  labels: {app: web}\n# between\nspec:\n  ports: [{port: 80}]\ndata: |\n  kind: x\n"))
	require.NotNil(t, head)
	require.Equal(t, "v1", head.GetApiVersion())
	require.Equal(t, "Service", head.GetKind())
	require.Equal(t, "web", head.GetName())
	require.Equal(t, map[string]string{"app": "web"}, head.GetLabels())
	require.Nil(t, head.Field("spec"), "only the header")
	require.NotNil(t, header([]byte("apiVersion: v1\r\nkind: ConfigMap\r\n")), "CRLF")
	for name, doc := range map[string]string{
		"JSON":                 `{"apiVersion": "v1", "kind": "Service"}`,
		"a list":               "- apiVersion: v1\n  kind: Service\n",
		"a quoted key":         "\"apiVersion\": v1\nkind: Service\n",
		"a duplicate key":      "apiVersion: v1\nkind: Service\nkind: ConfigMap\n",
		"no kind":              "apiVersion: v1\nmetadata: {name: x}\n",
		"a document start":     "---\napiVersion: v1\nkind: Service\n",
		"a directive":          "%YAML 1.1\n---\napiVersion: v1\nkind: Service\n",
		"a complex key":        "? apiVersion\n: v1\nkind: Service\n",
		"a header that breaks": "apiVersion: v1\nkind: Service\nmetadata: {name: [x}\n",
		"an undefined alias":   "apiVersion: v1\nkind: Service\nmetadata: *m\n",
		"empty":                "",
		"comments only":        "# nothing\n",
	} {
		require.Nil(t, header([]byte(doc)), name)
	}
	e, err := NewEngine(nil, Options{})
	require.NoError(t, err)
	for _, doc := range []string{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n", "apiVersion: v1\nkind: List\nitems: []\n"} {
		p, _ := passes(e, []byte(doc), Options{}.Limits.WithDefaults())
		require.Equal(t, transformers.Read, p, "read whole: %s", doc)
	}
	p, _ := passes(e, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), Options{}.Limits.WithDefaults())
	require.Equal(t, transformers.Pass, p)
	p, _ = passes(e, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: \"\n"), Options{}.Limits.WithDefaults())
	require.Equal(t, transformers.Read, p, "read whole unless its plain shape cannot be broken (an open quote)")
	require.False(t, plainText([]byte("a: &x 1\nb: *x\n")), "aliases are read whole")
	require.False(t, plainText([]byte("a: caf\xc3\xa9\n")), "so is anything but printable ASCII")
	require.False(t, plainText([]byte("a:\tb\n")))
	require.False(t, plainText([]byte(`a: "podgraft\x2Edev"`+"\n")), "nor an escape that spells a character")
	require.True(t, plainText([]byte("a: \"*\"\nb: x\r\n")), "an alias sign alone is no alias")
}

// The usual header, read without yaml.v3, is what yaml.v3 reads: on every
// document of the golden inputs and the bench generator's output that
// simpleHeader reads at all.
func TestSimpleHeaderReadsAsYAML(t *testing.T) {
	files, err := filepath.Glob("../testdata/*/*/*.yaml")
	require.NoError(t, err)
	read := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, raw := range splitStream(b) {
			head := headerText(raw)
			n := simpleHeader(head)
			if head == nil || n == nil {
				continue
			}
			read++
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal(head, &doc), "%s:\n%s", f, head)
			want := yaml.NewRNode(doc.Content[0]).MustString()
			require.Equal(t, want, yaml.NewRNode(n).MustString(), "%s", f)
		}
	}
	require.Greater(t, read, 100)
	for _, text := range []string{
		"kind: true\n", "kind: 1.2\n", "kind: \"x\"\n", "kind: x # c\n", "metadata:\n", "a:\n  b:\n    c:\n      d: x\n",
		"a: x\na: y\n", "a:\n  b: x\n c: y\n", "a: {b: c}\n", "a: x:y\n",
	} {
		require.Nil(t, simpleHeader([]byte(text)), "%q is for yaml.v3", text)
	}
}

// A workload that goes through unread still counts for fronting: a
// Service that selects it and a fronted pod is not re-pointed, as when
// every document is parsed (testdata/fronts/also-selects-untargeted, whose
// untargeted workload the header scan lets through).
func TestUnreadWorkloadStillCountsForFronting(t *testing.T) {
	dir := "../testdata/fronts/also-selects-untargeted"
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	require.NoError(t, err)
	cfg := filepath.Join(dir, "config.yaml")
	b, err := os.ReadFile(cfg)
	require.NoError(t, err)
	configs, err := decodeConfigStream(bytes.NewReader(b), cfg, dir, Options{}.Limits.WithDefaults())
	require.NoError(t, err)
	e, err := NewEngine(configs, Options{})
	require.NoError(t, err)
	unread := 0
	for _, raw := range splitStream(input) {
		if p, _ := passes(e, raw, Options{}.Limits.WithDefaults()); p == transformers.PassUnlessFronted {
			unread++
		}
	}
	require.Equal(t, 1, unread, "the untargeted workload goes through unread")
	got := runWithHeaders(t, true, Apply, []string{cfg}, input)
	require.Contains(t, got, "the Service also selects")
	require.Equal(t, runWithHeaders(t, false, Apply, []string{cfg}, input), got)
}

// An escape in a double-quoted key can spell "podgraft.dev" without its
// bytes: a workload whose pod template carries its graft record as
// "podgraft\x2Edev/grafts" must still be read whole, or --remove, --check
// and a config that no longer targets it leave the old graft in place,
// unlike the full parse.
func TestHeaderScanSeesEscapedRecord(t *testing.T) {
	input := []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/part-of: other
spec:
  template:
    metadata:
      annotations:
        "podgraft\x2Edev/grafts": '{"shop-edge":{"hash":"39b14ce1a1","sidecars":["nginx"],"volumes":["static"],"mounts":["nginx:/srv/static","web:/srv/static"],"reach":[{"containers":["*"],"mount":{"name":"static","mountPath":"/srv/static"}}]}}'
    spec:
      initContainers:
      - name: nginx
        image: "nginx:1.27-alpine"
        ports:
        - name: proxy
          containerPort: 8080
        restartPolicy: Always
        volumeMounts:
        - name: static
          mountPath: /srv/static
      containers:
      - name: web
        image: web:1
        volumeMounts:
        - name: static
          mountPath: /srv/static
      volumes:
      - name: static
        emptyDir: {}
`)
	cfg := "../bench/testdata/graft.yaml"
	_, err := os.Stat(cfg)
	require.NoError(t, err)
	for _, mode := range []Mode{Apply, Remove, Check} {
		want := runWithHeaders(t, false, mode, []string{cfg}, input)
		require.NotContains(t, want, "podgraft\\x2Edev", "the full parse takes the graft out (mode %v)", mode)
		require.Equal(t, want, runWithHeaders(t, true, mode, []string{cfg}, input), "mode %v", mode)
	}
}
