package webhook

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// spec.env and spec.pod need nothing of the webhook's own: a created Pod
// gets the variables, its labels, annotations and pull secrets from the
// same engine, in the JSON patch.
func TestReviewGraftsEnvAndPodFields(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "envpod.yaml")
	resp, _, result := admitted(t, rv, deploymentPod, reviewCase{})
	require.True(t, resp.Allowed)
	var pod struct {
		Metadata struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			ImagePullSecrets []map[string]string `json:"imagePullSecrets"`
			Containers       []struct {
				Env []map[string]any `json:"env"`
			} `json:"containers"`
		} `json:"spec"`
	}
	require.NoError(t, json.Unmarshal([]byte(result), &pod))
	require.Equal(t, "false", pod.Metadata.Labels["sidecar.istio.io/inject"])
	require.Equal(t, "web", pod.Metadata.Labels["app"], "the Pod's own labels stay")
	require.Equal(t, "true", pod.Metadata.Annotations["prometheus.io/scrape"])
	require.Contains(t, pod.Metadata.Annotations, "podgraft.dev/grafts")
	require.Equal(t, []map[string]string{{"name": "regcred"}}, pod.Spec.ImagePullSecrets)
	require.Len(t, pod.Spec.Containers, 1)
	env := pod.Spec.Containers[0].Env
	require.Len(t, env, 2)
	require.Equal(t, "OTEL_EXPORTER_OTLP_ENDPOINT", env[0]["name"])
	require.Equal(t, map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.name"}}, env[1]["valueFrom"])
}
