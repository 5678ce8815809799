package schemagen_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/schemagen"
	"github.com/podgraft/podgraft/schema"
)

var update = flag.Bool("update", false, "rewrite schema/podgraft.schema.json from the Go types")

const checkedIn = "../../schema/podgraft.schema.json"

// TestCheckedInSchemaIsCurrent fails when fn/types.go changed and
// schema/podgraft.schema.json was not regenerated (make schema).
func TestCheckedInSchemaIsCurrent(t *testing.T) {
	got, err := schemagen.Generate()
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(checkedIn, got, 0o644))
	}
	want, err := os.ReadFile(checkedIn)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "schema/podgraft.schema.json is stale: run `make schema` and commit it")
	if !*update { // this test binary embedded the file as it was before -update
		// The binary prints the embedded copy; it is the checked-in file.
		require.Equal(t, string(want), string(schema.JSON), "the embedded schema differs from the file")
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := schemagen.Generate()
	require.NoError(t, err)
	b, err := schemagen.Generate()
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))
}

// TestEveryFieldIsDescribed walks the config types and requires a
// description for each field podgraft itself declares.
func TestEveryFieldIsDescribed(t *testing.T) {
	doc := map[string]any{}
	require.NoError(t, json.Unmarshal(schema.JSON, &doc))
	defs := doc["$defs"].(map[string]any)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || rt.PkgPath() != reflect.TypeOf(v1alpha1.PodGraft{}).PkgPath() || seen[rt] {
			return
		}
		if _, custom := reflect.New(rt).Interface().(json.Unmarshaler); custom {
			return // its own JSON form, mapped by schemagen (v1alpha1.SecretOption)
		}
		seen[rt] = true
		def := doc
		if rt.Name() != "PodGraft" {
			d, ok := defs[rt.Name()].(map[string]any)
			require.True(t, ok, "no definition for %s", rt.Name())
			def = d
		}
		require.NotEmpty(t, def["description"], "describe type %s in internal/schemagen/descriptions.go", rt.Name())
		props := def["properties"].(map[string]any)
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Anonymous {
				continue // inlined Kubernetes type, described by its own docs
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue // the user's YAML, kept next to the typed fields
			}
			p, ok := props[name].(map[string]any)
			require.True(t, ok, "%s.%s is missing from the schema", rt.Name(), name)
			require.NotEmpty(t, p["description"], "describe %s.%s in internal/schemagen/descriptions.go", rt.Name(), name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(v1alpha1.PodGraft{}))
	require.Greater(t, len(seen), 5)
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(schemagen.ID, doc))
	s, err := c.Compile(schemagen.ID)
	require.NoError(t, err)
	return s
}

// documents splits a YAML file into JSON instances.
func documents(t *testing.T, path string) []any {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []any
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		out = append(out, instance(t, doc))
	}
	return out
}

func instance(t *testing.T, yamlDoc []byte) any {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON(yamlDoc)
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return v
}

// TestSchemaAcceptsTheGoldenConfigs validates every config of a golden
// case that succeeds, and every PodGraft under examples/.
func TestSchemaAcceptsTheGoldenConfigs(t *testing.T) {
	s := compile(t)
	configs, err := filepath.Glob("../../testdata/*/*/config.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, configs)
	examples, err := filepath.Glob("../../examples/*/*.yaml")
	require.NoError(t, err)
	checked := 0
	for _, path := range append(configs, examples...) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "errors.txt")); err == nil {
			continue
		}
		for i, doc := range documents(t, path) {
			if m, ok := doc.(map[string]any); !ok || m["kind"] != v1alpha1.Kind {
				continue
			}
			checked++
			require.NoError(t, s.Validate(doc), "%s, document %d", path, i+1)
		}
	}
	require.Greater(t, checked, 20)
}

// TestSchemaRejectsBadConfigs: the golden error cases whose mistake the
// schema can see (types, unknown fields, enums, patterns, required) must
// fail validation too, so that editors flag them before podgraft runs.
func TestSchemaRejectsBadConfigs(t *testing.T) {
	s := compile(t)
	for _, name := range []string{
		"bad-container-name", "bad-placement", "bad-readiness-policy", "config-wrong-kind",
		"image-and-imagefrom", "missing-image", "missing-init-image",
		"missing-name", "type-mismatch", "unknown-field", "unknown-top-field", "wrong-api-version",
	} {
		t.Run(name, func(t *testing.T) {
			docs := documents(t, filepath.Join("..", "..", "testdata", "errors", name, "config.yaml"))
			require.NotEmpty(t, docs)
			var errs []error
			for _, d := range docs {
				if err := s.Validate(d); err != nil {
					errs = append(errs, err)
				}
			}
			require.NotEmpty(t, errs, "the schema accepts a config podgraft rejects")
		})
	}
}

func TestSchemaKubernetesTypes(t *testing.T) {
	s := compile(t)
	const head = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: g}\nspec:\n"
	for name, tc := range map[string]struct {
		spec string
		ok   bool
	}{
		"quantity as string and number": {ok: true, spec: `
  sidecars:
  - name: proxy
    image: nginx
    resources: {limits: {cpu: 1, memory: 64Mi}, requests: {cpu: 500m}}`},
		"bad quantity": {spec: `
  sidecars:
  - name: proxy
    image: nginx
    resources: {limits: {memory: lots}}`},
		"int-or-string ports": {ok: true, spec: `
  probes:
  - readiness: {httpGet: {path: /healthz, port: http}}
    liveness: {tcpSocket: {port: 8080}}`},
		"port must be int or string": {spec: `
  probes:
  - readiness: {httpGet: {path: /healthz, port: [80]}}`},
		"unknown probe field": {spec: `
  probes:
  - readiness: {httpGet: {path: /healthz, port: 80}, periodSecond: 5}`},
		"inline probe handler required port": {spec: `
  probes:
  - readiness: {tcpSocket: {}}`},
		"volume sources and helpers": {ok: true, spec: `
  volumes:
  - name: cache
    hostPath: {path: /var/cache/shop, type: DirectoryOrCreate}
    isolate: namespace
    mounts: [{containers: [web], mountPath: /cache}]
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {a: b}}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
    mounts: [{containers: ["*"], mountPath: /scratch, readOnly: true}]`},
		"bad isolate": {spec: `
  volumes:
  - name: cache
    hostPath: {path: /var/cache/shop}
    isolate: tenant`},
		"mount needs mountPath": {spec: `
  volumes:
  - name: cache
    emptyDir: {}
    mounts: [{containers: [web]}]`},
		"placements": {ok: true, spec: `
  sidecars:
  - {name: a, image: x, placement: first}
  - {name: b, image: x, placement: "before:web"}
  initContainers:
  - {name: c, imageFrom: "*", placement: "after:a"}`},
		"bad security profile": {spec: `
  securityProfile: baseline`},
		"Kubernetes enums, and their defaults left out": {ok: true, spec: `
  sidecars:
  - name: proxy
    image: nginx
    imagePullPolicy: IfNotPresent
    ports: [{containerPort: 53, protocol: UDP}, {containerPort: 80, protocol: ""}]
    readinessProbe: {httpGet: {path: /, port: 80, scheme: HTTPS}}
    resources: {limits: {cpu: 1, example.com/gpu: 1, hugepages-2Mi: 2Mi}}
  volumes:
  - {name: data, hostPath: {path: /var/data, type: ""}}`},
		"imagePullPolicy Sometimes": {spec: `
  sidecars: [{name: proxy, image: nginx, imagePullPolicy: Sometimes}]`},
		"protocol in lower case": {spec: `
  sidecars: [{name: proxy, image: nginx, ports: [{containerPort: 80, protocol: tcp}]}]`},
		"scheme of a grafted probe": {spec: `
  probes: [{readiness: {httpGet: {path: /, port: 80, scheme: https}}}]`},
		"hostPath type": {spec: `
  volumes: [{name: data, hostPath: {path: /var/data, type: Dir}}]`},
		"seccomp profile type": {spec: `
  initContainers: [{name: a, image: x, securityContext: {seccompProfile: {type: Default}}}]`},
		"container resource name": {spec: `
  sidecars: [{name: proxy, image: nginx, resources: {requests: {gpu: 1}}}]`},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Validate(instance(t, []byte(head+strings.TrimPrefix(tc.spec, "\n"))))
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
