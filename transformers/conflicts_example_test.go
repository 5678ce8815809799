package transformers_test

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Conflicts runs before Containers and reports every clash at once, each
// naming both sides and the field in the pod; it changes nothing.
func ExampleConflicts() {
	deployment := yaml.MustParse(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        image: shop/web:1.2
        ports:
        - {name: http, containerPort: 8080}
`)
	check := transformers.Conflicts{
		Graft: "edge",
		Items: []transformers.GraftContainer{
			{Name: "web", Role: transformers.NativeSidecar, Placement: "last",
				Node: yaml.MustParse("name: web\nimage: nginx").YNode()},
			{Name: "nginx", Role: transformers.NativeSidecar, Placement: "last",
				Node: yaml.MustParse("name: nginx\nimage: nginx\nports: [{containerPort: 8080}]").YNode()},
		},
	}
	_, err := check.Filter([]*yaml.RNode{deployment})
	var conflicts framework.Results
	errors.As(err, &conflicts)
	for _, r := range conflicts {
		fmt.Printf("%s: %s\n", r.Field.Path, r.Message)
	}
	// Output:
	// spec.template.spec.containers[0]: edge cannot graft container "web": the name is already used by a container podgraft did not graft
	// spec.template.spec.containers[0].ports[0].containerPort: edge cannot graft container "nginx" with containerPort 8080/TCP: the port is already used by container "web", which podgraft did not graft; all containers of a pod share one network
}

// With Check, Reconcile is the drift report behind podgraft --check: it
// changes nothing and says, per workload, what a run would do.
func ExampleReconcile_check() {
	deployment := yaml.MustParse(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      annotations:
        podgraft.dev/grafts: '{"edge":{"hash":"0123456789","sidecars":["nginx"]}}'
    spec:
      initContainers:
      - {name: nginx, image: nginx, restartPolicy: Always}
      containers:
      - {name: web, image: shop/web:1.2}
`)
	results := &transformers.Results{}
	check := transformers.Reconcile{Graft: "edge", Hash: "abcdef0123", Check: true, Results: results}
	if _, err := check.Filter([]*yaml.RNode{deployment}); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results.Items {
		fmt.Printf("%s: %s: %s\n", r.Severity, transformers.DescribeRef(r.ResourceRef), r.Message)
	}
	// Output:
	// error: Deployment shop/web: graft edge is out of date (recorded hash 0123456789, config hash abcdef0123)
}
