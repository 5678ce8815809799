package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTheGraftLosesOnlyFronts(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, writeConfig("../../examples/web-with-proxy", dir))
	b, err := readFile(dir + "/graft.yaml")
	require.NoError(t, err)
	require.NotContains(t, b, "fronts")
	for _, kept := range []string{"name: nginx", "name: build-assets", "fromFiles:", "claim:", "isolate: namespace"} {
		require.Contains(t, b, kept)
	}
	conf, err := readFile(dir + "/conf/nginx.conf")
	require.NoError(t, err)
	require.Contains(t, conf, "proxy_pass")
}

func TestReviews(t *testing.T) {
	pod, err := typicalPod()
	require.NoError(t, err)
	same, distinct := reviews(pod, false), reviews(pod, true)
	require.Equal(t, same(1), same(2))
	require.NotEqual(t, distinct(1), distinct(2))
	for _, b := range [][]byte{same(0), distinct(7)} {
		var r struct {
			Request struct {
				Object struct {
					Metadata struct {
						Labels map[string]string `json:"labels"`
					} `json:"metadata"`
				} `json:"object"`
			} `json:"request"`
		}
		require.NoError(t, json.Unmarshal(b, &r), string(b))
		require.Equal(t, "web", r.Request.Object.Metadata.Labels["app.kubernetes.io/part-of"], "targeted by web-with-proxy")
	}
	require.True(t, strings.Contains(string(distinct(7)), `"kubectl.kubernetes.io/restartedAt":"7"`))
	require.Equal(t, 5.0, percentile([]float64{1, 2, 3, 4, 5}, 0.99))
	require.Equal(t, 3.0, percentile([]float64{1, 2, 3, 4, 5}, 0.5))
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
