package transformers

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A value kept as text reads back as the same text: null spellings,
// empty collections, flow style, numbers as written and inner comments.
func TestStoredTextRoundTrips(t *testing.T) {
	for _, text := range []string{
		"", "~", "null", "Null", "[]", "{}",
		"{httpGet: {path: /ready, port: 0x0BB8}}",
		"httpGet:\n  path: \"/ready\" # not /healthz\n  port: 0x10\n# period\nperiodSeconds: 5",
	} {
		n, ok := fromStoredText(text)
		require.True(t, ok, text)
		got, ok := storedText(n)
		require.True(t, ok, text)
		require.Equal(t, text, got)
		back, ok := loadNode(storeNode(n))
		require.True(t, ok, text)
		got, _ = storedText(back)
		require.Equal(t, text, got, "through the record")
	}
}

// The comments around a replaced value stay in the document, so the
// stored text leaves them out; an anchored value is kept as JSON, as
// records before text did.
func TestStoredTextLeavesOutOuterComments(t *testing.T) {
	doc := yaml.MustParse("probe: # line\n  # head\n  a: 1 # inner\n  b: 2 # last\nx: &a {y: 1}\n").YNode()
	text, ok := storedText(doc.Content[1])
	require.True(t, ok)
	require.Equal(t, "a: 1 # inner\nb: 2", text)
	_, ok = storedText(doc.Content[3])
	require.False(t, ok, "an anchor does not read back on its own")
	require.JSONEq(t, `{"y":1}`, string(storeNode(doc.Content[3])))
}

// Records written before probes were kept as text hold JSON: they load,
// in block style, and count as saying the same as the text.
func TestStoredJSONOfOlderRecordsLoads(t *testing.T) {
	old := json.RawMessage(`{"httpGet":{"path":"/ready","port":3000},"periodSeconds":5}`)
	n, ok := loadNode(old)
	require.True(t, ok)
	text, _ := storedText(n)
	require.Equal(t, "httpGet:\n  path: /ready\n  port: 3000\nperiodSeconds: 5", text)
	asText := Record{"g": {Hash: "h", Probes: []string{"web:readiness"}, Replaced: map[string]json.RawMessage{"web:readiness": storeNode(n)}}}
	asJSON := Record{"g": {Hash: "h", Probes: []string{"web:readiness"}, Replaced: map[string]json.RawMessage{"web:readiness": old}}}
	require.NotEqual(t, string(asText["g"].Replaced["web:readiness"]), string(old))
	require.Equal(t, canonicalRecord(asJSON), canonicalRecord(asText))
}
