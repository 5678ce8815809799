package transformers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func service(ns, selector, port string) *yaml.RNode {
	return yaml.MustParse("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: " + ns + "}\nspec:\n  selector: {" + selector + "}\n  ports:\n  - " + port + "\n")
}

func frontsPlan(front transformers.Front, remove bool) *transformers.Plan {
	return &transformers.Plan{Graft: "edge", Remove: remove, Fronts: []transformers.Front{front},
		Select:  transformers.Select{Targets: transformers.Match{Names: []string{"web"}}},
		Results: &transformers.Results{}, Touched: &transformers.Touched{}}
}

var proxy = transformers.Front{Sidecar: "nginx", Port: intstr.FromString("http"), Via: intstr.FromString("proxy"), SidecarPorts: map[string]int32{"proxy": 8080}}

func targetPort(t *testing.T, svc *yaml.RNode) string {
	t.Helper()
	v, err := svc.Pipe(yaml.Lookup("spec", "ports", "0", "targetPort"))
	require.NoError(t, err)
	if v == nil {
		return "<unset>"
	}
	return v.YNode().Value
}

func TestFronts(t *testing.T) {
	tests := map[string]struct {
		front   transformers.Front
		svc     *yaml.RNode
		want    string
		warning string
	}{
		"named targetPort":                      {front: proxy, svc: service("shop", "app: web", "{port: 80, targetPort: http}"), want: "proxy"},
		"numeric targetPort is the app's port":  {front: proxy, svc: service("shop", "app: web", "{port: 80, targetPort: 3000}"), want: "proxy"},
		"no targetPort: the port is the target": {front: proxy, svc: service("shop", "app: web", "{port: 3000}"), want: "proxy"},
		"another app port":                      {front: proxy, svc: service("shop", "app: web", "{port: 9090, targetPort: 9090}"), want: "9090"},
		"selector does not match":               {front: proxy, svc: service("shop", "app: api", "{port: 80, targetPort: http}"), want: "http"},
		"another namespace":                     {front: proxy, svc: service("blog", "app: web", "{port: 80, targetPort: http}"), want: "http"},
		"fronts by number, named targetPort": {
			front: transformers.Front{Sidecar: "envoy", Port: intstr.FromInt32(3000), Via: intstr.FromInt32(10000)},
			svc:   service("shop", "app: web", "{port: 80, targetPort: http}"), want: "10000",
		},
		"unresolvable named targetPort": {
			front: proxy, svc: service("shop", "app: web", "{port: 80, targetPort: www}"), want: "www",
			warning: `no container of Deployment shop/web declares a port named "www"`,
		},
		"also selects a workload the graft does not target": {
			front: proxy, svc: service("shop", "tier: front", "{port: 80, targetPort: http}"), want: "http",
			warning: "the Service also selects Deployment shop/canary, which edge does not graft",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := frontsPlan(tc.front, false)
			web := yaml.MustParse(strings.ReplaceAll(workload("Deployment", "shop", "web").MustString(), "{app: web}", "{app: web, tier: front}"))
			canary := yaml.MustParse(strings.ReplaceAll(workload("Deployment", "shop", "canary").MustString(), "{app: canary}", "{app: canary, tier: front}"))
			_, err := p.Collect().Filter([]*yaml.RNode{web, canary})
			require.NoError(t, err)
			before := tc.svc.MustString()
			p.Finish([]*yaml.RNode{tc.svc}, &transformers.Outcome{Drop: map[*yaml.RNode]bool{}})
			require.Equal(t, tc.want, targetPort(t, tc.svc))
			var warnings []string
			for _, r := range p.Results.Items {
				if r.Severity == framework.Warning {
					warnings = append(warnings, r.Message)
				}
			}
			if tc.warning == "" {
				require.Empty(t, warnings)
			} else {
				require.Len(t, warnings, 1)
				require.Contains(t, warnings[0], tc.warning)
			}
			if tc.want == "proxy" || tc.want == "10000" {
				require.True(t, p.Touched.Has(tc.svc))
				require.Contains(t, tc.svc.GetAnnotations(), transformers.RecordAnnotation)
				// A re-run is a no-op, and removal restores the Service exactly.
				again := frontsPlan(tc.front, false)
				_, err = again.Collect().Filter([]*yaml.RNode{web, canary})
				require.NoError(t, err)
				again.Finish([]*yaml.RNode{tc.svc}, &transformers.Outcome{Drop: map[*yaml.RNode]bool{}})
				require.False(t, again.Touched.Has(tc.svc), "a re-run changes nothing")
				rm := frontsPlan(tc.front, true)
				rm.Finish([]*yaml.RNode{tc.svc}, &transformers.Outcome{Drop: map[*yaml.RNode]bool{}})
			} else {
				require.False(t, p.Touched.Has(tc.svc))
			}
			require.Equal(t, before, tc.svc.MustString())
		})
	}
}

func TestFrontsLeaveOtherGraftsRecords(t *testing.T) {
	svc := service("shop", "app: web", "{port: 80, targetPort: proxy}")
	require.NoError(t, svc.PipeE(yaml.SetAnnotation(transformers.RecordAnnotation, `{"other":{"targetPorts":{"80":"http"}}}`)))
	before := svc.MustString()
	p := frontsPlan(proxy, true)
	p.Finish([]*yaml.RNode{svc}, &transformers.Outcome{Drop: map[*yaml.RNode]bool{}})
	require.Equal(t, before, svc.MustString(), "removing edge leaves what another graft re-pointed")
}
