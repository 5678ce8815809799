package webhook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	evanjsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"
	"gomodules.xyz/jsonpatch/v2"
)

// podCases are Pods of every shape the two graft paths must agree on.
var podCases = map[string]string{
	"a Deployment's":       deploymentPod,
	"a CronJob's":          `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"nightly-29412345-","labels":{"job-name":"nightly-29412345"},"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"nightly-29412345","controller":true}]},"spec":{"restartPolicy":"Never","containers":[{"name":"web","image":"shop/web:1.0"}]}}`,
	"a bare one":           `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-1","labels":{"tier":"edge"}},"spec":{"containers":[{"name":"web","image":"shop/web:1.0","ports":[{"name":"http","containerPort":3000}]}]}}`,
	"with its namespace":   `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-2","namespace":"shop"},"spec":{"containers":[{"name":"web","image":"shop/web:1.0"}]},"status":{"phase":"Pending"}}`,
	"opted out":            `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-3","annotations":{"podgraft.dev/inject":"false"}},"spec":{"containers":[{"name":"web","image":"x"}]}}`,
	"conflicting":          `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-4"},"spec":{"containers":[{"name":"web","image":"x"},{"name":"proxy","image":"y"}]}}`,
	"without metadata":     `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"web","image":"x"}]}}`,
	"with null metadata":   `{"apiVersion":"v1","kind":"Pod","metadata":null,"spec":{"containers":[{"name":"web","image":"x"}]}}`,
	"without a spec":       `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-5"}}`,
	"with a list spec":     `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-6"},"spec":[]}`,
	"with odd numbers":     `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-7"},"spec":{"terminationGracePeriodSeconds":3e1,"containers":[{"name":"web","image":"x","ports":[{"containerPort":8080.0}],"x":[-0,1E2,12345678901234567890,0.5]}]}}`,
	"with escapes":         `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-8","annotations":{"a":"<&>\u00e9\n\t\"","b":"yes","c":"0644"}},"spec":{"containers":[{"name":"web","image":"x","args":["on","~",""]}]}}`,
	"with a duplicate key": `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-9"},"spec":{"containers":[{"name":"web","image":"x","image":"y"}]}}`,
	"with odd metadata":    `{"apiVersion":"v1","kind":"Pod","metadata":{"name":null,"Labels":{"a":"b"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-1","controller":null}]},"spec":{"containers":[{"name":"web","image":"x"}]}}`,
	"with null owners":     `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"edge-10","labels":null,"ownerReferences":null},"spec":{"containers":[{"name":"web","image":"x"}]}}`,
	"grafted already":      "",
}

// The node path (graftNodes) answers every Pod exactly as the stream path
// (graftPodSlowly) does, and takes the stream path only for what it must.
func TestGraftPathsAgree(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml", "files.yaml")
	e := rv.engine()
	_, _, grafted := admitted(t, rv, deploymentPod, reviewCase{})
	podCases["grafted already"] = grafted
	for name, pod := range podCases {
		t.Run(name, func(t *testing.T) {
			fast, slow := requireSamePaths(t, e, []byte(pod), "shop")
			if name == "with a duplicate key" {
				require.True(t, slow, "the stream path refuses duplicate keys")
			} else {
				require.False(t, slow, "took the stream path")
			}
			if name == "a Deployment's" {
				require.NotNil(t, fast.patch)
				require.NotEmpty(t, fast.generated)
			}
		})
	}
}

// requireSamePaths grafts pod both ways and requires the same answer. It
// says whether the node path left the Pod to the stream path.
func requireSamePaths(t testing.TB, e *engine, podJSON []byte, namespace string) (graftResult, bool) {
	t.Helper()
	var pod object
	var value any
	if json.Unmarshal(podJSON, &pod) != nil || json.Unmarshal(podJSON, &value) != nil {
		t.Skip("not an object, or a number out of float64's range, which the slow path makes a string")
	}
	var meta podMeta
	if raw, ok := pod["metadata"]; ok {
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Skip("metadata the review refuses first")
		}
	}
	root, err := parseJSONNode(podJSON)
	if err != nil {
		require.ErrorIs(t, err, errNotPlainJSON, "valid JSON")
		return graftResult{}, true
	}
	if m, ok := podMetaOf(root); ok {
		require.Equal(t, meta, m, "podMetaOf reads what encoding/json decodes")
	}
	w := workloadOf(meta, e.templatePaths)
	slow, slowErr := e.graftPodSlowly(pod, w, namespace)
	fast, fastErr := e.graftNodes(root, w, namespace)
	if errors.Is(fastErr, errNotPlainJSON) {
		return fast, true
	}
	if slowErr != nil && strings.Contains(slowErr.Error(), ": invalid YAML: ") {
		// JSON that yaml.v3 refuses (invalid UTF-8, a surrogate pair):
		// the node path reads it as encoding/json and the API server do.
		return fast, false
	}
	if slowErr != nil || fastErr != nil {
		require.Error(t, fastErr, "the stream path failed: %v", slowErr)
		require.Error(t, slowErr, "the node path failed: %v", fastErr)
		require.Equal(t, slowErr.Error(), fastErr.Error())
	}
	require.Equal(t, slow.warnings, fast.warnings)
	require.Equal(t, slow.generated, fast.generated)
	if slowErr != nil {
		return fast, false
	}
	require.Nil(t, fast.doc, "the node path answers with a patch")
	if slow.doc != nil {
		ops, err := jsonpatch.CreatePatch(podJSON, slow.doc)
		require.NoError(t, err)
		if len(ops) == 0 {
			slow.doc = nil
		}
	}
	if slow.doc == nil || fast.patch == nil {
		require.Nil(t, fast.patch, "only the node path changed it")
		require.Nil(t, slow.doc, "only the stream path changed it")
		return fast, false
	}
	p, err := evanjsonpatch.DecodePatch(fast.patch)
	require.NoError(t, err, "%s", fast.patch)
	patched, err := p.Apply(podJSON)
	require.NoError(t, err, "%s", fast.patch)
	require.JSONEq(t, string(slow.doc), string(patched), "patch: %s", fast.patch)
	return fast, false
}

// The node path's patch only adds what the graft added: no replace of an
// untouched field or of the items after an insertion, and it is smaller
// than CreatePatch's.
func TestNodePatchIsMinimal(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml")
	e := rv.engine()
	pod := podWith(t, deploymentPod, func(p map[string]any) {
		spec := p["spec"].(map[string]any)
		spec["initContainers"] = []any{map[string]any{"name": "setup", "image": "x"}}
		spec["terminationGracePeriodSeconds"] = json.Number("3e1")
	})
	var meta podMeta
	var obj object
	require.NoError(t, json.Unmarshal([]byte(pod), &obj))
	require.NoError(t, json.Unmarshal(obj["metadata"], &meta))
	root, err := parseJSONNode([]byte(pod))
	require.NoError(t, err)
	res, err := e.graftNodes(root, workloadOf(meta, nil), "shop")
	require.NoError(t, err)
	var ops []struct{ Op, Path string }
	require.NoError(t, json.Unmarshal(res.patch, &ops))
	var paths []string
	for _, op := range ops {
		require.Equal(t, "add", op.Op, "%s", res.patch)
		paths = append(paths, op.Path)
	}
	require.Equal(t, []string{
		"/metadata/annotations",
		"/spec/containers/0/readinessProbe",
		"/spec/containers/0/volumeMounts",
		"/spec/initContainers/0", // migrate, placement: first
		"/spec/initContainers/2", // the proxy sidecar, after setup
		"/spec/volumes",
	}, paths)
	slow, err := e.graftPodSlowly(obj, workloadOf(meta, nil), "shop")
	require.NoError(t, err)
	theirs, err := jsonpatch.CreatePatch([]byte(pod), slow.doc)
	require.NoError(t, err)
	b, err := json.Marshal(theirs)
	require.NoError(t, err)
	require.Less(t, len(res.patch), len(b))
}

// FuzzGraftPaths: whatever the Pod, both paths agree, and neither panics.
func FuzzGraftPaths(f *testing.F) {
	e, err := loadEngine([]string{"testdata/graft.yaml", "testdata/files.yaml"})
	if err != nil {
		f.Fatal(err)
	}
	for _, pod := range podCases {
		if pod != "" {
			f.Add([]byte(pod))
		}
	}
	f.Fuzz(func(t *testing.T, pod []byte) {
		requireSamePaths(t, e, pod, "shop")
	})
}
