package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

// apiView reads the first document of a stream the way the API server
// does: aliases and merge keys resolved (sigs.k8s.io/yaml, as kubectl).
func apiView(t *testing.T, stream []byte) map[string]any {
	t.Helper()
	doc := strings.SplitN(string(stream), "\n---\n", 2)[0]
	var out map[string]any
	require.NoError(t, sigsyaml.Unmarshal([]byte(doc), &out))
	return out
}

func podContainers(t *testing.T, obj map[string]any, list string) map[string]map[string]any {
	t.Helper()
	spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	out := map[string]map[string]any{}
	items, _ := spec[list].([]any)
	for _, c := range items {
		m := c.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

// Values podgraft reads come through aliases and merge keys, as the API
// server reads them, and an edit never reaches another container through
// an alias.
func TestAliasesAndMergeKeysAsTheServerReadsThem(t *testing.T) {
	const dir = "../../testdata/aliases/merge-keys-and-anchors/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, input, "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)

	before, after := apiView(t, input), apiView(t, []byte(out))
	apps, inits := podContainers(t, after, "containers"), podContainers(t, after, "initContainers")
	require.Equal(t, "shop/web:1.2", inits["migrate"]["image"], "imageFrom web reads web's image through <<: *base")
	require.Equal(t, "IfNotPresent", inits["migrate"]["imagePullPolicy"])
	require.Equal(t, "/ready", apps["web"]["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"],
		"web's readinessProbe comes through the merge key: without override it is kept")
	require.Len(t, apps["web"]["volumeMounts"], 2, "web gets the cache mount")
	require.Equal(t, podContainers(t, before, "containers")["worker"], apps["worker"], "worker shares web's mounts through *mounts in the input, and is unchanged")
	require.Equal(t, podContainers(t, before, "containers")["base"], apps["base"], "base, the anchor, is unchanged")
	require.NotContains(t, out, "!!merge", "merge keys are never written back tagged")

	_, stderr, code = runCLI(t, []byte(out), "--check", "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, "image: *ver reads as the image, so the fresh output is current: %s", stderr)
}
