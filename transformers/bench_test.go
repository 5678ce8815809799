package transformers_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Micro-benchmarks of the per-document steps. `make bench` measures whole
// processes; these say which step a change made slower.

const benchDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/part-of: shop, tier: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: shop/web:1.2
        ports: [{name: http, containerPort: 3000}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        resources: {requests: {cpu: 100m, memory: 128Mi}}
      - name: metrics
        image: shop/metrics:1
        ports: [{name: metrics, containerPort: 9090}]
`

const benchService = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`

func BenchmarkLocate(b *testing.B) {
	deploy, svc := yaml.MustParse(benchDeployment), yaml.MustParse(benchService)
	loc := transformers.Locator{}
	b.ReportAllocs()
	for b.Loop() {
		if t, err := loc.Templates(deploy); err != nil || len(t) != 1 {
			b.Fatal(t, err)
		}
		if t, _ := loc.Templates(svc); len(t) != 0 {
			b.Fatal("a Service has no pod template")
		}
	}
}

func BenchmarkSelect(b *testing.B) {
	sel, err := labels.Parse("app.kubernetes.io/part-of=shop,tier notin (batch)")
	if err != nil {
		b.Fatal(err)
	}
	s := transformers.Select{Targets: transformers.Match{Kinds: []string{"Deployment"}, Labels: sel}}
	nodes := []*yaml.RNode{yaml.MustParse(benchDeployment), yaml.MustParse(benchService)}
	b.ReportAllocs()
	for b.Loop() {
		if got, _ := s.Filter(nodes); len(got) != 1 {
			b.Fatal("want the Deployment only")
		}
	}
}

func BenchmarkGraftContainers(b *testing.B) {
	graft := transformers.Containers{Graft: "edge", Items: []transformers.GraftContainer{
		{Name: "nginx", Role: transformers.NativeSidecar, Placement: "last",
			Node: yaml.MustParse("name: nginx\nimage: nginx:1.27-alpine\nports: [{name: proxy, containerPort: 8080}]").YNode()},
		{Name: "migrate", Role: transformers.InitContainer, Placement: "first", ImageFrom: "web",
			Node: yaml.MustParse("name: migrate\ncommand: [bin/migrate]").YNode()},
	}}
	stamp := transformers.Stamp{Graft: "edge", Hash: "0123456789"}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		nodes := []*yaml.RNode{yaml.MustParse(benchDeployment)}
		b.StartTimer()
		if _, err := graft.Filter(nodes); err != nil {
			b.Fatal(err)
		}
		if _, err := stamp.Filter(nodes); err != nil {
			b.Fatal(err)
		}
	}
}
