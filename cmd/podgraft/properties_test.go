package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The properties of safe re-runs (issue 4), checked over every input below
// and every config (or pair of configs) below, byte for byte. The inputs
// are in the format podgraft writes (kyaml's encoding, with the input's own
// sequence indentation), so that "the same document" means the same bytes.
//
//   - apply → apply is the identity;
//   - apply → remove gives the input back; so does spec.remove: true in KRM mode;
//   - apply(v1) → apply(v2) equals apply(v2) on the input, also with another
//     graft in place, which stays as it was;
//   - two grafts give the same output in either order: in one run (-c a -c b
//     or -c b -c a) and in two runs (a, later b; or b, later a);
//   - taking one of two grafts out leaves what the other alone gives;
//   - --check passes exactly on what apply wrote, and names the rest.

var propInputs = map[string]string{
	"deployment": `# The shop's web tier.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/part-of: shop
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web # the app
          image: shop/web:1.2
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: 3000
          readinessProbe:
            httpGet:
              path: /ready
              port: http
`,
	"statefulset": `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-web
  namespace: shop
spec:
  serviceName: db-web
  template:
    metadata:
      labels:
        app: db-web
      annotations:
        team: data
    spec:
      initContainers:
      - name: wait-db
        image: busybox:1.36
        command: [sh, -c, "until nc -z db 5432; do sleep 1; done"]
      containers:
      - name: web
        image: shop/web:1.2
        ports:
        - name: http
          containerPort: 3000
        livenessProbe:
          tcpSocket:
            port: http
      - name: worker
        image: shop/worker:1.2
`,
	"cronjob": `apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  namespace: shop
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: web
              image: shop/web:1.2
              args: [report]
              ports:
                - name: http
                  containerPort: 3000
`,
	"pod-with-native-sidecar": `apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
spec:
  initContainers:
    - name: mesh-agent
      image: mesh/agent:1.0
      restartPolicy: Always
      ports:
        - containerPort: 15020
  containers:
    - name: web
      image: shop/web:1.2
      ports:
        - name: http
          containerPort: 3000
`,
	"stream": `# Source: shop/templates/config.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-config
  namespace: shop
data:
  mode: production
---
# Source: shop/templates/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop/api:3.0
          ports:
            - name: http
              containerPort: 3000
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  ports:
    - port: 80
      targetPort: http
`,
}

// propConfigs are PodGrafts that do not clash with each other or with the
// inputs; "<name>-v2" is a changed version of <name> (same metadata.name).
var propConfigs = map[string]string{
	"edge": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: edge
spec:
  sidecars:
    - name: nginx
      image: nginx:1.25-alpine
      ports: [{name: proxy, containerPort: 8080}]
  probes:
    - containers: [web]
      readiness: {httpGet: {path: /healthz, port: http}}
  volumes:
    - name: conf
      files:
        default.conf: |
          server { listen 8080; location / { proxy_pass http://127.0.0.1:3000; } }
      mounts:
        - {containers: [nginx], mountPath: /etc/nginx/conf.d, readOnly: true}
`,
	"edge-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: edge
spec:
  sidecars:
    - name: nginx
      image: nginx:1.27-alpine
      ports: [{name: proxy, containerPort: 8443}]
      placement: first
  initContainers:
    - name: warm
      imageFrom: web
      command: [bin/warm]
  probes:
    - containers: [web]
      readiness: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
  volumes:
    - name: conf
      files:
        default.conf: |
          server { listen 8443; location / { proxy_pass http://127.0.0.1:3000; } }
      mounts:
        - {containers: [nginx], mountPath: /etc/nginx/conf.d, readOnly: true}
    - name: cache
      emptyDir: {}
      mounts:
        - {containers: [web, nginx], mountPath: /cache}
`,
	"mesh": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: mesh
spec:
  sidecars:
    - name: envoy
      image: envoyproxy/envoy:v1.31
      native: false
      placement: after:web
      ports: [{containerPort: 15001}]
  initContainers:
    - name: iptables
      image: mesh/init:1.0
      placement: first
`,
	"mesh-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: mesh
spec:
  sidecars:
    - name: envoy
      image: envoyproxy/envoy:v1.31
      native: false
      placement: before:web
      ports: [{containerPort: 15001}]
    - name: envoy-admin
      image: envoyproxy/envoy:v1.31
      native: false
      placement: after:envoy
  initContainers:
    - name: iptables
      image: mesh/init:1.1
`,
	"migrations": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: migrations
spec:
  initContainers:
    - name: migrate
      imageFrom: web
      command: [bin/migrate, --up]
      placement: first
    - name: assets
      imageFrom: "*"
      command: [bin/build-assets]
  volumes:
    - name: assets
      emptyDir: {}
      mounts:
        - {containers: [assets, web], mountPath: /srv/assets}
`,
	"migrations-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: migrations
spec:
  initContainers:
    - name: assets
      imageFrom: "*"
      command: [bin/build-assets, --minify]
      placement: first
    - name: migrate
      imageFrom: web
      command: [bin/migrate, --up]
      placement: after:assets
`,
	"logs": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: logs
spec:
  sidecars:
    - name: shipper
      image: fluent/fluent-bit:3.1
      placement: first
    - name: metrics
      image: prom/statsd-exporter:v0.27
      native: false
      ports: [{name: metrics, containerPort: 9102}]
  volumes:
    - name: logs
      emptyDir: {}
      mounts:
        - {containers: [web, shipper], mountPath: /var/log/app}
`,
	"logs-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: logs
spec:
  targets:
    kinds: [StatefulSet, CronJob]
  sidecars:
    - name: shipper
      image: fluent/fluent-bit:3.1
      placement: first
`,
	"health": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: health
spec:
  targets:
    kinds: [Deployment, StatefulSet]
  probes:
    - containers: [web]
      override: true
      liveness: {httpGet: {path: /live, port: http}}
      startup: {httpGet: {path: /started, port: http}, failureThreshold: 30}
`,
	"health-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: health
spec:
  targets:
    kinds: [Deployment]
  probes:
    - containers: [web]
      startup: {tcpSocket: {port: http}, failureThreshold: 10}
`,
	// otel's "*" and initContainers "*" reach every other graft's
	// sidecars and init containers; $(OTEL_POD_NAME) expands because it
	// comes after the variable it names.
	"otel": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: otel
spec:
  requireReadinessProbe: "off"
  env:
    - containers: ["*"]
      initContainers: ["*"]
      vars:
        - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.observability:4317"}
        - name: OTEL_POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: OTEL_RESOURCE_ATTRIBUTES
          value: k8s.pod.name=$(OTEL_POD_NAME)
      from:
        - configMapRef: {name: otel-env}
`,
	"otel-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: otel
spec:
  requireReadinessProbe: "off"
  env:
    - vars:
        - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.observability:4318"}
        - name: OTEL_SERVICE_NAME
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
      from:
        - secretRef: {name: otel-token}
          prefix: OTEL_
`,
	// pods sets the pod template's metadata and imagePullSecrets, and puts
	// a regular sidecar first: kubectl's default container is then set.
	"pods": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: pods
spec:
  requireReadinessProbe: "off"
  sidecars:
    - name: auth
      image: oauth2-proxy/oauth2-proxy:v7.6.0
      native: false
      placement: first
  pod:
    labels: {sidecar.istio.io/inject: "false"}
    annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9102"}
    imagePullSecrets: [{name: regcred}]
`,
	"pods-v2": `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: pods
spec:
  requireReadinessProbe: "off"
  pod:
    annotations: {prometheus.io/scrape: "false"}
    imagePullSecrets: [{name: regcred-v2}, {name: regcred}]
`,
}

// v1s are the configs of distinct names that pairs are made of.
var v1s = []string{"edge", "health", "logs", "mesh", "migrations", "otel", "pods"}

type props struct {
	t   *testing.T
	dir string
}

func newProps(t *testing.T) props {
	dir := t.TempDir()
	for name, body := range propConfigs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(body), 0o644))
	}
	return props{t: t, dir: dir}
}

// run runs podgraft over input with -c for each config named, plus flags,
// and requires success.
func (p props) run(input string, flags []string, configs ...string) string {
	p.t.Helper()
	args := append([]string{}, flags...)
	for _, c := range configs {
		args = append(args, "-c", filepath.Join(p.dir, c+".yaml"))
	}
	out, stderr, code := runCLI(p.t, []byte(input), append(args, "-")...)
	require.Equal(p.t, 0, code, "podgraft %s: %s", strings.Join(args, " "), stderr)
	require.NotContains(p.t, stderr, "error")
	return out
}

func (p props) apply(input string, configs ...string) string { return p.run(input, nil, configs...) }

func (p props) remove(input string, configs ...string) string {
	return p.run(input, []string{"--remove"}, configs...)
}

func inputNames() []string {
	var names []string
	for n := range propInputs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestPropertyApplyIsIdempotentAndRemovable(t *testing.T) {
	p := newProps(t)
	var configs []string
	for c := range propConfigs {
		configs = append(configs, c)
	}
	sort.Strings(configs)
	for _, in := range inputNames() {
		for _, c := range configs {
			t.Run(in+"/"+c, func(t *testing.T) {
				p := props{t: t, dir: p.dir}
				input := propInputs[in]
				out := p.apply(input, c)
				require.Equal(t, out, p.apply(out, c), "apply → apply is the identity")
				require.Equal(t, input, p.remove(out, c), "apply → remove gives the input back")
				require.Equal(t, input, p.remove(input, c), "removing what is not there changes nothing")
			})
		}
	}
}

func TestPropertyUpgrade(t *testing.T) {
	p := newProps(t)
	upgrades := map[string]string{"edge": "edge-v2", "mesh": "mesh-v2", "migrations": "migrations-v2", "logs": "logs-v2", "health": "health-v2", "otel": "otel-v2", "pods": "pods-v2"}
	for _, in := range inputNames() {
		for v1, v2 := range upgrades {
			other := "edge"
			if v1 == "edge" {
				other = "logs"
			}
			t.Run(in+"/"+v1, func(t *testing.T) {
				p := props{t: t, dir: p.dir}
				input := propInputs[in]
				want := p.apply(input, v2)
				require.Equal(t, want, p.apply(p.apply(input, v1), v2), "apply(v1) → apply(v2) = apply(v2)")
				require.Equal(t, input, p.remove(p.apply(p.apply(input, v1), v2), v2), "and removal still gives the input back")

				// Another graft in place stays as it was, and upgrades alone.
				both := p.apply(input, v1, other)
				require.Equal(t, p.apply(input, v2, other), p.apply(both, v2), "%s upgrades independently of %s", v1, other)
				require.Equal(t, p.apply(input, other), p.remove(p.apply(both, v2), v2))
			})
		}
	}
}

func TestPropertyOrderIndependence(t *testing.T) {
	p := newProps(t)
	for _, in := range inputNames() {
		for i, a := range v1s {
			for _, b := range v1s[i+1:] {
				t.Run(in+"/"+a+"+"+b, func(t *testing.T) {
					p := props{t: t, dir: p.dir}
					input := propInputs[in]
					want := p.apply(input, a, b)
					require.Equal(t, want, p.apply(input, b, a), "-c %s -c %s = -c %s -c %s", a, b, b, a)
					require.Equal(t, want, p.apply(p.apply(input, a), b), "%s, later %s", a, b)
					require.Equal(t, want, p.apply(p.apply(input, b), a), "%s, later %s", b, a)
					require.Equal(t, p.apply(input, b), p.remove(want, a), "taking %s out leaves %s alone", a, b)
					require.Equal(t, p.apply(input, a), p.remove(want, b), "taking %s out leaves %s alone", b, a)
					require.Equal(t, input, p.remove(want, a, b))
				})
			}
		}
	}
}

// spec.remove: true is --remove for KRM pipelines, where there are no flags.
func TestPropertyKRMSpecRemove(t *testing.T) {
	p := newProps(t)
	for _, in := range inputNames() {
		for _, c := range v1s {
			t.Run(in+"/"+c, func(t *testing.T) {
				p := props{t: t, dir: p.dir}
				input := propInputs[in]
				grafted := p.apply(input, c)
				cfg := streamItems(t, []byte(strings.Replace(propConfigs[c], "\nspec:\n", "\nspec:\n  remove: true\n", 1)))
				require.Len(t, cfg, 1)
				rl := resourceList(t, []byte(grafted), cfg[0])
				out, stderr, code := runCLI(t, rl)
				require.Equal(t, 0, code, "stderr: %s", stderr)
				require.Equal(t, normalize(t, streamItems(t, []byte(input))), normalize(t, itemsOf(t, []byte(out))))
			})
		}
	}
}

func TestPropertyCheck(t *testing.T) {
	p := newProps(t)
	check := func(t *testing.T, input string, configs ...string) (string, int) {
		args := []string{"--check"}
		for _, c := range configs {
			args = append(args, "-c", filepath.Join(p.dir, c+".yaml"))
		}
		stdout, stderr, code := runCLI(t, []byte(input), append(args, "-")...)
		require.Empty(t, stdout, "--check writes nothing to stdout")
		return stderr, code
	}
	for _, in := range inputNames() {
		for _, c := range v1s {
			t.Run(in+"/"+c, func(t *testing.T) {
				pp := props{t: t, dir: p.dir}
				input := propInputs[in]
				grafted := pp.apply(input, c)
				stderr, code := check(t, grafted, c)
				require.Equal(t, 0, code, "what apply wrote is current: %s", stderr)
				require.Empty(t, stderr)
				if grafted == input {
					return // the graft targets nothing here
				}
				stderr, code = check(t, input, c)
				require.Equal(t, 1, code)
				require.Contains(t, stderr, "graft "+pp.name(c)+" is missing")
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					require.True(t, strings.HasPrefix(line, "podgraft: error: "), "one error line per workload: %q", line)
				}
				if v2 := c + "-v2"; propConfigs[v2] != "" {
					stderr, code = check(t, grafted, v2)
					require.Equal(t, 1, code)
					require.Contains(t, stderr, "graft "+pp.name(c)+" is ")
					require.Equal(t, pp.apply(grafted, v2), pp.apply(pp.apply(grafted, v2), v2))
					_, code = check(t, pp.apply(grafted, v2), v2)
					require.Equal(t, 0, code, "after the upgrade, the check passes")
				}
			})
		}
	}
}

// name is the metadata.name of a config: "edge-v2" is edge.
func (p props) name(config string) string {
	return strings.TrimSuffix(config, "-v2")
}

// The upgrade and remove goldens say what they do: expected.yaml is
// apply(config.yaml) on the original (removed.yaml), byte for byte, and
// input.yaml is apply(config.v1.yaml) on it, where given; for removal,
// applying the config to expected.yaml gives input.yaml back.
func TestGoldenUpgradeAndRemoveAreConsistent(t *testing.T) {
	run := func(t *testing.T, input []byte, args ...string) string {
		out, stderr, code := runCLI(t, input, append(args, "-")...)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		return out
	}
	read := func(t *testing.T, path string) []byte {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return b
	}
	upgrades, err := filepath.Glob("../../testdata/upgrade/*/config.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, upgrades)
	for _, cfg := range upgrades {
		dir := filepath.Dir(cfg)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			original := read(t, filepath.Join(dir, "removed.yaml"))
			require.Equal(t, string(read(t, filepath.Join(dir, "expected.yaml"))), run(t, original, "-c", cfg))
			if v1 := filepath.Join(dir, "config.v1.yaml"); fileExists(v1) {
				require.Equal(t, string(read(t, filepath.Join(dir, "input.yaml"))), run(t, original, "-c", v1))
			}
		})
	}
	removals, err := filepath.Glob("../../testdata/remove/*/config.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, removals)
	for _, cfg := range removals {
		dir := filepath.Dir(cfg)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input := string(read(t, filepath.Join(dir, "input.yaml")))
			expected := read(t, filepath.Join(dir, "expected.yaml"))
			cfgBody := strings.Replace(string(read(t, cfg)), "\n  remove: true\n", "\n", 1)
			applyCfg := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(applyCfg, []byte(cfgBody), 0o644))
			if !strings.Contains(input, "podgraft.dev/grafts") {
				require.Equal(t, input, string(expected), "nothing grafted: nothing removed")
				return
			}
			require.Equal(t, input, run(t, expected, "-c", applyCfg))
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
