package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func graftOnto(t *testing.T, pod *yaml.RNode, graft string, items ...transformers.GraftContainer) {
	t.Helper()
	_, err := transformers.Containers{Graft: graft, Items: items}.Filter([]*yaml.RNode{pod})
	require.NoError(t, err)
}

func removeFrom(t *testing.T, pod *yaml.RNode, graft string) {
	t.Helper()
	sel := transformers.Select{Graft: graft, Targets: transformers.Match{Names: []string{"nothing"}}}
	_, err := transformers.Reconcile{Graft: graft, Select: sel, Remove: true}.Filter([]*yaml.RNode{pod})
	require.NoError(t, err)
}

// Two grafts give the same pod whichever is applied first, for every pair
// of placements: each graft's containers land where laying the grafts out
// in name order from the bare pod puts them.
func TestContainersOrderIndependent(t *testing.T) {
	placements := map[string][]transformers.GraftContainer{}
	for _, g := range []string{"a", "b"} {
		native, regular, initc := transformers.NativeSidecar, transformers.RegularSidecar, transformers.InitContainer
		placements[g+" first"] = []transformers.GraftContainer{container(g+"1", native, "first"), container(g+"2", initc, "first")}
		placements[g+" last"] = []transformers.GraftContainer{container(g+"1", native, "last"), container(g+"2", regular, "last")}
		placements[g+" before"] = []transformers.GraftContainer{container(g+"1", initc, "before:warm"), container(g+"2", regular, "before:web")}
		placements[g+" after"] = []transformers.GraftContainer{container(g+"1", native, "after:setup"), container(g+"2", regular, "after:web")}
		placements[g+" chain"] = []transformers.GraftContainer{
			container(g+"1", native, "first"), container(g+"2", native, "after:"+g+"1"), container(g+"3", initc, "before:"+g+"1"),
			container(g+"4", regular, "after:web"), container(g+"5", regular, "before:"+g+"4"), container(g+"6", regular, "after:"+g+"4"),
			container(g+"7", initc, "last"), container(g+"8", initc, "before:"+g+"7"),
		}
	}
	kinds := []string{"first", "last", "before", "after", "chain"}
	for _, ka := range kinds {
		for _, kb := range kinds {
			t.Run("a "+ka+", b "+kb, func(t *testing.T) {
				ab := yaml.MustParse(podWithInits)
				graftOnto(t, ab, "a", placements["a "+ka]...)
				graftOnto(t, ab, "b", placements["b "+kb]...)
				ba := yaml.MustParse(podWithInits)
				graftOnto(t, ba, "b", placements["b "+kb]...)
				graftOnto(t, ba, "a", placements["a "+ka]...)
				require.Equal(t, ab.MustString(), ba.MustString())

				// Taking one graft out leaves what grafting the other alone gives.
				onlyB := yaml.MustParse(podWithInits)
				graftOnto(t, onlyB, "b", placements["b "+kb]...)
				removeFrom(t, ab, "a")
				require.Equal(t, onlyB.MustString(), ab.MustString())
			})
		}
	}
}

func TestContainersCanonicalLayout(t *testing.T) {
	native, regular := transformers.NativeSidecar, transformers.RegularSidecar
	tests := map[string]struct {
		a, b                []transformers.GraftContainer
		wantInits, wantApps []string
	}{
		"first: grafts in name order, before the workload's": {
			a:         []transformers.GraftContainer{container("a1", native, "first")},
			b:         []transformers.GraftContainer{container("b1", native, "first")},
			wantInits: []string{"a1", "b1", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
		"last: grafts in name order, after the workload's": {
			a:         []transformers.GraftContainer{container("a1", regular, "last")},
			b:         []transformers.GraftContainer{container("b1", regular, "last")},
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "worker", "a1", "b1"},
		},
		"after one anchor: name order, and after what hangs on it": {
			a:         []transformers.GraftContainer{container("a1", regular, "after:web"), container("a2", regular, "after:a1")},
			b:         []transformers.GraftContainer{container("b1", regular, "after:web")},
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "a1", "a2", "b1", "worker"},
		},
		"before one anchor: name order": {
			a:         []transformers.GraftContainer{container("a1", regular, "before:worker")},
			b:         []transformers.GraftContainer{container("b1", regular, "before:worker")},
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "a1", "b1", "worker"},
		},
		"first stays before what hangs on the first app container": {
			a:         []transformers.GraftContainer{container("a1", native, "before:setup")},
			b:         []transformers.GraftContainer{container("b1", native, "first"), container("b2", native, "before:b1")},
			wantInits: []string{"b2", "b1", "a1", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
		"after the last app container stays before last": {
			a:         []transformers.GraftContainer{container("a1", regular, "last")},
			b:         []transformers.GraftContainer{container("b1", regular, "after:worker")},
			wantInits: []string{"setup", "warm"}, wantApps: []string{"web", "worker", "b1", "a1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, order := range [][]string{{"a", "b"}, {"b", "a"}} {
				pod := yaml.MustParse(podWithInits)
				for _, g := range order {
					items := tc.a
					if g == "b" {
						items = tc.b
					}
					graftOnto(t, pod, g, items...)
				}
				require.Equal(t, tc.wantInits, containerNames(t, pod, "initContainers"), "order %v", order)
				require.Equal(t, tc.wantApps, containerNames(t, pod, "containers"), "order %v", order)
			}
		})
	}
}
