package transformers

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const podWithInits = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: n}
spec:
  initContainers:
  - {name: setup, image: s}
  - {name: warm, image: w}
  containers:
  - {name: web, image: w}
  - {name: worker, image: w}
`

// c is a container of a graft: kind native, regular or init, at placement.
func c(name, kind, placement string) string {
	switch kind {
	case "init":
		return "  initContainers: [{name: " + name + ", image: x, placement: '" + placement + "'}]\n"
	case "regular":
		return "  sidecars: [{name: " + name + ", image: x, native: false, placement: '" + placement + "'}]\n"
	}
	return "  sidecars: [{name: " + name + ", image: x, placement: '" + placement + "'}]\n"
}

// Containers are laid out canonically: grafts in name order, each at its
// placement, so that two grafts give the same pod in either order, and
// taking one out leaves what the other alone gives.
func TestContainersCanonicalLayout(t *testing.T) {
	tests := map[string]struct {
		a, b                string
		wantInits, wantApps []string
	}{
		"first: grafts in name order, before the workload's": {
			a: c("a1", "native", "first"), b: c("b1", "native", "first"),
			wantInits: []string{"a1", "b1", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
		"last: grafts in name order, after the workload's": {
			a: c("a1", "regular", "last"), b: c("b1", "regular", "last"),
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "worker", "a1", "b1"},
		},
		"after one anchor: name order, and after what hangs on it": {
			a:         "  sidecars: [{name: a1, image: x, native: false, placement: 'after:web'}, {name: a2, image: x, native: false, placement: 'after:a1'}]\n",
			b:         c("b1", "regular", "after:web"),
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "a1", "a2", "b1", "worker"},
		},
		"before one anchor: name order": {
			a: c("a1", "regular", "before:worker"), b: c("b1", "regular", "before:worker"),
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "a1", "b1", "worker"},
		},
		"first stays before what hangs on the first app container": {
			a:         c("a1", "native", "before:setup"),
			b:         "  sidecars: [{name: b1, image: x, placement: first}, {name: b2, image: x, placement: 'before:b1'}]\n",
			wantInits: []string{"b2", "b1", "a1", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
		"after the last app container stays before last": {
			a: c("a1", "regular", "last"), b: c("b1", "regular", "after:worker"),
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "worker", "b1", "a1"},
		},
		"init containers and native sidecars share one list": {
			a: c("a1", "init", "first"), b: c("b1", "native", "after:warm"),
			wantInits: []string{"a1", "setup", "warm", "b1"}, wantApps: []string{"web", "worker"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, b := compile(t, graft("a", tc.a), Apply), compile(t, graft("b", tc.b), Apply)
			for _, order := range [][]*Graft{{a, b}, {b, a}} {
				r := yaml.MustParse(podWithInits)
				for _, g := range order {
					require.False(t, g.Apply(r).Failed())
				}
				p := podOf(t, str(t, r))
				require.Equal(t, tc.wantInits, names(p, "initContainers"), "order %s, %s", order[0].Name, order[1].Name)
				require.Equal(t, tc.wantApps, names(p, "containers"), "order %s, %s", order[0].Name, order[1].Name)

				onlyB := yaml.MustParse(podWithInits)
				b.Apply(onlyB)
				compile(t, graft("a", tc.a), Remove).Apply(r)
				require.Equal(t, str(t, onlyB), str(t, r), "taking a out leaves what b alone gives")
			}
		})
	}
}
