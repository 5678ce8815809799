package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/guard"
)

// fuzzWorkloads is the fixed input the decoded configs are applied to: a
// workload of each template shape, and a custom kind.
const fuzzWorkloads = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}, annotations: {team: shop}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - {name: setup, image: busybox}
      containers:
        - name: web
          image: shop/web:1.0
          ports: [{name: http, containerPort: 3000}]
        - {name: worker, image: shop/worker:1.0}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: job, image: shop/job}]
---
apiVersion: v1
kind: Pod
metadata: {name: bare}
spec:
  containers: [{name: app, image: app}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  template:
    spec:
      containers: [{name: app, image: app}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80, targetPort: http}]
`

// FuzzDecodeConfig feeds arbitrary bytes to the config decoder. A config
// that decodes must be valid, hash the same when decoded again, and graft
// a fixed set of workloads either cleanly or with an error, never a panic;
// a graft that succeeds must be idempotent, byte for byte, and removable:
// removal gives the workloads back byte for byte.
func FuzzDecodeConfig(f *testing.F) {
	files, err := filepath.Glob("../testdata/*/*/config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	bad, err := filepath.Glob("../testdata/badinput/*/graft.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(files, bad...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		configs, err := decodeConfigStream(bytes.NewReader(data), "config.yaml", dir, guard.Limits{}.WithDefaults())
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		redecoded, err := decodeConfigStream(bytes.NewReader(data), "config.yaml", dir, guard.Limits{}.WithDefaults())
		if err != nil {
			t.Fatalf("a decoded config does not decode again: %v", err)
		}
		for i, c := range configs {
			if errs := v1alpha1.Validate(c.PodGraft); len(errs) > 0 {
				t.Fatalf("a decoded config does not validate: %v", errs)
			}
			if redecoded[i].Hash != c.Hash {
				t.Fatalf("the hash changed on a second decode: %s != %s", c.Hash, redecoded[i].Hash)
			}
		}
		out, ok := graftStream(t, configs, false, []byte(fuzzWorkloads))
		if !ok {
			return
		}
		again, ok := graftStream(t, configs, false, out)
		if !ok {
			t.Fatalf("a second run failed on the output of the first:\n%s", out)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("a second run changed the output\nfirst:\n%s\nsecond:\n%s", out, again)
		}
		removed, ok := graftStream(t, configs, true, out)
		if !ok {
			t.Fatalf("--remove failed on the output:\n%s", out)
		}
		if string(removed) != fuzzWorkloads {
			t.Fatalf("--remove of the output is not the input\noutput:\n%s\nremoved:\n%s", out, removed)
		}
	})
}

// graftStream runs configs over input in standalone mode; ok is false when
// the run failed with an error (which must then carry a message).
func graftStream(t *testing.T, configs []*Config, remove bool, input []byte) ([]byte, bool) {
	t.Helper()
	mode := Apply
	if remove {
		mode = Remove
	}
	e, err := NewEngine(configs, Options{Mode: mode})
	if err != nil {
		return nil, false
	}
	out, results, err := RunStream(Options{Mode: mode}, e, []Input{{Name: "input.yaml", Reader: bytes.NewReader(input)}})
	if err != nil {
		if err.Error() == "" {
			t.Fatal("an error without a message")
		}
		return nil, false
	}
	for _, r := range results {
		if r.Message == "" {
			t.Fatal("a result without a message")
		}
	}
	return out, results.ExitCode() == 0
}
