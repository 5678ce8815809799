package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sigsyaml "sigs.k8s.io/yaml"
)

// objects reads every document of a stream as the API server would.
func objects(t *testing.T, stream string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, doc := range strings.Split(stream, "\n---\n") {
		var obj map[string]any
		require.NoError(t, sigsyaml.Unmarshal([]byte(doc), &obj))
		if obj == nil {
			continue
		}
		meta := obj["metadata"].(map[string]any)
		out[obj["kind"].(string)+"/"+meta["name"].(string)] = obj
	}
	return out
}

// mountedNames lists what the first pod template's volumes name.
func mountedNames(t *testing.T, obj map[string]any) map[string]string {
	t.Helper()
	spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	out := map[string]string{}
	for _, v := range spec["volumes"].([]any) {
		m := v.(map[string]any)
		switch {
		case m["configMap"] != nil:
			out[m["name"].(string)] = "ConfigMap/" + m["configMap"].(map[string]any)["name"].(string)
		case m["persistentVolumeClaim"] != nil:
			out[m["name"].(string)] = "PersistentVolumeClaim/" + m["persistentVolumeClaim"].(map[string]any)["claimName"].(string)
		}
	}
	return out
}

// A re-run on kustomize's output after namePrefix: prod- follows the
// rename. It used to drop prod-ops-conf-… and prod-web-uploads as stale,
// add unprefixed copies, and leave the Deployment mounting what it dropped
// (and kubectl apply --prune deleted the claim in use).
func TestRenamedGeneratedResourcesAreFollowed(t *testing.T) {
	const dir = "../../testdata/generated/renamed-by-name-prefix/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, input, "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, string(input), out, "kustomize's output is left byte for byte")
	_, stderr, code = runCLI(t, input, "--check", "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, "no false drift on kustomize's correct output: %s", stderr)

	objs := objects(t, out)
	mounts := mountedNames(t, objs["Deployment/prod-web"])
	require.Equal(t, map[string]string{"conf": "ConfigMap/prod-ops-conf-69db59ce21", "uploads": "PersistentVolumeClaim/prod-web-uploads"}, mounts)
	for _, m := range mounts {
		require.Contains(t, objs, m, "every resource the workload mounts is in the output")
	}
	require.Len(t, objs, 3, "no unprefixed copy is added")

	// New file content: a new ConfigMap, inside kustomize's prefix; the old
	// one goes, the claim stays.
	const changed = "../../testdata/generated/renamed-content-changed/"
	out, stderr, code = runCLI(t, input, "-c", changed+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	objs = objects(t, out)
	mounts = mountedNames(t, objs["Deployment/prod-web"])
	require.True(t, strings.HasPrefix(mounts["conf"], "ConfigMap/prod-ops-conf-"), mounts["conf"])
	require.NotEqual(t, "ConfigMap/prod-ops-conf-69db59ce21", mounts["conf"], "the content changed, so the name did")
	require.Equal(t, "PersistentVolumeClaim/prod-web-uploads", mounts["uploads"])
	for _, m := range mounts {
		require.Contains(t, objs, m, "every resource the workload mounts is in the output")
	}
	require.Len(t, objs, 3, "the old ConfigMap went, no copy was added")
	require.Contains(t, objs[mounts["conf"]]["data"].(map[string]any)["app.conf"], "listen 9191")
}

// A generated resource that a workload in the input still mounts is never
// dropped, even when the graft no longer produces it.
func TestMountedGeneratedResourceIsNeverDropped(t *testing.T) {
	const dir = "../../testdata/generated/kept-while-mounted/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	for _, args := range [][]string{{}, {"--remove"}} {
		out, stderr, code := runCLI(t, input, append(append([]string{"-c", dir + "config.yaml"}, args...), "-")...)
		require.Equal(t, 0, code, stderr)
		objs := objects(t, out)
		require.Contains(t, objs, "ConfigMap/ops-legacy-conf", "%v", args)
		require.Contains(t, stderr, "still mounts it: kept")
	}
}

// A workload whose record is current but whose generated ConfigMap a
// selector hid gets a warning and no second copy: renders used to pile up
// one more copy each time.
func TestSelectorHidingAGeneratedResource(t *testing.T) {
	const dir = "../../testdata/select/selector-hid-generated/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, input, "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, string(input), out)
	require.NotContains(t, out, "kind: ConfigMap")
	require.Contains(t, stderr, "filtered out by a selector")
	// Without a record, the workload needs the ConfigMap: generated.
	fresh := regexp.MustCompile(`(?m)^      annotations:\n        podgraft.dev/grafts: .*\n`).ReplaceAllString(string(input), "")
	require.NotContains(t, fresh, "podgraft.dev/grafts")
	out, stderr, code = runCLI(t, []byte(fresh), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "kind: ConfigMap")
}
