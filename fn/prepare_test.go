package fn

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

const prepareConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  targets: {labelSelector: tier=web}
  requireReadinessProbe: "off"
  sidecars: [{name: nginx, image: nginx}]
`

func prepareStream(n int, tier func(i int) string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\n  labels:\n    tier: %s\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web\n", i, tier(i))
	}
	return b.String()
}

// Documents are prepared ahead on every core, but the output keeps the
// input's order, across inputs, and each is grafted or passed as if read
// one at a time.
func TestPreparedInOrder(t *testing.T) {
	e := testEngine(t, prepareConfig)
	var inputs []Input
	for f := range 3 {
		inputs = append(inputs, Input{Name: fmt.Sprintf("f%d", f), Reader: strings.NewReader(prepareStream(200, func(i int) string {
			return []string{"web", "db"}[(i+f)%2]
		}))})
	}
	var out bytes.Buffer
	results, err := WriteStream(Options{}, e, inputs, &out)
	require.NoError(t, err)
	for _, r := range results {
		require.Contains(t, r.Message, "grafted by edge", "only info results")
	}
	var docs []string
	for _, d := range strings.Split(out.String(), "---\n") {
		if d != "" {
			docs = append(docs, d)
		}
	}
	require.Len(t, docs, 600)
	for k, d := range docs {
		f, i := k/200, k%200
		require.Contains(t, d, fmt.Sprintf("name: web-%d\n", i), "document %d", k)
		require.Equal(t, (i+f)%2 == 0, strings.Contains(d, "name: nginx"), "document %d: grafted only where tier=web", k)
	}
}

// A document that cannot be parsed stops the run at that document, however
// far the preparation had read ahead, and leaves no goroutine behind.
func TestPreparedStopsAtTheFirstError(t *testing.T) {
	e := testEngine(t, prepareConfig)
	before := runtime.NumGoroutine()
	for _, bad := range []int{0, 7, 150} {
		docs := strings.SplitAfter(prepareStream(400, func(int) string { return "web" }), "image: web\n")
		docs[bad] = strings.Replace(docs[bad], "image: web", "image: [web", 1)
		_, err := WriteStream(Options{}, e, []Input{{Name: "in", Reader: strings.NewReader(strings.Join(docs, ""))}}, io.Discard)
		require.ErrorContains(t, err, fmt.Sprintf("in: document %d", bad+1))
	}
	// (not require.Eventually: it runs its condition on a goroutine of its own)
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("the readers and workers of stopped runs are still running:\n%s", buf[:runtime.Stack(buf, true)])
		}
	}
}

func testEngine(t *testing.T, config string) *transformers.Engine {
	t.Helper()
	cfg, err := DecodeConfig(yaml.MustParse(config).YNode(), "test", ".")
	require.NoError(t, err)
	e, err := NewEngine([]*Config{cfg}, Options{})
	require.NoError(t, err)
	return e
}
