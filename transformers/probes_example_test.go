package transformers_test

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Readiness and liveness probes for the app containers that declare ports:
// the missing liveness probe is filled, while the user's own readiness
// probe is replaced only because the entry says override, and the record
// keeps it so that removal puts it back.
func ExampleProbes() {
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
        - name: http
          containerPort: 3000
        readinessProbe:
          tcpSocket:
            port: 3000
      - name: worker
        image: shop/worker:1.2
`)
	probes := transformers.Probes{
		Graft: "health",
		Items: []transformers.ProbeSet{{
			Source:   "spec.probes[0]",
			Override: true,
			Probes: map[transformers.ProbeKind]*yaml.Node{
				transformers.Readiness: yaml.MustParse("httpGet: {path: /healthz, port: http}").YNode(),
				transformers.Liveness:  yaml.MustParse("tcpSocket: {port: http}").YNode(),
			},
		}},
	}
	stamp := transformers.Stamp{Graft: "health", Hash: "0123456789"}
	out, err := probes.Filter([]*yaml.RNode{deployment})
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
	//         podgraft.dev/grafts: '{"health":{"hash":"0123456789","probes":["web:liveness","web:readiness"],"replaced":{"web:readiness":{"tcpSocket":{"port":3000}}}}}'
	//     spec:
	//       containers:
	//       - name: web
	//         image: shop/web:1.2
	//         ports:
	//         - name: http
	//           containerPort: 3000
	//         readinessProbe:
	//           httpGet:
	//             path: /healthz
	//             port: http
	//         livenessProbe:
	//           tcpSocket:
	//             port: http
	//       - name: worker
	//         image: shop/worker:1.2
}
