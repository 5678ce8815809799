package transformers_test

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// A native nginx sidecar and a migration that re-uses the app's image,
// grafted onto a Deployment by the Containers filter.
func ExampleContainers() {
	deployment := yaml.MustParse(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: shop/web:1.2
`)
	graft := transformers.Containers{
		Graft: "shop-edge",
		Items: []transformers.GraftContainer{
			{Name: "nginx", Role: transformers.NativeSidecar, Placement: "last",
				Node: yaml.MustParse("name: nginx\nimage: nginx:1.27-alpine").YNode()},
			{Name: "migrate", Role: transformers.InitContainer, Placement: "first", ImageFrom: "web",
				Node: yaml.MustParse("name: migrate\ncommand: [bin/migrate]").YNode()},
		},
	}
	// Stamp closes every graft: it records the spec hash next to what was added.
	stamp := transformers.Stamp{Graft: "shop-edge", Hash: "0123456789"}
	out, err := graft.Filter([]*yaml.RNode{deployment})
	if err == nil {
		out, err = stamp.Filter(out)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out[0].MustString())
	// Output:
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   name: web
	// spec:
	//   template:
	//     metadata:
	//       annotations:
	//         podgraft.dev/grafts: '{"shop-edge":{"hash":"0123456789","initContainers":["migrate"],"sidecars":["nginx"],"imageFrom":{"migrate":"web"},"placement":{"migrate":"first"}}}'
	//     spec:
	//       initContainers:
	//       - name: migrate
	//         image: shop/web:1.2
	//         command:
	//         - bin/migrate
	//       - name: nginx
	//         image: nginx:1.27-alpine
	//         restartPolicy: Always
	//       containers:
	//       - name: web
	//         image: shop/web:1.2
}
