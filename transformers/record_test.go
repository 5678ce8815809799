package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// grafted is a Deployment as edge (hash "old") and logs left it: edge added
// the nginx sidecar, the migrate init container with the image of web, a
// readiness probe on web, and replaced web's liveness probe; the user wrote
// web's startup probe.
const grafted = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      annotations:
        podgraft.dev/grafts: '{"edge":{"hash":"old","initContainers":["migrate"],"sidecars":["nginx"],"imageFrom":{"migrate":"web"},"probes":["web:readiness","web:liveness"],"replaced":{"web:liveness":{"tcpSocket":{"port":3000}}}},"logs":{"hash":"l","sidecars":["fluent"]}}'
    spec:
      initContainers:
      - name: migrate
        image: shop/web:1.2
      - name: nginx
        image: nginx
        restartPolicy: Always
      - name: fluent
        image: fluent
        restartPolicy: Always
      containers:
      - name: web
        image: shop/web:1.2
        startupProbe:
          httpGet: {path: /started, port: 3000}
        readinessProbe:
          httpGet: {path: /healthz, port: 3000}
        livenessProbe:
          httpGet: {path: /live, port: 3000}
`

// ungrafted is grafted without edge: what it looked like before edge.
const ungrafted = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      annotations:
        podgraft.dev/grafts: '{"logs":{"hash":"l","sidecars":["fluent"]}}'
    spec:
      initContainers:
      - name: fluent
        image: fluent
        restartPolicy: Always
      containers:
      - name: web
        image: shop/web:1.2
        startupProbe:
          httpGet: {path: /started, port: 3000}
        livenessProbe:
          tcpSocket:
            port: 3000
`

func reconcile(graft, hash string, targets ...string) transformers.Reconcile {
	sel := transformers.Select{Graft: graft, Targets: transformers.Match{Names: targets}}
	return transformers.Reconcile{Graft: graft, Hash: hash, Select: sel, Results: &transformers.Results{}, Touched: &transformers.Touched{}}
}

func TestReconcile(t *testing.T) {
	tests := map[string]struct {
		f       transformers.Reconcile
		edit    func(*yaml.RNode)
		want    string // the document afterwards; "" for unchanged
		regraft bool
		info    string
	}{
		"current: nothing to do": {
			f: reconcile("edge", "old", "web"),
		},
		"changed config: what the old version added goes, the user's probe stays": {
			f: reconcile("edge", "new", "web"), want: ungrafted, regraft: true,
		},
		"no longer targeted: the graft goes": {
			f: reconcile("edge", "old", "api"), want: ungrafted,
		},
		"new app image: the imageFrom copy is re-grafted": {
			f:    reconcile("edge", "old", "web"),
			edit: setImage("shop/web:1.3"), regraft: true,
		},
		"remove": {
			f:    func() transformers.Reconcile { f := reconcile("edge", "old", "web"); f.Remove = true; return f }(),
			want: ungrafted, info: "removed what edge added: sidecars nginx; init containers migrate; probes web:readiness, web:liveness",
		},
		"another graft's version is its own business": {
			f: reconcile("logs", "l", "web"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dep := yaml.MustParse(grafted)
			if tc.edit != nil {
				tc.edit(dep)
			}
			before := dep.MustString()
			out, err := tc.f.Filter([]*yaml.RNode{dep})
			require.NoError(t, err)
			if tc.regraft {
				require.Equal(t, []*yaml.RNode{dep}, out, "the workload is returned to graft")
			} else {
				require.Empty(t, out)
			}
			switch {
			case tc.want != "":
				require.Equal(t, yaml.MustParse(tc.want).MustString(), dep.MustString())
				require.True(t, tc.f.Touched.Has(dep))
			case tc.regraft:
				require.NotEqual(t, before, dep.MustString(), "a stale graft is taken out before it goes in again")
				require.True(t, tc.f.Touched.Has(dep))
			default:
				require.Equal(t, before, dep.MustString())
				require.False(t, tc.f.Touched.Has(dep))
			}
			if tc.info != "" {
				require.Len(t, tc.f.Results.Items, 1)
				require.Equal(t, tc.info, tc.f.Results.Items[0].Message)
			}
		})
	}
}

func setImage(image string) func(*yaml.RNode) {
	return func(dep *yaml.RNode) {
		c, err := dep.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=web]"))
		if err == nil {
			err = c.PipeE(yaml.SetField("image", yaml.NewStringRNode(image)))
		}
		if err != nil {
			panic(err)
		}
	}
}

// With Check, Reconcile changes nothing, returns nothing, and reports each
// workload as the drift report prints it.
func TestReconcileCheck(t *testing.T) {
	bare := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: api, image: a}]
`
	tests := map[string]struct {
		hash    string
		targets []string
		remove  bool
		edit    func(*yaml.RNode)
		want    []string // "<severity> <name>: <message>"
	}{
		"current": {
			hash: "old", targets: []string{"web"},
			want: []string{"info web: graft edge is current"},
		},
		"missing and out of date": {
			hash: "new", targets: []string{"web", "api"},
			want: []string{"error web: graft edge is out of date (recorded hash old, config hash new)", "error api: graft edge is missing"},
		},
		"app image changed": {
			hash: "old", targets: []string{"web"}, edit: setImage("shop/web:1.3"),
			want: []string{`error web: graft edge is out of date (init container "migrate" has image "shop/web:1.2", but app container "web" now has "shop/web:1.3")`},
		},
		"no longer targeted": {
			hash: "old", targets: []string{"api"},
			want: []string{"error web: graft edge is out of date (recorded hash old; the config no longer targets this workload)", "error api: graft edge is missing"},
		},
		"remove": {
			hash: "old", remove: true,
			want: []string{"error web: graft edge is still present (recorded hash old)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			web, api := yaml.MustParse(grafted), yaml.MustParse(bare)
			if tc.edit != nil {
				tc.edit(web)
			}
			before := web.MustString() + api.MustString()
			f := reconcile("edge", tc.hash, tc.targets...)
			f.Check, f.Remove = true, tc.remove
			out, err := f.Filter([]*yaml.RNode{web, api})
			require.NoError(t, err)
			require.Empty(t, out, "a check grafts nothing")
			require.Equal(t, before, web.MustString()+api.MustString(), "a check changes nothing")
			require.False(t, f.Touched.Has(web) || f.Touched.Has(api))
			var got []string
			for _, r := range f.Results.Items {
				got = append(got, string(r.Severity)+" "+r.ResourceRef.Name+": "+r.Message)
				require.Nil(t, r.Field, "one line per workload, without a field")
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// A check's verdict is the real run's: a workload the check calls current
// is one the run leaves alone, and one it reports is one the run grafts.
func TestReconcileCheckAgreesWithRun(t *testing.T) {
	for _, hash := range []string{"old", "new"} {
		for _, edit := range []func(*yaml.RNode){nil, setImage("shop/web:2")} {
			check := reconcile("edge", hash, "web")
			check.Check = true
			run := reconcile("edge", hash, "web")
			dep := yaml.MustParse(grafted)
			if edit != nil {
				edit(dep)
			}
			_, err := check.Filter([]*yaml.RNode{dep})
			require.NoError(t, err)
			out, err := run.Filter([]*yaml.RNode{dep})
			require.NoError(t, err)
			require.Equal(t, check.Results.HasErrors(), len(out) == 1)
		}
	}
}
