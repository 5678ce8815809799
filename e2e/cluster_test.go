//go:build e2e

// Package e2e holds podgraft's end-to-end tests against real tools (helm,
// kustomize, kpt) and a real kube-apiserver. Run them with `make e2e`, which
// builds the tools first; they need the build tag e2e.
package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

const smokeDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: smoke
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        securityContext:
          privileged: true
`

// TestClusterSmoke proves the harness: the API server validates for real,
// accepting a good Deployment and rejecting a broken one with its own message.
// It runs on the package's shared cluster (main_test.go).
func TestClusterSmoke(t *testing.T) {
	t.Parallel()
	c := cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	v, err := c.ServerVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, "v1.36.3", v, "kube-apiserver must be built with the version ldflags (helm kubeVersion checks)")

	require.NoError(t, c.CreateNamespace(ctx, "smoke", map[string]string{"podgraft.dev/test": "smoke"}))
	ns, err := c.Get(ctx, "v1", "Namespace", "", "smoke")
	require.NoError(t, err)
	require.Equal(t, "smoke", ns["metadata"].(map[string]any)["labels"].(map[string]any)["podgraft.dev/test"])

	// Dry run: accepted and defaulted by the server, but not stored.
	obj, err := c.Create(ctx, smokeDeployment, true)
	require.NoError(t, err)
	spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	require.Equal(t, "Always", spec["restartPolicy"], "the server defaults the pod spec")
	_, err = c.Get(ctx, "apps/v1", "Deployment", "smoke", "web")
	require.True(t, testcluster.IsNotFound(err), "a dry-run create stores nothing, got %v", err)

	// No containers: rejected by validation, with the server's explanation.
	broken := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: smoke}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec: {containers: []}
`
	_, err = c.Create(ctx, broken, true)
	require.Error(t, err)
	require.True(t, testcluster.IsInvalid(err), "want 422 Invalid, got %v", err)
	require.Contains(t, err.Error(), "spec.template.spec.containers: Required value")

	// Strict field validation: a misspelled field is an error, not a warning.
	_, err = c.Create(ctx, `
apiVersion: v1
kind: ConfigMap
metadata: {name: typo, namespace: smoke}
datta: {a: b}
`, true)
	require.Error(t, err)
	require.Contains(t, err.Error(), `unknown field "datta"`)

	// Apply for real, then read it back through List.
	require.NoError(t, c.ApplyAll(ctx, "---\n"+smokeDeployment+"---\n# empty\n", false))
	items, err := c.List(ctx, "apps/v1", "Deployment", "smoke", "")
	require.NoError(t, err)
	require.Len(t, items, 1, "the package's tests share the cluster, so only this namespace is ours")
	require.Equal(t, "web", items[0]["metadata"].(map[string]any)["name"])
	none, err := c.List(ctx, "apps/v1", "Deployment", "smoke", "app=web")
	require.NoError(t, err)
	require.Empty(t, none, "the Deployment itself has no labels, only its pod template")
}
