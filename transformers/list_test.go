package transformers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
)

const listFronts = `  sidecars:
    - name: nginx
      image: nginx:1.27-alpine
      ports: [{name: proxy, containerPort: 8080}]
      fronts: {port: http, via: proxy}
  volumes:
    - name: conf
      files: {a.conf: "x"}
      mounts: [{containers: [nginx], mountPath: /etc/conf}]
`

const listWorkload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: w, ports: [{name: http, containerPort: 3000}]}]
`

const listService = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`

func listOf(items ...string) string {
	s := "apiVersion: v1\nkind: List\nitems:\n"
	for _, it := range items {
		s += "- " + strings.ReplaceAll(strings.TrimSuffix(it, "\n"), "\n", "\n  ") + "\n"
	}
	return s
}

// listEngine is an engine of one graft that fronts the app and generates
// a ConfigMap.
func listEngine(t *testing.T) *Engine {
	t.Helper()
	pg, err := v1alpha1.Decode(yaml.MustParse(graft("edge", listFronts)).YNode(), "test")
	require.NoError(t, err)
	e, err := NewEngine([]Config{{PodGraft: pg, Hash: "h", Files: map[string]map[string][]byte{"conf": {"a.conf": []byte("x")}}}}, []string{"test"}, Apply, "", Release{})
	require.NoError(t, err)
	return e
}

// TestEngineLists runs the engine over documents as fn does: Document on
// each, then Finish on the ones it holds. The items of a List are grafted
// where they stand and take part in the cross-document features like
// documents of their own.
func TestEngineLists(t *testing.T) {
	stale := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edge-conf-0000000000, namespace: shop, labels: {podgraft.dev/generated-by: edge}}\n"
	tests := map[string]struct {
		docs []string
		// changed and dropped name the documents Document and Finish
		// change and drop, by index; items, the kinds left in each List.
		changed, dropped []int
		items            map[int][]string
		added            int
		repointed        bool
	}{
		"a workload in a List is grafted, a Service in another is fronted": {
			docs:    []string{listOf(listWorkload), listOf(listService)},
			changed: []int{0, 1}, added: 1, repointed: true,
			items: map[int][]string{0: {"Deployment"}, 1: {"Service"}},
		},
		"in nested Lists": {
			docs:    []string{listOf(listOf(listWorkload), listOf(listOf(listService)))},
			changed: []int{0}, added: 1, repointed: true,
			items: map[int][]string{0: {"List", "List"}},
		},
		"a stale generated item leaves its List, which changes": {
			docs:    []string{listWorkload, listOf(stale, listService)},
			changed: []int{0, 1}, added: 1, repointed: true,
			items: map[int][]string{1: {"Service"}},
		},
		"a List of a stale generated item only becomes empty, and stays": {
			docs:    []string{listWorkload, listOf(stale)},
			changed: []int{0, 1}, added: 1,
			items: map[int][]string{1: {}},
		},
		"a List that holds nothing the engine holds is done with at once": {
			docs:    []string{listOf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n")},
			changed: []int{}, items: map[int][]string{0: {"ConfigMap"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := listEngine(t)
			var docs, held []*yaml.RNode
			changed := map[int]bool{}
			for i, d := range tc.docs {
				r := yaml.MustParse(d)
				docs = append(docs, r)
				res := e.Document(r)
				require.False(t, res.Failed, "%v", messages(res.Results, false))
				changed[i] = res.Changed
				if e.Holds(r) {
					held = append(held, r)
				}
			}
			out := e.Finish(held)
			var gotChanged, gotDropped []int
			for i, r := range docs {
				if changed[i] || out.Changed[r] {
					gotChanged = append(gotChanged, i)
				}
				if out.Drop[r] {
					gotDropped = append(gotDropped, i)
				}
			}
			require.ElementsMatch(t, tc.changed, gotChanged, "changed")
			require.ElementsMatch(t, tc.dropped, gotDropped, "dropped")
			require.Len(t, out.Added, tc.added)
			for i, kinds := range tc.items {
				got := []string{}
				for _, it := range ListItems(docs[i]) {
					got = append(got, it.GetKind())
				}
				require.Equal(t, kinds, got, "the items of document %d", i)
			}
			repointed := false
			for _, r := range out.Results {
				repointed = repointed || r.ResourceRef != nil && r.ResourceRef.Kind == "Service"
			}
			require.Equal(t, tc.repointed, repointed, "%v", messages(out.Results, false))
		})
	}
}

func TestListResultsNameTheItem(t *testing.T) {
	e := listEngine(t)
	res := e.Document(yaml.MustParse(listOf(listWorkload)))
	require.NotEmpty(t, res.Results)
	for _, r := range res.Results {
		require.Equal(t, "Deployment shop/web", DescribeRef(r.ResourceRef))
	}
	require.Equal(t, "List", Describe(yaml.MustParse(listOf())), "kubectl's Lists have no name")
}
