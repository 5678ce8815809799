package transformers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// compile decodes a PodGraft from its YAML and compiles it for mode, with
// a hash of its text.
func compile(t *testing.T, config string, mode Mode) *Graft {
	t.Helper()
	pg, err := v1alpha1.Decode(yaml.MustParse(config).YNode(), "test")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(config))
	return Compile(Config{PodGraft: pg, Hash: hex.EncodeToString(sum[:5])}, mode, "")
}

// graft is a PodGraft named name with spec, in YAML.
func graft(name, spec string) string {
	return "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: " + name + "}\nspec:\n  requireReadinessProbe: \"off\"\n" + spec
}

// podOf builds the pod value of a resource's one template, its spec
// checked, as the steps see it.
func podOf(t *testing.T, resource string) *pod {
	t.Helper()
	r := yaml.MustParse(resource)
	tmpls, err := Locator{}.Templates(r)
	require.NoError(t, err)
	require.Len(t, tmpls, 1)
	p, err := newPod(tmpls[0])
	require.NoError(t, err)
	spec, ok := p.podSpec()
	require.True(t, ok, "%v", p.results)
	p.spec = spec
	return p
}

// withEntry readies p for g's steps: a new, empty entry in the record.
func withEntry(p *pod, g *Graft) *pod {
	e := &Entry{Hash: g.hash}
	p.rec[g.Name] = e
	p.entry = e
	return p
}

// names lists the container names of a list of p's spec.
func names(p *pod, list string) []string {
	var out []string
	for _, c := range containers(p.spec, list) {
		out = append(out, c.name())
	}
	return out
}

// messages renders results as "<field>: <message>", errors only when
// errorsOnly.
func messages(results framework.Results, errorsOnly bool) []string {
	var out []string
	for _, r := range results {
		if errorsOnly && r.Severity != framework.Error {
			continue
		}
		field := ""
		if r.Field != nil {
			field = r.Field.Path + ": "
		}
		out = append(out, field+r.Message)
	}
	return out
}

// containsAll requires every fragment in one of the lines.
func containsAll(t *testing.T, lines, fragments []string) {
	t.Helper()
	joined := strings.Join(lines, "\n")
	for _, f := range fragments {
		require.Contains(t, joined, f)
	}
}

// str prints a resource.
func str(t *testing.T, r *yaml.RNode) string {
	t.Helper()
	s, err := r.String()
	require.NoError(t, err)
	return s
}

// field reads a scalar at a dotted path under n.
func field(n *yaml.Node, path ...string) string {
	for _, p := range path[:len(path)-1] {
		n = node.Lookup(n, p)
	}
	return node.Str(n, path[len(path)-1])
}

const appPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  initContainers:
  - name: setup
    image: busybox
  containers:
  - name: web
    image: shop/web:1.2
    imagePullPolicy: IfNotPresent
    ports:
    - {name: http, containerPort: 8080}
  - name: worker
    image: shop/worker:1.2
`

const appJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: report
  namespace: shop
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: setup
        image: busybox
      containers:
      - name: web
        image: shop/web:1.2
      - name: worker
        image: shop/worker:1.2
`
