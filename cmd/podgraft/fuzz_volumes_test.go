package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzVolumesConfig exercises the cross-document paths: a fronting
// sidecar (Services are held and re-pointed), generated ConfigMaps and
// claims (held, kept, dropped, appended), mounts by glob and isolation.
const fuzzVolumesConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: fuzz
spec:
  requireReadinessProbe: "off"
  sidecars:
    - name: proxy
      image: nginx:1.27-alpine
      ports: [{name: proxy, containerPort: 18080}]
      fronts: {port: http, via: proxy}
  volumes:
    - name: fuzz-conf
      files: {a.conf: "x"}
      mounts: [{containers: [proxy], mountPath: /fuzz/conf}]
    - name: fuzz-scratch
      emptyDir: {}
      mounts: [{containers: ["*"], mountPath: /fuzz/scratch}]
    - name: fuzz-data
      persistentVolumeClaim: {claimName: fuzz-data}
      claim: {storage: 1Gi}
      mounts: [{containers: [proxy], mountPath: /fuzz/data}]
`

// FuzzVolumes is the post-renderer path with the cross-document features
// on: arbitrary stdin, the same properties as FuzzStandalone.
func FuzzVolumes(f *testing.F) {
	seedGoldenInputs(f, "input.yaml")
	seedGoldenInputs(f, "expected.yaml")
	cfg := filepath.Join(f.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(fuzzVolumesConfig), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		checkStandalone(t, cfg, input)
	})
}
