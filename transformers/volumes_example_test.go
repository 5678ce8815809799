package transformers_test

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// A scratch volume shared by every container that runs for the pod's
// lifetime ("*"), and a node-local cache isolated per namespace. What was
// added is recorded, so that removal takes out exactly that.
func ExampleVolumes() {
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
      - name: worker
        image: shop/worker:1.2
`)
	volumes := transformers.Volumes{
		Graft: "scratch",
		Items: []transformers.GraftVolume{
			{
				Name:   "static",
				Source: "spec.volumes[0]",
				Node:   yaml.MustParse("name: static\nemptyDir: {}").YNode(),
				Mounts: []transformers.GraftMount{{
					Source: "spec.volumes[0].mounts[0]", Containers: []string{"*"}, MountPath: "/srv/static",
					Node: yaml.MustParse("mountPath: /srv/static").YNode(),
				}},
			},
			{
				Name:    "cache",
				Source:  "spec.volumes[1]",
				Node:    yaml.MustParse("name: cache\nhostPath: {path: /var/cache/shop, type: DirectoryOrCreate}").YNode(),
				Isolate: transformers.IsolateNamespace,
				Mounts: []transformers.GraftMount{{
					Source: "spec.volumes[1].mounts[0]", Containers: []string{"web"}, MountPath: "/cache",
					Node: yaml.MustParse("mountPath: /cache\nreadOnly: false").YNode(),
				}},
			},
		},
		AllowedHostPaths: []string{"/var/cache"},
	}
	stamp := transformers.Stamp{Graft: "scratch", Hash: "0123456789"}
	out, err := volumes.Filter([]*yaml.RNode{deployment})
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
	//   namespace: shop
	// spec:
	//   template:
	//     metadata:
	//       annotations:
	//         podgraft.dev/grafts: '{"scratch":{"hash":"0123456789","volumes":["static","cache"],"mounts":["web:/srv/static","worker:/srv/static","web:/cache"]}}'
	//     spec:
	//       containers:
	//       - name: web
	//         image: shop/web:1.2
	//         volumeMounts:
	//         - name: static
	//           mountPath: /srv/static
	//         - name: cache
	//           mountPath: /cache
	//           readOnly: false
	//       - name: worker
	//         image: shop/worker:1.2
	//         volumeMounts:
	//         - name: static
	//           mountPath: /srv/static
	//       volumes:
	//       - name: static
	//         emptyDir: {}
	//       - name: cache
	//         hostPath:
	//           path: /var/cache/shop/shop
	//           type: DirectoryOrCreate
}
