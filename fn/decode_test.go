package fn_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/transformers"
)

func decode(t *testing.T, doc string) (*fn.Config, error) {
	t.Helper()
	return fn.DecodeConfig(yaml.MustParse(doc).YNode(), "graft.yaml, document 1", ".")
}

func TestDecodeDefaults(t *testing.T) {
	cfg, err := decode(t, `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  sidecars: [{name: nginx, image: nginx}]
  initContainers: [{name: migrate, imageFrom: web}]
  volumes: [{name: cache, emptyDir: {}}]
`)
	require.NoError(t, err)
	require.True(t, cfg.Spec.Sidecars[0].IsNative(), "sidecars are native by default")
	require.Equal(t, v1alpha1.PlaceLast, cfg.Spec.Sidecars[0].Placement)
	require.Equal(t, v1alpha1.PlaceLast, cfg.Spec.InitContainers[0].Placement)
	require.Equal(t, v1alpha1.ReadinessWarning, cfg.Spec.RequireReadinessProbe)
	require.Equal(t, v1alpha1.ProfileNone, cfg.Spec.SecurityProfile)
	require.Equal(t, v1alpha1.IsolateNone, cfg.Spec.Volumes[0].Isolate)
	require.Len(t, cfg.Hash, 10)
}

func TestDecodeHashFollowsTheSpec(t *testing.T) {
	a, err := decode(t, "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\nspec: {sidecars: [{name: nginx, image: 'nginx:1'}]}")
	require.NoError(t, err)
	sameSpecOtherLayout, err := decode(t, "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata:\n  name: edge\n  labels: {team: shop}\nspec:\n  sidecars:\n  - image: 'nginx:1'\n    name: nginx\n")
	require.NoError(t, err)
	changed, err := decode(t, "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\nspec: {sidecars: [{name: nginx, image: 'nginx:2'}]}")
	require.NoError(t, err)
	require.Equal(t, a.Hash, sameSpecOtherLayout.Hash, "the hash covers the spec, not its formatting or metadata")
	require.NotEqual(t, a.Hash, changed.Hash)
}

func TestDecodeErrors(t *testing.T) {
	const hdr = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\n"
	tests := map[string]struct{ doc, want string }{
		"unknown field with its path": {hdr + "spec: {sidecars: [{name: a, imagee: x}]}", "PodGraft edge (graft.yaml, document 1): spec.sidecars[0].imagee: unknown field"},
		"two unknown fields":          {hdr + "spec: {foo: 1, bar: 2}", "spec.foo: unknown field"},
		"wrong case is unknown":       {hdr + "spec: {Sidecars: []}", "spec.Sidecars: unknown field"},
		"type mismatch":               {hdr + "spec: {sidecars: {name: a}}", "spec.sidecars: expected a list, got a mapping"},
		"not a mapping":               {"- a\n- b\n", "a PodGraft must be a mapping, not a list"},
		"image required":              {hdr + "spec: {sidecars: [{name: a}]}", "spec.sidecars[0].image: Required value: must not be empty"},
		"name must be a DNS label":    {hdr + "spec: {sidecars: [{name: A_B, image: x}]}", `spec.sidecars[0].name: Invalid value: "A_B"`},
		"graft name must be a label":  {"apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: Edge.Proxy}\n", `metadata.name: Invalid value: "Edge.Proxy"`},
		"bad placement":               {hdr + "spec: {sidecars: [{name: a, image: x, placement: 'after:'}]}", `spec.sidecars[0].placement: Invalid value: "after:": must name a container`},
		"bad kind selector":           {hdr + "spec: {targets: {kinds: [a/b/C]}}", `spec.targets.kinds[0]: Invalid value: "a/b/C": must be Kind or group/Kind`},
		"bad glob":                    {hdr + "spec: {exclude: {names: ['[']}}", `spec.exclude.names[0]: Invalid value: "[": is not a valid glob`},
		"podTemplates path":           {hdr + "spec: {podTemplates: [{kind: Rollout, path: spec//template}]}", `spec.podTemplates[0].path: Invalid value: "spec//template"`},
		"security profile":            {hdr + "spec: {securityProfile: strict}", `spec.securityProfile: Unsupported value: "strict"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decode(t, tc.doc)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Every error of a config is one line of its own, with its field path, in
// standalone mode, and one error result about the PodGraft and the field
// in KRM mode; not field.ErrorList's one bracketed line.
func TestConfigErrorsOneEach(t *testing.T) {
	const hdr = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\n"
	tests := map[string]struct {
		spec   string
		fields []string
	}{
		"validation":     {"spec: {targets: {kinds: [a/b/C, '']}, sidecars: [{name: a}]}", []string{"spec.targets.kinds[0]", "spec.targets.kinds[1]", "spec.sidecars[0].image"}},
		"unknown fields": {"spec: {foo: 1, bar: 2}", []string{"spec.bar", "spec.foo"}},
		"files":          {"spec: {volumes: [{name: v, fromFiles: [a.conf, b.conf], mounts: [{containers: [x], mountPath: /v}]}]}", []string{"spec.volumes[0].fromFiles[0]", "spec.volumes[0].fromFiles[1]"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := fn.DecodeConfig(yaml.MustParse(hdr+tc.spec).YNode(), "graft.yaml, document 1", t.TempDir())
			require.Error(t, err)
			lines := fn.ErrorLines(err)
			require.Len(t, lines, len(tc.fields), "%q", lines)
			for _, line := range lines {
				require.NotContains(t, line, "\n")
				require.Regexp(t, `^PodGraft edge \(graft.yaml, document 1\): spec\.\S+: \S`, line)
			}

			rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  " +
				strings.ReplaceAll(strings.TrimSuffix(hdr+tc.spec, "\n"), "\n", "\n  ") + "\n"
			var out bytes.Buffer
			results, err := fn.RunResourceList(fn.Options{BaseDir: t.TempDir()}, strings.NewReader(rl), &out)
			require.NoError(t, err)
			var fields []string
			for _, r := range results {
				if r.Severity != framework.Error {
					continue
				}
				require.Equal(t, "PodGraft edge", transformers.DescribeRef(r.ResourceRef))
				require.NotNil(t, r.Field, r.Message)
				require.True(t, strings.HasPrefix(r.Message, r.Field.Path+": "), r.Message)
				fields = append(fields, r.Field.Path)
			}
			require.ElementsMatch(t, tc.fields, fields)
		})
	}
}
