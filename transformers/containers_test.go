package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

const podWithInits = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: n}
spec:
  initContainers: [{name: setup, image: s}, {name: warm, image: w}]
  containers: [{name: web, image: shop/web:1, imagePullPolicy: Always}, {name: worker, image: shop/worker:1}]
`

func container(name string, role transformers.Role, placement string) transformers.GraftContainer {
	return transformers.GraftContainer{Name: name, Role: role, Placement: placement,
		Node: yaml.MustParse("name: " + name + "\nimage: img").YNode()}
}

func containerNames(t *testing.T, r *yaml.RNode, list string) []string {
	t.Helper()
	seq, err := r.Pipe(yaml.Lookup("spec", list))
	require.NoError(t, err)
	var out []string
	for _, el := range seq.Content() {
		out = append(out, yaml.NewRNode(el).Field("name").Value.YNode().Value)
	}
	return out
}

func TestContainersPlacement(t *testing.T) {
	native, regular, initc := transformers.NativeSidecar, transformers.RegularSidecar, transformers.InitContainer
	tests := map[string]struct {
		items               []transformers.GraftContainer
		wantInits, wantApps []string
	}{
		"last keeps declared order": {
			items:     []transformers.GraftContainer{container("a", native, "last"), container("b", initc, "last")},
			wantInits: []string{"setup", "warm", "a", "b"}, wantApps: []string{"web", "worker"},
		},
		"first keeps declared order": {
			items:     []transformers.GraftContainer{container("a", native, "first"), container("b", native, "first")},
			wantInits: []string{"a", "b", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
		"before an existing container": {
			items:     []transformers.GraftContainer{container("a", initc, "before:warm"), container("b", initc, "before:warm")},
			wantInits: []string{"setup", "a", "b", "warm"}, wantApps: []string{"web", "worker"},
		},
		"after an existing container": {
			items:     []transformers.GraftContainer{container("a", initc, "after:setup"), container("b", initc, "after:setup")},
			wantInits: []string{"setup", "a", "b", "warm"}, wantApps: []string{"web", "worker"},
		},
		"regular sidecars go to containers": {
			items:     []transformers.GraftContainer{container("a", regular, "first"), container("b", regular, "after:web")},
			wantInits: []string{"setup", "warm"}, wantApps: []string{"a", "web", "b", "worker"},
		},
		"after a container grafted earlier by the same graft": {
			items:     []transformers.GraftContainer{container("a", native, "first"), container("b", native, "after:a")},
			wantInits: []string{"a", "b", "setup", "warm"}, wantApps: []string{"web", "worker"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pod := yaml.MustParse(podWithInits)
			_, err := transformers.Containers{Graft: "g", Items: tc.items}.Filter([]*yaml.RNode{pod})
			require.NoError(t, err)
			require.Equal(t, tc.wantInits, containerNames(t, pod, "initContainers"))
			require.Equal(t, tc.wantApps, containerNames(t, pod, "containers"))
		})
	}
}

func TestContainersDetails(t *testing.T) {
	pod := yaml.MustParse(podWithInits)
	migrate := container("migrate", transformers.InitContainer, "first")
	migrate.Node = yaml.MustParse("name: migrate\ncommand: [m]").YNode()
	migrate.ImageFrom = "*"
	_, err := transformers.Containers{Graft: "g", Items: []transformers.GraftContainer{
		migrate, container("proxy", transformers.NativeSidecar, "last"),
	}}.Filter([]*yaml.RNode{pod})
	require.NoError(t, err)

	got, err := pod.Pipe(yaml.Lookup("spec", "initContainers", "[name=migrate]"))
	require.NoError(t, err)
	require.Equal(t, "name: migrate\nimage: shop/web:1\nimagePullPolicy: Always\ncommand:\n- m\n", got.MustString(),
		"imageFrom * copies image and pull policy of the first app container, right after name")
	proxy, err := pod.Pipe(yaml.Lookup("spec", "initContainers", "[name=proxy]", "restartPolicy"))
	require.NoError(t, err)
	require.Equal(t, "Always", proxy.YNode().Value, "a native sidecar restarts always")
	migrateRP, err := pod.Pipe(yaml.Lookup("spec", "initContainers", "[name=migrate]", "restartPolicy"))
	require.NoError(t, err)
	require.Nil(t, migrateRP, "an init container runs to completion")

	rec, err := transformers.LoadRecord(transformers.Template{Resource: pod, Node: pod})
	require.NoError(t, err)
	require.Equal(t, []string{"migrate"}, rec["g"].InitContainers)
	require.Equal(t, []string{"proxy"}, rec["g"].Sidecars)
	require.Equal(t, map[string]string{"migrate": "web"}, rec["g"].ImageFrom)
}
