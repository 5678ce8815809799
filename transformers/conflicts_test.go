package transformers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// podWithPorts has an app container, a plain init container and a native
// sidecar grafted by "logs", each with ports.
const podWithPorts = `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: n
  annotations:
    podgraft.dev/grafts: '{"logs":{"hash":"h","sidecars":["fluent"]}}'
spec:
  initContainers:
  - name: setup
    image: s
    ports: [{containerPort: 9000}]
  - name: fluent
    image: f
    restartPolicy: Always
    ports: [{containerPort: 2020}]
  - name: mesh
    image: m
    restartPolicy: Always
    ports: [{containerPort: 15001, hostPort: 15001}]
  containers:
  - name: web
    image: w
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: metrics, containerPort: 9090, hostPort: 80}
`

func withPorts(name string, role transformers.Role, placement, ports string) transformers.GraftContainer {
	c := container(name, role, placement)
	if ports != "" {
		c.Node = yaml.MustParse("name: " + name + "\nimage: img\nports: " + ports).YNode()
	}
	return c
}

func TestConflicts(t *testing.T) {
	native, regular, initc := transformers.NativeSidecar, transformers.RegularSidecar, transformers.InitContainer
	tests := map[string]struct {
		pod   string
		items []transformers.GraftContainer
		// want holds "<field>: <message fragment>", one per expected error.
		want []string
	}{
		"name used by an app container": {
			items: []transformers.GraftContainer{container("web", native, "last")},
			want:  []string{`spec.containers[0]: g cannot graft container "web": the name is already used by a container podgraft did not graft`},
		},
		"name used by an init container": {
			items: []transformers.GraftContainer{container("warm", regular, "last")},
			want:  []string{`spec.initContainers[1]: g cannot graft container "warm": the name is already used by a container podgraft did not graft`},
		},
		"name used by a container another graft added": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{container("fluent", regular, "last")},
			want:  []string{`spec.initContainers[1]: g cannot graft container "fluent": the name is already used by a container grafted by logs`},
		},
		"imageFrom a missing container": {
			items: []transformers.GraftContainer{{Name: "m", Role: initc, Placement: "last", ImageFrom: "api", Node: yaml.MustParse("name: m").YNode()}},
			want:  []string{`spec.containers: g: init container "m" has imageFrom "api", but the pod has no such app container`},
		},
		"placement anchor missing": {
			items: []transformers.GraftContainer{container("a", native, "before:web")},
			want:  []string{`spec.initContainers: g: container "a" has placement "before:web", but spec.initContainers has no container "web"`},
		},
		"placement anchor in the other list": {
			items: []transformers.GraftContainer{container("a", initc, "last"), container("b", regular, "after:a")},
			want:  []string{`spec.containers: g: container "b" has placement "after:a", but spec.containers has no container "a"`},
		},
		"placement anchor grafted later by the same graft": {
			items: []transformers.GraftContainer{container("b", native, "after:a"), container("a", native, "last")},
			want:  []string{`g: container "b" has placement "after:a", but spec.initContainers has no container "a"`},
		},
		"placement anchor grafted earlier by the same graft": {
			items: []transformers.GraftContainer{container("a", native, "last"), container("b", native, "after:a")},
		},
		"placement anchor grafted by another graft": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{container("a", native, "after:fluent")},
			want:  []string{`spec.initContainers[1]: g: container "a" has placement "after:fluent", but "fluent" was grafted by logs`},
		},
		"containerPort of an app container": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 8080}]")},
			want:  []string{`spec.containers[0].ports[0].containerPort: g cannot graft container "proxy" with containerPort 8080/TCP: the port is already used by container "web", which podgraft did not graft`},
		},
		"containerPort of a native sidecar in the input": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", regular, "last", "[{containerPort: 15001}]")},
			want:  []string{`spec.initContainers[2].ports[0].containerPort: g cannot graft container "proxy" with containerPort 15001/TCP: the port is already used by container "mesh", which podgraft did not graft`},
		},
		"containerPort of another graft's sidecar": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 2020}]")},
			want:  []string{`spec.initContainers[1].ports[0].containerPort: g cannot graft container "proxy" with containerPort 2020/TCP: the port is already used by container "fluent", which was grafted by logs`},
		},
		"hostPort of an app container": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 8081, hostPort: 80}]")},
			want:  []string{`spec.containers[0].ports[2].hostPort: g cannot graft container "proxy" with hostPort 80/TCP: the port is already used by container "web"`},
		},
		"every clash of every container is reported": {
			pod: podWithPorts,
			items: []transformers.GraftContainer{
				withPorts("web", native, "last", "[{containerPort: 8080, hostPort: 15001}]"),
				withPorts("proxy", regular, "before:nope", "[{containerPort: 2020}]"),
			},
			want: []string{
				`spec.containers[0]: g cannot graft container "web": the name`,
				`spec.containers[0].ports[0].containerPort: g cannot graft container "web" with containerPort 8080/TCP`,
				`spec.initContainers[2].ports[0].hostPort: g cannot graft container "web" with hostPort 15001/TCP`,
				`spec.containers: g: container "proxy" has placement "before:nope"`,
				`spec.initContainers[1].ports[0].containerPort: g cannot graft container "proxy" with containerPort 2020/TCP`,
			},
		},
		"another protocol is another port": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 8080, protocol: UDP}, {containerPort: 53}]")},
		},
		"a plain init container runs alone: its ports do not clash": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 9000}]")},
		},
		"a grafted plain init container's ports are not checked": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("migrate", initc, "first", "[{containerPort: 8080}]")},
		},
		"a containerPort equal to a hostPort is no clash": {
			pod:   podWithPorts,
			items: []transformers.GraftContainer{withPorts("proxy", native, "last", "[{containerPort: 80}]")},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.pod == "" {
				tc.pod = podWithInits
			}
			pod := yaml.MustParse(tc.pod)
			before := pod.MustString()
			out, err := transformers.Conflicts{Graft: "g", Items: tc.items}.Filter([]*yaml.RNode{pod})
			require.Equal(t, before, pod.MustString(), "the check changes nothing")
			if len(tc.want) == 0 {
				require.NoError(t, err)
				require.Len(t, out, 1)
				return
			}
			var rs framework.Results
			require.ErrorAs(t, err, &rs)
			var got []string
			for _, r := range rs {
				require.Equal(t, framework.Error, r.Severity)
				require.Equal(t, "Pod", r.ResourceRef.Kind, "the error names the resource")
				require.Equal(t, "p", r.ResourceRef.Name)
				require.NotNil(t, r.Field, "the error names the field: %s", r.Message)
				got = append(got, r.Field.Path+": "+r.Message)
			}
			require.Len(t, got, len(tc.want), "every conflict once:\n%s", strings.Join(got, "\n"))
			for i, want := range tc.want {
				require.Contains(t, got[i], want)
			}
		})
	}
}

// Conflicts looks at every template of every node, and a clean workload
// next to a clashing one passes.
func TestConflictsEveryWorkload(t *testing.T) {
	clean := yaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: clean}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: a}]\n")
	clash1 := yaml.MustParse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: one}\nspec:\n  template:\n    spec:\n      containers: [{name: nginx, image: a}]\n")
	clash2 := yaml.MustParse("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: two}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: nginx, image: a}]\n")
	_, err := transformers.Conflicts{Graft: "edge", Items: []transformers.GraftContainer{container("nginx", transformers.NativeSidecar, "last")}}.
		Filter([]*yaml.RNode{clash1, clean, clash2})
	var rs framework.Results
	require.ErrorAs(t, err, &rs)
	require.Len(t, rs, 2)
	require.Equal(t, "one", rs[0].ResourceRef.Name)
	require.Equal(t, "spec.template.spec.containers[0]", rs[0].Field.Path)
	require.Equal(t, "two", rs[1].ResourceRef.Name)
	require.Equal(t, "spec.jobTemplate.spec.template.spec.containers[0]", rs[1].Field.Path)
}

// Two grafts that would fill the same missing probe clash in either order:
// left to whichever came first, the pod would depend on the order.
func TestTwoGraftsFillingOneProbe(t *testing.T) {
	fill := func(graft, path string) transformers.Probes {
		return transformers.Probes{Graft: graft, Results: &transformers.Results{}, Items: []transformers.ProbeSet{{
			Source: "spec.probes[0]", Containers: []string{"web"},
			Probes: map[transformers.ProbeKind]*yaml.Node{transformers.Readiness: yaml.MustParse("httpGet: {path: " + path + ", port: 8080}").YNode()},
		}}}
	}
	for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		pod := yaml.MustParse(podWithPorts)
		_, err := fill(order[0], "/"+order[0]).Filter([]*yaml.RNode{pod})
		require.NoError(t, err)
		before := pod.MustString()
		_, err = fill(order[1], "/"+order[1]).Filter([]*yaml.RNode{pod})
		require.ErrorContains(t, err, order[1]+`: spec.probes[0].readiness would fill the readiness probe of container "web", but `+order[0]+` set it`)
		require.Equal(t, before, pod.MustString())
	}
}
