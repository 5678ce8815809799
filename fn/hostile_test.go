package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// withLimits lowers the input limits for one test.
func withLimits(t *testing.T, input, resourceList, config, document, nodes int64) {
	t.Helper()
	saved := limits
	limits.input, limits.resourceList, limits.config, limits.document, limits.nodes = input, resourceList, config, document, nodes
	t.Cleanup(func() { limits = saved })
}

// billionLaughs is an n-level alias bomb: 9^n strings once expanded.
func billionLaughs(n int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func parseNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(s), &n))
	return n.Content[0]
}

func TestCheckAliases(t *testing.T) {
	deep := func(levels, perLevel int) string {
		// Each anchor nests perLevel lists around the previous alias: the
		// text stays shallow, the expansion does not.
		var b strings.Builder
		b.WriteString("a0: &a0 x\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "a%d: &a%d %s*a%d%s\n", i, i, strings.Repeat("[", perLevel), i-1, strings.Repeat("]", perLevel))
		}
		return b.String()
	}
	for name, tc := range map[string]struct {
		doc     string
		max     int64
		wantErr string
	}{
		"no aliases":               {doc: "a: [1, 2, {b: c}]", max: 0},
		"a few aliases":            {doc: "env: &env [{name: A, value: x}]\nmore: *env\nagain: *env", max: 100},
		"merge key":                {doc: "base: &b {x: 1}\nderived: {<<: *b, y: 2}", max: 10},
		"billion laughs":           {doc: billionLaughs(9), max: MaxAliasNodes, wantErr: "aliases would expand this document by 490328964 nodes, more than the limit of 1000000"},
		"bomb over the saturation": {doc: billionLaughs(30), max: MaxAliasNodes, wantErr: "by more than 10^18 nodes"},
		"small bomb, config limit": {doc: billionLaughs(5), max: MaxConfigAliasNodes, wantErr: "more than the limit of 10000"},
		"cycle":                    {doc: "a: &a [x, *a]", max: MaxAliasNodes, wantErr: "YAML alias *a (line 1): refers to a node that contains the alias itself"},
		"cycle in a mapping":       {doc: "a: &a\n  b: *a\n", max: MaxAliasNodes, wantErr: "alias *a (line 2)"},
		"deep through aliases":     {doc: deep(30, 500), max: MaxAliasNodes, wantErr: "aliases would nest this document 15002 levels deep, more than the limit of 10000"},
	} {
		t.Run(name, func(t *testing.T) {
			n := parseNode(t, tc.doc)
			start := time.Now()
			err := checkAliases(n, tc.max)
			require.Less(t, time.Since(start), time.Second, "the check must stay linear in the text")
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestCheckAliasesNodeLimit(t *testing.T) {
	withLimits(t, MaxInputBytes, MaxResourceListBytes, MaxConfigBytes, MaxDocumentBytes, 1000)
	n := parseNode(t, "list: ["+strings.Repeat("1, ", 2000)+"1]")
	require.ErrorContains(t, checkAliases(n, MaxAliasNodes), "more than 1000 YAML nodes (keys, values and list items)")
}

func TestFindDuplicateKey(t *testing.T) {
	for name, tc := range map[string]struct {
		doc, field, key string
	}{
		"none":               {doc: "a: 1\nb: {c: 2, d: 3}\nl: [{x: 1}, {x: 2}]"},
		"top level":          {doc: "a: 1\nb: 2\na: 3", field: "(root)", key: "a"},
		"nested":             {doc: "spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: a\n        image: b\n", field: "spec.template.spec.containers[0]", key: "image"},
		"two keys are fine":  {doc: "a: 1\nb: 2"},
		"merge keys twice":   {doc: "x: &x {a: 1}\ny: &y {b: 1}\nz: {<<: *x, <<: *y}"},
		"alias not followed": {doc: "x: &x {a: 1, b: 2}\ny: *x\nz: *x"},
	} {
		t.Run(name, func(t *testing.T) {
			d := findDuplicateKey(parseNode(t, tc.doc), "")
			if tc.key == "" {
				require.Nil(t, d)
				return
			}
			require.NotNil(t, d)
			require.Equal(t, tc.field, d.Field)
			require.Equal(t, tc.key, d.Key)
		})
	}
}

// endless yields n bytes of repeated text, without holding them.
type endless struct {
	text []byte
	n    int64
	pos  int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && e.n > 0 {
		c := copy(p[k:], e.text[e.pos:])
		if int64(c) > e.n {
			c = int(e.n)
		}
		e.pos = (e.pos + c) % len(e.text)
		k += c
		e.n -= int64(c)
	}
	return k, nil
}

const configMapDoc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n---\n"

func TestInputLimits(t *testing.T) {
	withLimits(t, 1<<20, 1<<20, 4096, 64<<10, MaxResourceNodes)
	p, err := NewProcessor(nil, false)
	require.NoError(t, err)

	t.Run("stream under the limit", func(t *testing.T) {
		out, err := RunStream(p, []Input{{Name: "a", Reader: &endless{text: []byte(configMapDoc), n: int64(len(configMapDoc)) * 1000}}})
		require.NoError(t, err)
		require.Equal(t, 1000, bytes.Count(out, []byte("kind: ConfigMap")))
	})
	t.Run("stream over the limit, across inputs", func(t *testing.T) {
		half := &endless{text: []byte(configMapDoc), n: 600 << 10}
		rest := &endless{text: []byte(configMapDoc), n: 600 << 10}
		_, err := RunStream(p, []Input{{Name: "a", Reader: half}, {Name: "b", Reader: rest}})
		var tooLarge *InputTooLargeError
		require.ErrorAs(t, err, &tooLarge)
		require.ErrorContains(t, err, "b: document ")
		require.ErrorContains(t, err, "the input is larger than 1 MiB, the limit podgraft sets to stay within memory")
	})
	t.Run("one document over the limit", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: " + strings.Repeat("x", 70<<10) + "\n"
		_, err := RunStream(p, []Input{{Name: "a", Reader: strings.NewReader(configMapDoc + doc)}})
		require.ErrorContains(t, err, "a: document 2: this document is larger than 65536 bytes")
	})
	t.Run("one line over the document limit", func(t *testing.T) {
		// No newline at all, like /dev/zero: bufio.Reader.ReadLine drops
		// an error that comes with data, so the limit must hold anyway.
		_, err := RunStream(p, []Input{{Name: "zero", Reader: &endless{text: []byte("x"), n: 4 << 20}}})
		require.ErrorContains(t, err, "zero: document 1: this document is larger than 65536 bytes")
	})
	t.Run("ResourceList over the limit", func(t *testing.T) {
		var out bytes.Buffer
		results, err := RunResourceList(&endless{text: []byte("# padding\n"), n: 2 << 20}, &out, t.TempDir(), false)
		require.NoError(t, err)
		require.Equal(t, 1, results.ExitCode())
		require.Contains(t, out.String(), "kind: ResourceList")
		require.Contains(t, out.String(), "the input is larger than 1 MiB")
	})
	t.Run("config over the limit", func(t *testing.T) {
		_, err := decodeConfigStream(strings.NewReader("# "+strings.Repeat("x", 5000)+"\n"), "graft.yaml", t.TempDir())
		require.ErrorContains(t, err, "graft.yaml, document 1: the input is larger than 4096 bytes")
	})
}

func TestByteOrderMarks(t *testing.T) {
	p, err := NewProcessor(nil, false)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		prefix  []byte
		wantErr string
	}{
		"UTF-8 BOM is fine": {prefix: []byte{0xEF, 0xBB, 0xBF}},
		"UTF-16 LE":         {prefix: []byte{0xFF, 0xFE}, wantErr: "the input is UTF-16 (it starts with a UTF-16 byte order mark)"},
		"UTF-16 BE":         {prefix: []byte{0xFE, 0xFF}, wantErr: "the input is UTF-16"},
		"UTF-32 LE":         {prefix: []byte{0xFF, 0xFE, 0, 0}, wantErr: "the input is UTF-32"},
		"UTF-32 BE":         {prefix: []byte{0, 0, 0xFE, 0xFF}, wantErr: "the input is UTF-32"},
	} {
		t.Run(name, func(t *testing.T) {
			in := append(append([]byte{}, tc.prefix...), configMapDoc...)
			out, err := RunStream(p, []Input{{Name: "in", Reader: bytes.NewReader(in)}})
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, in[:len(in)-len("---\n")], out, "untouched, the UTF-8 BOM passes through")
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// TestDeepNesting checks that nesting far past any real document fails
// cleanly: yaml.v3 stops at 10,000 levels, before any recursive walk.
func TestDeepNesting(t *testing.T) {
	p, err := NewProcessor(nil, false)
	require.NoError(t, err)
	const depth = 100_000
	flow := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
	// "- - - x" nests block lists two bytes a level.
	block := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x:\n  " + strings.Repeat("- ", depth) + "x\n"
	for name, doc := range map[string]string{"flow lists": flow, "block lists": block} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := RunStream(p, []Input{{Name: "in", Reader: strings.NewReader(doc)}})
			require.Error(t, err)
			require.Less(t, time.Since(start), 10*time.Second)

			var out bytes.Buffer
			rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
			results, err := RunResourceList(strings.NewReader(rl), &out, t.TempDir(), false)
			require.NoError(t, err)
			require.Equal(t, 1, results.ExitCode())
			require.Contains(t, out.String(), "kind: ResourceList")

			_, err = decodeConfigStream(strings.NewReader("apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: g}\nspec: "+strings.Repeat("[", depth)), "graft.yaml", t.TempDir())
			require.Error(t, err)
		})
	}
}

// errWriter fails every write, like a closed pipe or a full disk.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestResourceListWriteFailure(t *testing.T) {
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: podgraft.dev/v1alpha1, kind: PodGraft, metadata: {name: g}, spec: {}}\n"
	_, err := RunResourceList(strings.NewReader(rl), errWriter{}, t.TempDir(), false)
	require.ErrorContains(t, err, "writing the ResourceList: no space left on device")
}
