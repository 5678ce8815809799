package transformers_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// probeTestPod is a Deployment whose pod spec is the given YAML (indented for
// the template's spec).
func probeTestPod(t *testing.T, spec string) *yaml.RNode {
	t.Helper()
	r, err := yaml.Parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n" + spec)
	require.NoError(t, err)
	return r
}

func probeNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	return yaml.MustParse(s).YNode()
}

func probeTestSpec(t *testing.T, r *yaml.RNode) *yaml.RNode {
	t.Helper()
	spec, err := r.Pipe(yaml.Lookup("spec", "template", "spec"))
	require.NoError(t, err)
	return spec
}

// probeOf returns the named probe of a container as a compact string, or "".
func probeOf(t *testing.T, r *yaml.RNode, list, container, field string) string {
	t.Helper()
	c, err := probeTestSpec(t, r).Pipe(yaml.Lookup(list), yaml.MatchElement("name", container))
	require.NoError(t, err)
	require.NotNil(t, c, "no container %s in %s", container, list)
	p := c.Field(field)
	if p == nil {
		return ""
	}
	b, err := p.Value.MarshalJSON()
	require.NoError(t, err)
	return string(b)
}

func probeTestEntry(t *testing.T, r *yaml.RNode, graft string) *transformers.Entry {
	t.Helper()
	tmpls, err := transformers.Locator{}.Templates(r)
	require.NoError(t, err)
	rec, err := transformers.LoadRecord(tmpls[0])
	require.NoError(t, err)
	return rec[graft]
}

func probeTestErrors(t *testing.T, err error) []string {
	t.Helper()
	var rs framework.Results
	require.True(t, errors.As(err, &rs), "want results, got %v", err)
	var out []string
	for _, r := range rs {
		out = append(out, r.Field.Path+": "+r.Message)
	}
	return out
}

const probeTestSpecYAML = `      initContainers:
      - name: migrate
        image: m
      - name: proxy
        image: p
        restartPolicy: Always
        ports: [{name: proxy, containerPort: 8080}]
      containers:
      - name: web
        image: w
        ports: [{name: http, containerPort: 3000}]
      - name: api
        image: a
        ports: [{name: grpc, containerPort: 9000}]
        readinessProbe: {exec: {command: [ready]}}
      - name: worker
        image: k
`

func TestProbes(t *testing.T) {
	httpReady := `{"httpGet":{"path":"/healthz","port":"http"}}`
	cases := map[string]struct {
		spec  string
		items []transformers.ProbeSet
		// want maps "list/container/field" to the probe JSON ("" = none).
		want        map[string]string
		wantProbes  []string
		wantReplace map[string]string
		wantErrs    []string
		wantWarn    string
	}{
		"default selects app containers with ports, fills only missing": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: 3000}}`),
			}}},
			want: map[string]string{
				"containers/web/readinessProbe":       `{"tcpSocket":{"port":3000}}`,
				"containers/api/readinessProbe":       `{"exec":{"command":["ready"]}}`,
				"containers/worker/readinessProbe":    "",
				"initContainers/proxy/readinessProbe": "",
			},
			wantProbes: []string{"web:readiness"},
		},
		"override replaces and records the user's probe": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"api"}, Override: true, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{grpc: {port: 9000}}`),
			}}},
			want:        map[string]string{"containers/api/readinessProbe": `{"grpc":{"port":9000}}`},
			wantProbes:  []string{"api:readiness"},
			wantReplace: map[string]string{"api:readiness": `{"exec":{"command":["ready"]}}`},
		},
		"every kind, in Kubernetes order": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"web"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Startup:   probeNode(t, `{httpGet: {path: /healthz, port: http}, failureThreshold: 30}`),
				transformers.Readiness: probeNode(t, `{httpGet: {path: /healthz, port: http}}`),
				transformers.Liveness:  probeNode(t, `{tcpSocket: {port: http}}`),
			}}},
			want: map[string]string{
				"containers/web/readinessProbe": httpReady,
				"containers/web/livenessProbe":  `{"tcpSocket":{"port":"http"}}`,
				"containers/web/startupProbe":   `{"failureThreshold":30,"httpGet":{"path":"/healthz","port":"http"}}`,
			},
			wantProbes: []string{"web:liveness", "web:readiness", "web:startup"},
		},
		"globs match app containers and native sidecars, pass over plain init containers": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"*"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Liveness: probeNode(t, `{exec: {command: [alive]}}`),
			}}},
			want: map[string]string{
				"initContainers/migrate/livenessProbe": "",
				"initContainers/proxy/livenessProbe":   `{"exec":{"command":["alive"]}}`,
				"containers/worker/livenessProbe":      `{"exec":{"command":["alive"]}}`,
			},
			wantProbes: []string{"proxy:liveness", "web:liveness", "api:liveness", "worker:liveness"},
		},
		"native sidecar by name": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"proxy"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: proxy}}`),
			}}},
			want:       map[string]string{"initContainers/proxy/readinessProbe": `{"tcpSocket":{"port":"proxy"}}`},
			wantProbes: []string{"proxy:readiness"},
		},
		"a later entry of the same graft overrides an earlier one": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{
				{Source: "spec.probes[0]", Probes: map[transformers.ProbeKind]*yaml.Node{transformers.Readiness: probeNode(t, `{tcpSocket: {port: 3000}}`)}},
				{Source: "spec.probes[1]", Containers: []string{"web"}, Probes: map[transformers.ProbeKind]*yaml.Node{transformers.Readiness: probeNode(t, `{tcpSocket: {port: 3001}}`)}},
				{Source: "spec.probes[2]", Containers: []string{"web"}, Override: true, Probes: map[transformers.ProbeKind]*yaml.Node{transformers.Readiness: probeNode(t, `{tcpSocket: {port: 3002}}`)}},
			},
			want:       map[string]string{"containers/web/readinessProbe": `{"tcpSocket":{"port":3002}}`},
			wantProbes: []string{"web:readiness"},
		},
		"an explicit null is filled and remembered": {
			spec: "      containers:\n      - {name: web, image: w, ports: [{containerPort: 80}], readinessProbe: null}\n",
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: 80}}`),
			}}},
			want:        map[string]string{"containers/web/readinessProbe": `{"tcpSocket":{"port":80}}`},
			wantProbes:  []string{"web:readiness"},
			wantReplace: map[string]string{"web:readiness": `null`},
		},
		"no container matches: a warning": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"db-*"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: 80}}`),
			}}},
			wantWarn: "spec.probes[0] matches no container of this pod (containers: db-*)",
		},
		"unknown named port": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"web"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{httpGet: {path: /, port: metrics}}`),
				transformers.Liveness:  probeNode(t, `{tcpSocket: {port: admin}}`),
			}}},
			wantErrs: []string{
				`spec.template.spec.containers[0].livenessProbe.tcpSocket.port: health: container "web" has no port named "admin" (used by spec.probes[0].liveness.tcpSocket.port)`,
				`spec.template.spec.containers[0].readinessProbe.httpGet.port: health: container "web" has no port named "metrics" (used by spec.probes[0].readiness.httpGet.port)`,
			},
		},
		"plain init container by name": {
			spec: probeTestSpecYAML,
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"migrate"}, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: 80}}`),
			}}},
			wantErrs: []string{`spec.template.spec.initContainers[0]: health: spec.probes[0] selects init container "migrate", which runs to completion: Kubernetes rejects probes on it (only native sidecars, with restartPolicy: Always, take probes)`},
		},
		"a probe another graft set cannot be overridden": {
			spec: "      containers:\n      - {name: web, image: w, readinessProbe: {tcpSocket: {port: 80}}}\n",
			items: []transformers.ProbeSet{{Source: "spec.probes[0]", Containers: []string{"web"}, Override: true, Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: probeNode(t, `{tcpSocket: {port: 81}}`),
			}}},
			wantErrs: []string{`spec.template.spec.containers[0].readinessProbe: health: spec.probes[0].readiness has override: true, but the readiness probe of container "web" was set by other; two grafts cannot own one probe`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := probeTestPod(t, tc.spec)
			if name == "a probe another graft set cannot be overridden" {
				require.NoError(t, r.PipeE(yaml.Lookup("spec", "template"), yaml.SetAnnotation(transformers.RecordAnnotation, `{"other":{"hash":"x","probes":["web:readiness"]}}`)))
			}
			before := r.MustString()
			results := &transformers.Results{}
			_, err := transformers.Probes{Graft: "health", Items: tc.items, Results: results}.Filter([]*yaml.RNode{r})
			if tc.wantErrs != nil {
				require.Error(t, err)
				require.ElementsMatch(t, tc.wantErrs, probeTestErrors(t, err))
				require.Equal(t, before, r.MustString(), "an error must leave the template as it was")
				return
			}
			require.NoError(t, err)
			if tc.wantWarn != "" {
				require.Len(t, results.Items, 1)
				require.Equal(t, framework.Warning, results.Items[0].Severity)
				require.Contains(t, results.Items[0].Message, tc.wantWarn)
			} else {
				require.Empty(t, results.Items)
			}
			for key, want := range tc.want {
				parts := strings.SplitN(key, "/", 3)
				require.Equal(t, want, probeOf(t, r, parts[0], parts[1], parts[2]), key)
			}
			e := probeTestEntry(t, r, "health")
			if tc.wantProbes == nil {
				if e != nil {
					require.Empty(t, e.Probes)
				}
				return
			}
			require.NotNil(t, e)
			require.Equal(t, tc.wantProbes, e.Probes)
			got := map[string]string{}
			for k, v := range e.Replaced {
				got[k] = string(v)
			}
			if tc.wantReplace == nil {
				tc.wantReplace = map[string]string{}
			}
			require.Equal(t, tc.wantReplace, got)
		})
	}
}

// Removal restores the probe an override replaced, in its place, with
// its values and types.
func TestProbesRemovalRestoresReplaced(t *testing.T) {
	r := probeTestPod(t, `      containers:
      - name: web
        image: w
        ports: [{name: http, containerPort: 3000}]
        readinessProbe:
          httpGet:
            path: /ready
            port: 3000
          periodSeconds: 5
        resources: {}
`)
	before := r.MustString()
	probes := transformers.Probes{Graft: "health", Items: []transformers.ProbeSet{{
		Source: "spec.probes[0]", Override: true,
		Probes: map[transformers.ProbeKind]*yaml.Node{transformers.Readiness: probeNode(t, "{httpGet: {path: /healthz, port: http}}")},
	}}}
	_, err := probes.Filter([]*yaml.RNode{r})
	require.NoError(t, err)
	_, err = transformers.Stamp{Graft: "health", Hash: "h1"}.Filter([]*yaml.RNode{r})
	require.NoError(t, err)
	require.Equal(t, `{"httpGet":{"path":"/healthz","port":"http"}}`, probeOf(t, r, "containers", "web", "readinessProbe"))
	var replaced map[string]any
	require.NoError(t, json.Unmarshal(probeTestEntry(t, r, "health").Replaced["web:readiness"], &replaced))
	require.Equal(t, map[string]any{"httpGet": map[string]any{"path": "/ready", "port": float64(3000)}, "periodSeconds": float64(5)}, replaced)

	_, err = transformers.Reconcile{Graft: "health", Remove: true}.Filter([]*yaml.RNode{r})
	require.NoError(t, err)
	require.Equal(t, before, r.MustString())
}

func TestRequireReadiness(t *testing.T) {
	spec := `      containers:
      - name: web
        image: w
        ports: [{containerPort: 80}]
      - name: api
        image: a
        ports: [{containerPort: 81}]
        readinessProbe: {tcpSocket: {port: 81}}
      - name: worker
        image: k
      - name: nginx
        image: n
        ports: [{containerPort: 8080}]
`
	grafted := `{"edge":{"hash":"x","containers":["nginx"]}}`
	all := transformers.Select{}
	none := transformers.Select{Targets: transformers.Match{Names: []string{"other"}}}
	cases := map[string]struct {
		rules    []transformers.ReadinessRule
		wantWarn []string
		wantErr  []string
	}{
		"warning": {
			rules:    []transformers.ReadinessRule{{Graft: "edge", Select: all, Severity: framework.Warning}},
			wantWarn: []string{`spec.template.spec.containers[0].readinessProbe: container "web" declares ports but has no readinessProbe, so it receives traffic before it is ready; add one under spec.probes (requireReadinessProbe: warning in edge)`},
		},
		"error": {
			rules:   []transformers.ReadinessRule{{Graft: "edge", Select: all, Severity: framework.Error}},
			wantErr: []string{`spec.template.spec.containers[0].readinessProbe: container "web" declares ports but has no readinessProbe, so it receives traffic before it is ready; add one under spec.probes (requireReadinessProbe: error in edge)`},
		},
		"the strictest graft that targets the workload wins, reported once": {
			rules: []transformers.ReadinessRule{
				{Graft: "edge", Select: all, Severity: framework.Warning},
				{Graft: "strict", Select: all, Severity: framework.Error},
				{Graft: "elsewhere", Select: none, Severity: framework.Error},
			},
			wantErr: []string{`spec.template.spec.containers[0].readinessProbe: container "web" declares ports but has no readinessProbe, so it receives traffic before it is ready; add one under spec.probes (requireReadinessProbe: error in edge, strict)`},
		},
		"not targeted: nothing": {
			rules: []transformers.ReadinessRule{{Graft: "elsewhere", Select: none, Severity: framework.Error}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := probeTestPod(t, spec)
			require.NoError(t, r.PipeE(yaml.Lookup("spec", "template"), yaml.SetAnnotation(transformers.RecordAnnotation, grafted)))
			before := r.MustString()
			results := &transformers.Results{}
			_, err := transformers.RequireReadiness{Rules: tc.rules, Results: results}.Filter([]*yaml.RNode{r})
			require.Equal(t, before, r.MustString(), "the check changes nothing")
			if tc.wantErr != nil {
				require.Equal(t, tc.wantErr, probeTestErrors(t, err))
			} else {
				require.NoError(t, err)
			}
			var warns []string
			for _, res := range results.Items {
				warns = append(warns, res.Field.Path+": "+res.Message)
			}
			require.Equal(t, tc.wantWarn, warns)
		})
	}
}
