package transformers_test

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/transformers"
)

// A native nginx sidecar, a migration that re-uses the app's image, and a
// readiness probe, grafted onto a Deployment by one Graft. The record
// annotation says what the graft added, so that a re-run changes nothing
// and --remove takes it out again.
func ExampleGraft() {
	config := yaml.MustParse(`apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: shop-edge
spec:
  sidecars:
    - name: nginx
      image: nginx:1.27-alpine
  initContainers:
    - name: migrate
      imageFrom: web
      command: [bin/migrate]
      placement: first
  probes:
    - readiness: {httpGet: {path: /healthz, port: http}}
`)
	pg, err := v1alpha1.Decode(config.YNode(), "graft.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	graft := transformers.Compile(transformers.Config{PodGraft: pg, Hash: "0123456789"}, transformers.Apply, "")

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
        ports:
        - {name: http, containerPort: 3000}
`)
	out := graft.Apply(deployment)
	for _, r := range out.Results {
		fmt.Println(r.Severity, r.Message)
	}
	fmt.Print(deployment.MustString())
	fmt.Println("second run changes it:", graft.Apply(deployment).Changed)
	// Output:
	// info grafted by shop-edge: sidecars nginx; init containers migrate; probes web:readiness
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   name: web
	// spec:
	//   template:
	//     metadata:
	//       annotations:
	//         podgraft.dev/grafts: '{"shop-edge":{"hash":"0123456789","initContainers":["migrate"],"sidecars":["nginx"],"imageFrom":{"migrate":"web"},"probes":["web:readiness"],"placement":{"migrate":"first"}}}'
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
	//         ports:
	//         - {name: http, containerPort: 3000}
	//         readinessProbe:
	//           httpGet:
	//             path: /healthz
	//             port: http
	// second run changes it: false
}
