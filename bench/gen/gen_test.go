package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"
)

var workloadKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true}

func generateArgs(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(args, &stdout, &stderr), stderr.String())
	return stdout.Bytes()
}

// decodeAll parses a YAML stream into one map per document.
func decodeAll(t *testing.T, stream []byte) []map[string]any {
	t.Helper()
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err, "document %d", len(docs)+1)
		docs = append(docs, doc)
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	first := generateArgs(t, "-n", "300", "-seed", "7")
	require.Equal(t, first, generateArgs(t, "-n", "300", "-seed", "7"))
	require.NotEqual(t, first, generateArgs(t, "-n", "300", "-seed", "8"))
}

func TestStreamHasNMixedWorkloads(t *testing.T) {
	const n = 500
	stream := generateArgs(t, "-n", "500")
	docs := decodeAll(t, stream)

	kinds := map[string]int{}
	namespaces := map[string]bool{}
	shop := 0
	for _, doc := range docs {
		kind := doc["kind"].(string)
		kinds[kind]++
		metadata := doc["metadata"].(map[string]any)
		namespaces[metadata["namespace"].(string)] = true
		if workloadKinds[kind] && metadata["labels"].(map[string]any)["app.kubernetes.io/part-of"] == "shop" {
			shop++
		}
	}
	workloads := 0
	for kind := range workloadKinds {
		require.Positive(t, kinds[kind], "no %s among %v", kind, kinds)
		workloads += kinds[kind]
	}
	require.Equal(t, n, workloads)
	require.Positive(t, kinds["Service"])
	require.Positive(t, kinds["ConfigMap"])
	require.Greater(t, len(namespaces), 3)
	require.InDelta(t, 0.6*n, shop, 0.1*n, "share of shop workloads")

	// The sizes the benchmark figures are quoted for: ~1.4 documents and ~2 KB per workload.
	require.InDelta(t, 1.4, float64(len(docs))/n, 0.1)
	require.InDelta(t, 2000, float64(len(stream))/n, 300)
}

func TestShopContainersFollowTier(t *testing.T) {
	// The kustomize patches name the containers of shop workloads by tier.
	g := newGenerator(3)
	for i := 0; i < 400; i++ {
		w := g.plan(i)
		if w.partOf != "shop" {
			continue
		}
		var names []string
		for _, c := range w.containers {
			names = append(names, c.name)
		}
		require.Equal(t, shopContainersByTier[w.tier], names, w.name)
		require.False(t, w.initWait, w.name)
	}
}

func TestResourceListCarriesItemsAndFunctionConfig(t *testing.T) {
	out := generateArgs(t, "-n", "50", "-format", "resourcelist", "-fnconfig", "../testdata/graft.yaml")
	docs := decodeAll(t, out)
	require.Len(t, docs, 1)
	list := docs[0]
	require.Equal(t, "config.kubernetes.io/v1", list["apiVersion"])
	require.Equal(t, "ResourceList", list["kind"])
	require.Len(t, list["items"], len(decodeAll(t, generateArgs(t, "-n", "50"))))
	require.Equal(t, "PodGraft", list["functionConfig"].(map[string]any)["kind"])
}

func TestResourceListRefusesSeveralFunctionConfigs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-n", "1", "-format", "resourcelist", "-fnconfig", "../testdata/grafts-10.yaml"}, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "one YAML document")
	require.Empty(t, stdout.String())
}

func TestKustomizations(t *testing.T) {
	dir := t.TempDir()
	generateArgs(t, "-n", "40", "-kustomize", dir, "-fnconfig", "../testdata/graft.yaml", "-podgraft", "/opt/podgraft")

	stream := generateArgs(t, "-n", "40")
	for _, variant := range []string{"patches", "exec", "exec-noop"} {
		resources, err := os.ReadFile(filepath.Join(dir, variant, "resources.yaml"))
		require.NoError(t, err)
		require.Equal(t, stream, resources, variant)
	}

	kustomization := decodeAll(t, readFile(t, dir, "patches", "kustomization.yaml"))[0]
	patches := kustomization["patches"].([]any)
	require.Len(t, patches, len(shopPatches()))
	for _, p := range patches {
		patch := decodeAll(t, readFile(t, dir, "patches", p.(map[string]any)["path"].(string)))
		require.Len(t, patch, 1)
		target := p.(map[string]any)["target"].(map[string]any)
		require.Contains(t, target["labelSelector"], shopSelector)
	}

	transformer := decodeAll(t, readFile(t, dir, "exec", "graft.yaml"))[0]
	metadata := transformer["metadata"].(map[string]any)
	require.Equal(t, "shop-edge", metadata["name"])
	require.Equal(t, "exec:\n  path: /opt/podgraft\n", metadata["annotations"].(map[string]any)["config.kubernetes.io/function"])
	require.Contains(t, string(readFile(t, dir, "exec", "kustomization.yaml")), "transformers:\n- graft.yaml\n")
	require.Contains(t, string(readFile(t, dir, "exec-noop", "graft.yaml")), "/cat\n")
}

func TestWithExecAnnotationKeepsExistingAnnotations(t *testing.T) {
	out, err := withExecAnnotation([]byte("kind: PodGraft\nmetadata: {name: x, annotations: {team: shop}}\n"), "/bin/podgraft")
	require.NoError(t, err)
	annotations := decodeAll(t, out)[0]["metadata"].(map[string]any)["annotations"].(map[string]any)
	require.Equal(t, "shop", annotations["team"])
	require.True(t, strings.HasPrefix(annotations["config.kubernetes.io/function"].(string), "exec:"))
}

func readFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(parts...))
	require.NoError(t, err)
	return data
}
