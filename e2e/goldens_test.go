//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

// goldenScratchNamespace receives the golden documents that name no
// namespace (the API server needs one; dry runs store nothing).
const goldenScratchNamespace = "golden-scratch"

// customKinds are the custom kinds the golden files use. Each gets a minimal
// CRD (any fields accepted) so that the server checks the rest of the
// document (metadata, apiVersion/kind) too.
var customKinds = []struct{ group, version, kind, plural string }{
	{"argoproj.io", "v1alpha1", "Rollout", "rollouts"},
	{"example.com", "v1", "Rollout", "rollouts"},
	{"example.com", "v1", "Deployment", "deployments"},
}

// installCRDs creates the customKinds' CRDs (idempotent: server-side apply).
func installCRDs(ctx context.Context, t *testing.T, c *testcluster.Cluster) map[string]bool {
	t.Helper()
	served := map[string]bool{}
	for _, k := range customKinds {
		crd := fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[4]s.%[1]s
spec:
  group: %[1]s
  scope: Namespaced
  names: {kind: %[3]s, plural: %[4]s, listKind: %[3]sList}
  versions:
    - name: %[2]s
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, k.group, k.version, k.kind, k.plural)
		_, err := c.Apply(ctx, crd, false)
		require.NoError(t, err, "CRD %s.%s", k.plural, k.group)
		served[k.group+"/"+k.version+" "+k.kind] = true
	}
	return served
}

// builtIn reports whether an apiVersion belongs to a group kube-apiserver
// serves itself: the core group, dot-less groups (apps, batch, ...) and
// *.k8s.io.
func builtIn(apiVersion string) bool {
	group, _, found := strings.Cut(apiVersion, "/")
	return !found || !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

// rejections dry-runs the creation of obj and returns the server's reasons
// for rejecting it ("field: message" per cause), or nil when it is accepted.
func rejections(ctx context.Context, t *testing.T, c *testcluster.Cluster, obj map[string]any) []string {
	t.Helper()
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	_, err = c.Create(ctx, string(b), true)
	if err == nil {
		return nil
	}
	var se *testcluster.StatusError
	require.ErrorAs(t, err, &se, "not an answer of the API server")
	var st struct {
		Details struct {
			Causes []struct {
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"causes"`
		} `json:"details"`
	}
	if json.Unmarshal(se.Body, &st) != nil || len(st.Details.Causes) == 0 {
		return []string{se.Message}
	}
	var causes []string
	for _, cause := range st.Details.Causes {
		causes = append(causes, cause.Field+": "+cause.Message)
	}
	return causes
}

// TestGoldensAcceptedByAPIServer creates every document of every golden
// success output (testdata/<group>/<case>/expected.yaml) and every example's
// expected.yaml with a server-side dry run: what podgraft writes must be
// valid Kubernetes, with no unknown or duplicate field (strict field
// validation). Every document must be accepted outright: the golden inputs
// are valid workloads (a selector matching the template's labels, and so
// on), so a rejection is podgraft's or a new case's fault, never an accepted
// property of a minimal input. Cases whose point is an invalid input have
// errors.txt (no expected.yaml) or live in testdata/badinput with
// output.yaml, and are not sent here. Custom kinds need a CRD in
// customKinds.
func TestGoldensAcceptedByAPIServer(t *testing.T) {
	t.Parallel()
	c := cluster(t)
	ctx := testCtx(t, 5*time.Minute)
	root := repoRoot(t)

	var files []string
	for _, pattern := range []string{"examples/*/expected.yaml", "testdata/*/*/expected.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	sort.Strings(files)

	served := installCRDs(ctx, t, c)
	namespaces := map[string]bool{}
	accepted := 0
	for _, file := range files {
		rel, err := filepath.Rel(root, file)
		require.NoError(t, err)
		t.Run(rel, func(t *testing.T) {
			stream, err := os.ReadFile(file)
			require.NoError(t, err)
			docs := parseDocs(t, string(stream))
			if len(docs) == 0 {
				require.Empty(t, strings.TrimSpace(string(stream)), "%s: no documents parsed from text", rel)
				return // an empty output: nothing for the server to accept
			}
			for i, d := range docs {
				for _, item := range listItems(t, d.Obj) {
					if reasons := rejections(ctx, t, c, inScratch(ctx, t, c, namespaces, item)); reasons != nil {
						t.Errorf("%s, document %d, an item of its List (%s %s/%s) is rejected by the API server:\n  %s", rel, i+1,
							str(item, "kind"), str(item, "metadata", "namespace"), str(item, "metadata", "name"), strings.Join(reasons, "\n  "))
						continue
					}
					accepted++
				}
				if isList(d.Obj) {
					continue // no API serves List: kubectl creates its items
				}
				where := fmt.Sprintf("%s, document %d (%s %s)", rel, i+1, str(d.Obj, "apiVersion"), d.id())
				apiVersion := str(d.Obj, "apiVersion")
				if !builtIn(apiVersion) && !served[apiVersion+" "+d.kind()] {
					t.Errorf("%s: a custom kind without a CRD here: add it to customKinds", where)
					continue
				}
				meta, _ := d.Obj["metadata"].(map[string]any)
				if meta == nil {
					t.Errorf("%s: no metadata", where)
					continue
				}
				ns, _ := meta["namespace"].(string)
				if ns == "" {
					// Harmless for cluster-scoped kinds: the server drops it.
					ns = goldenScratchNamespace
					meta["namespace"] = ns
				}
				if !namespaces[ns] {
					createNamespace(ctx, t, c, ns, nil)
					namespaces[ns] = true
				}
				if reasons := rejections(ctx, t, c, d.Obj); reasons != nil {
					t.Errorf("%s is rejected by the API server:\n  %s", where, strings.Join(reasons, "\n  "))
					continue
				}
				accepted++
			}
		})
	}
	t.Logf("%d golden files: the API server accepted %d documents", len(files), accepted)
}

// listItems returns the items of a v1 List, however nested, as kubectl
// create -f takes them; nil for any other object.
func listItems(t *testing.T, obj map[string]any) []map[string]any {
	t.Helper()
	if !isList(obj) {
		return nil
	}
	items, _ := obj["items"].([]any)
	var out []map[string]any
	for i, it := range items {
		item, ok := it.(map[string]any)
		require.True(t, ok, "items[%d] is not an object", i)
		if isList(item) {
			out = append(out, listItems(t, item)...)
			continue
		}
		out = append(out, item)
	}
	return out
}

func isList(obj map[string]any) bool {
	return str(obj, "kind") == "List" && str(obj, "apiVersion") == "v1"
}

// inScratch gives an item without a namespace the scratch namespace, as
// the documents of a golden file get it, and creates the namespace.
func inScratch(ctx context.Context, t *testing.T, c *testcluster.Cluster, namespaces map[string]bool, obj map[string]any) map[string]any {
	t.Helper()
	meta, _ := obj["metadata"].(map[string]any)
	require.NotNil(t, meta, "an item without metadata")
	ns, _ := meta["namespace"].(string)
	if ns == "" {
		ns = goldenScratchNamespace
		meta["namespace"] = ns
	}
	if !namespaces[ns] {
		createNamespace(ctx, t, c, ns, nil)
		namespaces[ns] = true
	}
	return obj
}
