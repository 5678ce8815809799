package fn_test

import (
	"bytes"
	"fmt"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/transformers"
)

// benchStream is 1,000 documents: Deployments (half of them targeted),
// Services and ConfigMaps.
func benchStream() []byte {
	var b bytes.Buffer
	for i := 0; i < 500; i++ {
		part := "shop"
		if i%2 == 1 {
			part = "blog"
		}
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%[1]d
  namespace: ns-%[2]d
  labels: {app.kubernetes.io/part-of: %[3]s}
spec:
  selector: {matchLabels: {app: web-%[1]d}}
  template:
    metadata: {labels: {app: web-%[1]d}}
    spec:
      containers:
        - name: web
          image: shop/web:1.%[1]d
          ports: [{name: http, containerPort: 3000}]
          readinessProbe: {httpGet: {path: /ready, port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: web-%[1]d, namespace: ns-%[2]d}
spec: {selector: {app: web-%[1]d}, ports: [{port: 80, targetPort: http}]}
---
`, i, i%7, part)
	}
	return b.Bytes()
}

func benchEngine(b *testing.B, config string) *transformers.Engine {
	cfg, err := fn.DecodeConfig(yaml.MustParse(config).YNode(), "bench", ".")
	if err != nil {
		b.Fatal(err)
	}
	e, err := fn.NewEngine([]*fn.Config{cfg}, fn.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkRunStream is the whole standalone pipeline: split, parse,
// locate, select, graft, encode the changed documents, copy the others.
func BenchmarkRunStream(b *testing.B) {
	in := benchStream()
	const config = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  targets: {labelSelector: app.kubernetes.io/part-of=shop}
  sidecars: [{name: nginx, image: nginx, ports: [{name: proxy, containerPort: 8080}]}]
  volumes: [{name: static, emptyDir: {}, mounts: [{containers: ["*"], mountPath: /srv/static}]}]
`
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := fn.RunStream(fn.Options{}, benchEngine(b, config), []fn.Input{{Name: "in", Reader: bytes.NewReader(in)}})
		if err != nil || len(out) <= len(in) {
			b.Fatal(err)
		}
	}
}
