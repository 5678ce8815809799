package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The items of a List are workloads like any other to --check and --diff.
func TestListItemsInCheckAndDiff(t *testing.T) {
	c := goldenCase{dir: "../../testdata/shapes/list-items"}
	stdout, stderr, code := runCLI(t, nil, "--check", "-c", c.file("config.yaml"), c.file("input.yaml"))
	require.Equal(t, exitError, code, "stderr: %s", stderr)
	require.Empty(t, stdout)
	for _, want := range []string{
		"podgraft: error: Deployment shop/web: graft edge is missing (../../testdata/shapes/list-items/input.yaml, document 1)",
		"podgraft: error: CronJob shop/report: graft edge is missing (../../testdata/shapes/list-items/input.yaml, document 1)",
		"podgraft: error: Service shop/web: spec.ports[0].targetPort: is not re-pointed",
	} {
		require.Contains(t, stderr, want)
	}

	stdout, stderr, code = runCLI(t, nil, "--diff", "-c", c.file("config.yaml"), c.file("input.yaml"))
	require.Equal(t, exitDiffChanged, code, "stderr: %s", stderr)
	require.Contains(t, stdout, "+++ b/List\t../../testdata/shapes/list-items/input.yaml, document 1")
	require.Contains(t, stdout, "+                - name: nginx", "the nested CronJob's sidecar")
	require.Contains(t, stdout, "-      targetPort: http\n+      targetPort: proxy")
}
