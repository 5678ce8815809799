package transformers

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const edge = `  sidecars: [{name: proxy, image: envoy:1, ports: [{containerPort: 9901}]}]
  volumes: [{name: certs, emptyDir: {}, mounts: [{containers: ["*"], mountPath: /etc/certs}]}]
  probes: [{containers: [proxy], liveness: {tcpSocket: {port: 9901}}}]
`

// apply runs g on resource and returns the resource and the outcome.
func apply(t *testing.T, g *Graft, resource string) (string, Outcome) {
	t.Helper()
	r := yaml.MustParse(resource)
	out := g.Apply(r)
	return str(t, r), out
}

// What a graft does with the record, step by step: apply, re-apply
// (nothing), drift (repaired, with a warning), upgrade, untarget, remove,
// and the drift report of each.
func TestGraftRecordLifecycle(t *testing.T) {
	v1 := compile(t, graft("edge", edge), Apply)
	grafted, out := apply(t, v1, appPod)
	require.True(t, out.Changed)
	require.True(t, out.Targeted)
	require.Equal(t, []string{"grafted by edge: sidecars proxy; volumes certs; mounts proxy:/etc/certs, web:/etc/certs, worker:/etc/certs; probes proxy:liveness"},
		messages(out.Results, false))

	again, out := apply(t, v1, grafted)
	require.False(t, out.Changed, "current: nothing to do")
	require.Empty(t, out.Results)
	require.Equal(t, grafted, again)

	check := compile(t, graft("edge", edge), Check)
	_, out = apply(t, check, grafted)
	require.False(t, out.Changed)
	require.Equal(t, []string{"graft edge is current"}, messages(out.Results, false))
	_, out = apply(t, check, appPod)
	require.Equal(t, []string{"graft edge is missing"}, messages(out.Results, false))

	for name, tc := range map[string]struct{ from, to, drift string }{
		"sidecar image edited": {from: "image: envoy:1", to: "image: envoy:2", drift: `sidecar "proxy" was changed`},
		"mount deleted":        {from: "    volumeMounts:\n    - name: certs\n      mountPath: /etc/certs\n  - name: worker", to: "  - name: worker", drift: "mount web:/etc/certs was missing"},
		"probe deleted":        {from: "    livenessProbe:\n      tcpSocket:\n        port: 9901\n", to: "", drift: "probe proxy:liveness was missing"},
	} {
		t.Run("drift: "+name, func(t *testing.T) {
			drifted := strings.Replace(grafted, tc.from, tc.to, 1)
			require.NotEqual(t, grafted, drifted)
			repaired, out := apply(t, v1, drifted)
			require.True(t, out.Changed)
			require.Equal(t, grafted, repaired, "a re-run repairs the drift")
			containsAll(t, messages(out.Results, false), []string{"graft edge has drifted from its record: " + tc.drift + "; applied it again"})
			_, out = apply(t, check, drifted)
			require.Equal(t, []string{"graft edge has drifted from its record: " + tc.drift}, messages(out.Results, true))
		})
	}

	v2 := compile(t, graft("edge", strings.Replace(edge, "envoy:1", "envoy:2", 1)), Apply)
	upgraded, out := apply(t, v2, grafted)
	require.True(t, out.Changed)
	require.Contains(t, upgraded, "envoy:2")
	require.NotContains(t, upgraded, "envoy:1")
	_, out = apply(t, compile(t, graft("edge", strings.Replace(edge, "envoy:1", "envoy:2", 1)), Check), grafted)
	containsAll(t, messages(out.Results, true), []string{"graft edge is out of date (recorded hash " + v1.hash + ", config hash " + v2.hash + ")"})

	untargeted := compile(t, graft("edge", "  targets: {kinds: [Deployment]}\n"+edge), Apply)
	left, out := apply(t, untargeted, grafted)
	require.True(t, out.Changed)
	require.False(t, out.Targeted)
	require.Equal(t, str(t, yaml.MustParse(appPod)), left, "a graft that no longer targets the workload is taken out")

	removed, out := apply(t, compile(t, graft("edge", edge), Remove), grafted)
	require.Equal(t, str(t, yaml.MustParse(appPod)), removed)
	containsAll(t, messages(out.Results, false), []string{"removed what edge added: sidecars proxy"})
	_, out = apply(t, compile(t, graft("edge", edge), CheckRemove), grafted)
	require.Equal(t, []string{"graft edge is still present (recorded hash " + v1.hash + ")"}, messages(out.Results, true))
}

// Grafts reach each other's sidecars in any order: the record keeps what
// a glob adds, the graft that adds a container gives it those parts, and
// taking it out takes them with it.
func TestGraftReach(t *testing.T) {
	proxy := compile(t, graft("a-proxy", "  sidecars: [{name: proxy, image: envoy}]"), Apply)
	certs := compile(t, graft("b-certs", "  volumes: [{name: certs, emptyDir: {}, mounts: [{containers: [\"*\"], mountPath: /etc/certs}]}]"), Apply)
	run := func(resource string, grafts ...*Graft) string {
		r := yaml.MustParse(resource)
		for _, g := range grafts {
			out := g.Apply(r)
			require.False(t, out.Failed(), "%v", out.Results)
		}
		return str(t, r)
	}
	want := run(appPod, proxy, certs)
	require.Equal(t, 3, strings.Count(want, "mountPath: /etc/certs"), "web, worker and proxy")
	require.Equal(t, want, run(appPod, certs, proxy), "certs first, then proxy")
	require.Equal(t, want, run(run(appPod, certs), proxy), "in two runs")

	withoutProxy := run(want, compile(t, graft("a-proxy", "  sidecars: [{name: proxy, image: envoy}]"), Remove))
	require.Equal(t, run(appPod, certs), withoutProxy, "certs' record no longer lists proxy's mount")
	require.Equal(t, want, run(withoutProxy, proxy), "and proxy gets it back")
}

func TestInsertKey(t *testing.T) {
	order := map[string]int{"proxy": 0, "web": 1, "worker": 2}
	require.Equal(t, []string{"proxy:/x", "web:/x", "worker:/x", "web:/y"}, insertKey([]string{"web:/x", "worker:/x", "web:/y"}, "proxy:/x", order))
	require.Equal(t, []string{"web:/x", "worker:/x"}, insertKey([]string{"web:/x"}, "worker:/x", order))
	require.Equal(t, []string{"web:/y", "proxy:/x"}, insertKey([]string{"web:/y"}, "proxy:/x", order), "a path not listed yet goes last")
	require.Equal(t, []string{"web:readiness", "proxy:liveness", "web:liveness"}, insertKey([]string{"web:readiness", "web:liveness"}, "proxy:liveness", order))
}

// Errors stop a graft for that resource only and name the field; the
// document is left for the caller to discard.
func TestGraftFailsWithResults(t *testing.T) {
	g := compile(t, graft("g", "  sidecars: [{name: web, image: x}]"), Apply)
	_, out := apply(t, g, appPod)
	require.True(t, out.Failed())
	require.Equal(t, framework.Error, out.Results[0].Severity)
	require.Equal(t, "spec.containers[0]", out.Results[0].Field.Path)
	require.Equal(t, "Pod", out.Results[0].ResourceRef.Kind)

	_, err := g.Filter([]*yaml.RNode{yaml.MustParse(appPod)})
	require.ErrorContains(t, err, `g cannot graft container "web"`, "as a kio.Filter, the error results are the error")
}
