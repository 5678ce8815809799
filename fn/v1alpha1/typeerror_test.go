package v1alpha1_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
)

const header = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\n"

func decode(t *testing.T, doc string) (*v1alpha1.PodGraft, error) {
	t.Helper()
	return v1alpha1.Decode(yaml.MustParse(doc).YNode(), "graft.yaml, document 1")
}

// TestTypeErrors: a value of the wrong type is named by its full path, with
// list indices and mapping keys, in the words of YAML rather than Go's.
func TestTypeErrors(t *testing.T) {
	for name, tc := range map[string]struct{ spec, want string }{
		"bool in the second sidecar": {`
  sidecars:
  - {name: a, image: x, native: true}
  - {name: b, image: x, native: "yes"}`, `spec.sidecars[1].native: expected a boolean, got the string "yes"`},
		"port number in an inlined Container field": {`
  sidecars:
  - {name: a, image: x}
  - {name: b, image: x, ports: [{containerPort: 80}, {containerPort: http}]}`, `spec.sidecars[1].ports[1].containerPort: expected an integer, got the string "http"`},
		"port number out of range for int32": {`
  sidecars:
  - {name: a, image: x, ports: [{containerPort: 99999999999}]}`, `spec.sidecars[0].ports[0].containerPort: expected an integer from -2147483648 to 2147483647, got the number 99999999999`},
		"fraction for an integer": {`
  probes:
  - {readiness: {tcpSocket: {port: 80}, periodSeconds: 1.5}}`, `spec.probes[0].readiness.periodSeconds: expected an integer, got the number 1.5`},
		"mount readOnly": {`
  volumes:
  - {name: a, emptyDir: {}, mounts: [{containers: [web], mountPath: /a}]}
  - {name: b, emptyDir: {}, mounts: [{containers: [web], mountPath: /b}, {containers: [web], mountPath: /c, readOnly: sure}]}`,
			`spec.volumes[1].mounts[1].readOnly: expected a boolean, got the string "sure"`},
		"probe containers is a string": {`
  probes:
  - {containers: [web], readiness: {tcpSocket: {port: 80}}}
  - {containers: web, readiness: {tcpSocket: {port: 80}}}`, `spec.probes[1].containers: expected a list, got the string "web"`},
		"list item of the wrong type": {`
  probes:
  - {containers: [web, [api]], readiness: {tcpSocket: {port: 80}}}`, `spec.probes[0].containers[1]: expected a string, got a list`},
		"mapping for a list": {`
  sidecars: {name: a}`, `spec.sidecars: expected a list, got a mapping`},
		"list for a mapping": {`
  targets: [web]`, `spec.targets: expected a mapping, got a list`},
		"map value by its key": {`
  volumes:
  - {name: conf, files: {a.conf: x, b.conf: [1]}}`, `spec.volumes[0].files[b.conf]: expected a string, got a list`},
		"int-or-string port": {`
  probes:
  - {readiness: {httpGet: {path: /, port: [80]}}}`, `spec.probes[0].readiness.httpGet.port: expected an integer or a string, got a list`},
		"int-or-string fronts": {`
  sidecars:
  - {name: a, image: x, ports: [{name: p, containerPort: 80}], fronts: {port: true, via: p}}`, `spec.sidecars[0].fronts.port: expected an integer or a string, got the boolean true`},
		"quantity": {`
  sidecars:
  - {name: a, image: x}
  - {name: b, image: x, resources: {limits: {cpu: 1, memory: lots}}}`, `spec.sidecars[1].resources.limits[memory]: expected a quantity such as 500m, 64Mi or 2, got the string "lots"`},
		"secret is a number": {`
  volumes:
  - {name: conf, files: {a: x}, secret: 5}`, `spec.volumes[0].secret: expected true, false or a secret volume source (secretName, items, ...), got the number 5`},
		"inside a secret volume source": {`
  volumes:
  - {name: tls, secret: {secretName: tls, items: [{key: a, path: a}, {key: b, path: b, mode: "0644"}]}}`, `spec.volumes[0].secret.items[1].mode: expected an integer, got the string "0644"`},
		"helmHooks": {`
  exclude: {helmHooks: "no"}`, `spec.exclude.helmHooks: expected a boolean, got the string "no"`},
		"long strings are shortened": {`
  sidecars:
  - {name: a, image: x, native: "this is a very long string that goes on and on"}`, `spec.sidecars[0].native: expected a boolean, got the string "this is a very long string that goes ..."`},
		// The decoder stops at the first mismatch in the JSON that
		// sigs.k8s.io/yaml makes (keys sorted); that one is named.
		"one mismatch at a time": {`
  sidecars:
  - {name: a, image: x, stdin: 1, native: 2}`, `spec.sidecars[0].native: expected a boolean, got the number 2`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decode(t, header+"spec:"+tc.spec+"\n")
			require.Error(t, err)
			require.Equal(t, "PodGraft edge (graft.yaml, document 1): "+tc.want, err.Error())
		})
	}
}

func TestTypeErrorOfTheSpec(t *testing.T) {
	_, err := decode(t, header+"spec: [a]\n")
	require.EqualError(t, err, "PodGraft edge (graft.yaml, document 1): spec: expected a mapping, got a list")
}
