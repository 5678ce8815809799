package fn

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/guard"
)

// runEmpty runs no graft over inputs, with limits.
func runEmpty(t *testing.T, limits guard.Limits, inputs ...Input) ([]byte, error) {
	t.Helper()
	e, err := NewEngine(nil, Options{})
	require.NoError(t, err)
	out, _, err := RunStream(Options{Limits: limits}, e, inputs)
	return out, err
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
	limits := guard.Limits{Input: 1 << 20, ResourceList: 1 << 20, Config: 4096, Document: 64 << 10}.WithDefaults()

	t.Run("stream under the limit", func(t *testing.T) {
		out, err := runEmpty(t, limits, []Input{{Name: "a", Reader: &endless{text: []byte(configMapDoc), n: int64(len(configMapDoc)) * 1000}}}...)
		require.NoError(t, err)
		require.Equal(t, 1000, bytes.Count(out, []byte("kind: ConfigMap")))
	})
	t.Run("stream over the limit, across inputs", func(t *testing.T) {
		half := &endless{text: []byte(configMapDoc), n: 600 << 10}
		rest := &endless{text: []byte(configMapDoc), n: 600 << 10}
		_, err := runEmpty(t, limits, []Input{{Name: "a", Reader: half}, {Name: "b", Reader: rest}}...)
		var tooLarge *guard.TooLargeError
		require.ErrorAs(t, err, &tooLarge)
		require.ErrorContains(t, err, "b: document ")
		require.ErrorContains(t, err, "the input is larger than 1 MiB, the limit podgraft sets to stay within memory")
	})
	t.Run("one document over the limit", func(t *testing.T) {
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  k: " + strings.Repeat("x", 70<<10) + "\n"
		_, err := runEmpty(t, limits, []Input{{Name: "a", Reader: strings.NewReader(configMapDoc + doc)}}...)
		require.ErrorContains(t, err, "a: document 2: this document is larger than 65536 bytes")
	})
	t.Run("documents ended by end markers are bounded one by one", func(t *testing.T) {
		doc := strings.TrimSuffix(configMapDoc, "---\n") + "...\n"
		out, err := runEmpty(t, limits, []Input{{Name: "a", Reader: &endless{text: []byte(doc), n: int64(len(doc)) * 2000}}}...)
		require.NoError(t, err)
		require.Equal(t, 2000, bytes.Count(out, []byte("kind: ConfigMap")))
	})
	t.Run("one line over the document limit", func(t *testing.T) {
		// No newline at all, like /dev/zero: bufio.Reader.ReadLine drops
		// an error that comes with data, so the limit must hold anyway.
		_, err := runEmpty(t, limits, []Input{{Name: "zero", Reader: &endless{text: []byte("x"), n: 4 << 20}}}...)
		require.ErrorContains(t, err, "zero: document 1: this document is larger than 65536 bytes")
	})
	t.Run("ResourceList over the limit", func(t *testing.T) {
		var out bytes.Buffer
		results, err := RunResourceList(Options{Limits: limits, BaseDir: t.TempDir()}, &endless{text: []byte("# padding\n"), n: 2 << 20}, &out)
		require.NoError(t, err)
		require.Equal(t, 1, results.ExitCode())
		require.Contains(t, out.String(), "kind: ResourceList")
		require.Contains(t, out.String(), "the input is larger than 1 MiB")
	})
	t.Run("config over the limit", func(t *testing.T) {
		_, err := decodeConfigStream(strings.NewReader("# "+strings.Repeat("x", 5000)+"\n"), "graft.yaml", t.TempDir(), limits)
		require.ErrorContains(t, err, "graft.yaml, document 1: the input is larger than 4096 bytes")
	})
}

func TestByteOrderMarks(t *testing.T) {
	limits := guard.DefaultLimits()
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
			out, err := runEmpty(t, limits, []Input{{Name: "in", Reader: bytes.NewReader(in)}}...)
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
	limits := guard.DefaultLimits()
	const depth = 100_000
	flow := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "\n"
	// "- - - x" nests block lists two bytes a level.
	block := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x:\n  " + strings.Repeat("- ", depth) + "x\n"
	for name, doc := range map[string]string{"flow lists": flow, "block lists": block} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := runEmpty(t, limits, []Input{{Name: "in", Reader: strings.NewReader(doc)}}...)
			require.Error(t, err)
			require.Less(t, time.Since(start), 10*time.Second)

			var out bytes.Buffer
			rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
			results, err := RunResourceList(Options{BaseDir: t.TempDir()}, strings.NewReader(rl), &out)
			require.NoError(t, err)
			require.Equal(t, 1, results.ExitCode())
			require.Contains(t, out.String(), "kind: ResourceList")

			_, err = decodeConfigStream(strings.NewReader("apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: g}\nspec: "+strings.Repeat("[", depth)), "graft.yaml", t.TempDir(), limits)
			require.Error(t, err)
		})
	}
}

// errWriter fails every write, like a closed pipe or a full disk.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestResourceListWriteFailure(t *testing.T) {
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig: {apiVersion: podgraft.dev/v1alpha1, kind: PodGraft, metadata: {name: g}, spec: {}}\n"
	_, err := RunResourceList(Options{BaseDir: t.TempDir()}, strings.NewReader(rl), errWriter{})
	require.ErrorContains(t, err, "writing the ResourceList: no space left on device")
}
