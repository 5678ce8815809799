package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Tiers and the app container each one runs. For workloads that are part of
// "shop" (the ones the benchmark PodGraft targets) the tier also fixes the
// container list, so that the kustomize strategic-merge patches can name every
// container to mount the grafted volume into (a patch cannot say "all
// containers", and naming an absent one would create it).
var shopContainersByTier = map[string][]string{
	"web":   {"web", "metrics", "log-shipper"},
	"api":   {"api", "metrics"},
	"batch": {"worker"},
}

var appContainerByTier = map[string]string{"web": "web", "api": "api", "batch": "worker"}

// namespaceWeights: three shop namespaces (60% of the workloads), the
// storefront that examples/web-with-proxy targets, and three that belong to
// other systems, so that label selection has something to skip.
var namespaceWeights = []struct {
	namespace string
	partOf    string
	weight    int
}{
	{"shop-eu", "shop", 20},
	{"shop-us", "shop", 20},
	{"shop-ap", "shop", 20},
	{"storefront", "web", 10},
	{"billing", "billing", 12},
	{"platform", "platform", 10},
	{"observability", "observability", 8},
}

var components = []string{
	"catalog", "cart", "checkout", "payments", "search", "reviews", "inventory",
	"shipping", "accounts", "recommendations", "images", "notifications",
}

var envNames = []string{
	"LOG_LEVEL", "LOG_FORMAT", "HTTP_TIMEOUT", "CACHE_TTL", "FEATURE_FLAGS",
	"DATABASE_HOST", "DATABASE_PORT", "REDIS_URL", "TRACING_ENDPOINT", "REGION",
	"MAX_CONNECTIONS", "WORKER_THREADS",
}

var envValues = map[string]string{
	"LOG_LEVEL": "info", "LOG_FORMAT": "json", "HTTP_TIMEOUT": "30s", "CACHE_TTL": "300",
	"FEATURE_FLAGS": "new-cart,fast-search", "DATABASE_HOST": "postgres.db.svc", "DATABASE_PORT": "5432",
	"REDIS_URL": "redis://redis:6379/0", "TRACING_ENDPOINT": "http://otel:4318", "REGION": "eu-west-1",
	"MAX_CONNECTIONS": "100", "WORKER_THREADS": "4",
}

// workload is everything decided about one workload before it is written.
type workload struct {
	index             int
	kind              string
	name              string
	namespace         string
	partOf            string
	tier              string
	component         string
	version           string
	replicas          int
	containers        []container
	initWait          bool // a "wait-for-db" init container (never on shop workloads)
	configMap         string
	emptyDirs         []string
	service           bool
	numericTargetPort bool
}

type container struct {
	name         string
	image        string
	ports        []port
	env          int  // number of env entries
	podNamespace bool // a POD_NAMESPACE env entry from the downward API
	resources    bool // requests and limits; the others have requests only
	probes       bool
	mounts       bool
}

type port struct {
	name   string
	number int
}

// generator writes a deterministic stream: the same seed and count always
// give the same bytes. PCG is specified exactly, so this holds across Go versions.
type generator struct {
	rng *rand.Rand
	// fronted: every workload is a storefront web or api workload, which
	// examples/web-with-proxy grafts, and 40% of them have a Service its
	// proxy fronts: a quarter of the documents.
	fronted bool
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) pick(options []string) string { return options[g.rng.IntN(len(options))] }

// plan decides the shape of workload i.
func (g *generator) plan(i int) workload {
	w := workload{index: i}

	roll := g.rng.IntN(100)
	for _, ns := range namespaceWeights {
		if roll < ns.weight {
			w.namespace, w.partOf = ns.namespace, ns.partOf
			break
		}
		roll -= ns.weight
	}

	if g.fronted {
		w.namespace, w.partOf = "storefront", "web"
	}
	switch r := g.rng.IntN(100); {
	case r < 40 || g.fronted && r%2 == 0:
		w.tier = "web"
	case r < 80 || g.fronted:
		w.tier = "api"
	default:
		w.tier = "batch"
	}
	if w.tier == "batch" {
		w.kind = []string{"Job", "CronJob"}[g.rng.IntN(2)]
	} else {
		switch r := g.rng.IntN(100); {
		case r < 75:
			w.kind = "Deployment"
		case r < 92:
			w.kind = "StatefulSet"
		default:
			w.kind = "DaemonSet"
		}
	}

	w.component = g.pick(components)
	w.name = fmt.Sprintf("%s-%05d", w.component, i)
	w.version = fmt.Sprintf("1.%d.%d", g.rng.IntN(20), g.rng.IntN(10))
	w.replicas = 1 + g.rng.IntN(5)

	names := shopContainersByTier[w.tier]
	if w.partOf != "shop" {
		app := appContainerByTier[w.tier]
		if w.partOf == "web" {
			app = "backend" // as examples/web-with-proxy expects, with an "http" port whatever the tier
		}
		// Half of them run the app container alone, a quarter add metrics, a quarter add both.
		extras := []string{"metrics", "log-shipper"}[:max(0, g.rng.IntN(4)-1)]
		names = append([]string{app}, extras...)
		w.initWait = g.chance(0.3)
	}
	for _, name := range names {
		w.containers = append(w.containers, g.container(w, name))
	}

	if g.chance(0.16) {
		w.configMap = w.name + "-config"
	}
	if g.chance(0.4) {
		w.emptyDirs = append(w.emptyDirs, "tmp")
	}
	if g.chance(0.15) {
		w.emptyDirs = append(w.emptyDirs, "scratch")
	}
	w.service = w.tier != "batch" && g.chance(0.3)
	if g.fronted {
		w.service = g.chance(0.4)
	}
	w.numericTargetPort = g.chance(0.3)
	return w
}

func (g *generator) container(w workload, name string) container {
	c := container{name: name}
	switch name {
	case "metrics":
		c.image = "prom/statsd-exporter:v0.26.1"
		c.ports = []port{{"metrics", 9102}}
	case "log-shipper":
		c.image = "fluent/fluent-bit:3.1.4"
		c.mounts = true
	default:
		c.image = fmt.Sprintf("registry.example.com/%s/%s:%s", w.partOf, w.component, w.version)
		c.env = 1 + g.rng.IntN(3)
		c.mounts = true
		c.podNamespace = g.chance(0.3)
		c.resources = true
		switch {
		case w.tier == "web" || name == "backend":
			c.ports = []port{{"http", 3000}}
		case w.tier == "api":
			c.ports = []port{{"http", 8000}}
			if g.chance(0.3) {
				c.ports = append(c.ports, port{"grpc", 9000})
			}
		}
	}
	c.probes = len(c.ports) > 0 && c.ports[0].name == "http" && g.chance(0.6)
	return c
}

// generate writes n workloads, with their ConfigMaps before and Services after
// them, one document each.
func (g *generator) generate(n int) []string {
	var docs []string
	for i := 0; i < n; i++ {
		w := g.plan(i)
		if w.configMap != "" {
			docs = append(docs, writeConfigMap(w))
		}
		docs = append(docs, writeWorkload(w))
		if w.service {
			docs = append(docs, writeService(w))
		}
	}
	return docs
}

// yamlWriter writes indented YAML lines. Sequences are indented under their
// key, as most Helm charts write them.
type yamlWriter struct {
	bytes.Buffer
}

func (y *yamlWriter) line(indent int, format string, args ...any) {
	y.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(y, format, args...)
	y.WriteByte('\n')
}

// labels are the workload's own labels: what PodGraft's labelSelector and the
// kustomize patch targets select on.
func (y *yamlWriter) labels(indent int, w workload) {
	y.line(indent, "app.kubernetes.io/name: %s", w.name)
	y.line(indent, "app.kubernetes.io/instance: %s", w.partOf)
	y.line(indent, "app.kubernetes.io/part-of: %s", w.partOf)
	y.line(indent, "tier: %s", w.tier)
}

func writeConfigMap(w workload) string {
	var y yamlWriter
	y.line(0, "# Source: %s/templates/configmap.yaml", w.partOf)
	y.line(0, "apiVersion: v1")
	y.line(0, "kind: ConfigMap")
	y.line(0, "metadata:")
	y.line(2, "name: %s", w.configMap)
	y.line(2, "namespace: %s", w.namespace)
	y.line(2, "labels:")
	y.labels(4, w)
	y.line(0, "data:")
	y.line(2, "LOG_LEVEL: info")
	y.line(2, "REGION: %s", w.namespace)
	y.line(2, "app.yaml: |")
	y.line(4, "server:")
	y.line(6, "port: 3000")
	y.line(4, "features:")
	y.line(6, "- %s-v2", w.component)
	y.line(6, "- fast-checkout")
	return y.String()
}

func writeService(w workload) string {
	var y yamlWriter
	y.line(0, "# Source: %s/templates/service.yaml", w.partOf)
	y.line(0, "apiVersion: v1")
	y.line(0, "kind: Service")
	y.line(0, "metadata:")
	y.line(2, "name: %s", w.name)
	y.line(2, "namespace: %s", w.namespace)
	y.line(2, "labels:")
	y.labels(4, w)
	y.line(0, "spec:")
	y.line(2, "type: ClusterIP")
	y.line(2, "selector:")
	y.line(4, "app.kubernetes.io/name: %s", w.name)
	y.line(4, "app.kubernetes.io/instance: %s", w.partOf)
	y.line(2, "ports:")
	y.line(4, "- name: http")
	y.line(6, "port: 80")
	if app := w.containers[0]; w.numericTargetPort {
		y.line(6, "targetPort: %d", app.ports[0].number)
	} else {
		y.line(6, "targetPort: http")
	}
	return y.String()
}

func writeWorkload(w workload) string {
	var y yamlWriter
	apiVersion := "apps/v1"
	if w.kind == "Job" || w.kind == "CronJob" {
		apiVersion = "batch/v1"
	}
	y.line(0, "# Source: %s/templates/%s.yaml", w.partOf, strings.ToLower(w.kind))
	y.line(0, "apiVersion: %s", apiVersion)
	y.line(0, "kind: %s", w.kind)
	y.line(0, "metadata:")
	y.line(2, "name: %s", w.name)
	y.line(2, "namespace: %s", w.namespace)
	y.line(2, "labels:")
	y.labels(4, w)
	y.line(2, "annotations:")
	y.line(4, "meta.helm.sh/release-name: %s", w.partOf)
	y.line(0, "spec:")

	selector := func(indent int) {
		y.line(indent, "selector:")
		y.line(indent+2, "matchLabels:")
		y.line(indent+4, "app.kubernetes.io/name: %s", w.name)
		y.line(indent+4, "app.kubernetes.io/instance: %s", w.partOf)
	}
	switch w.kind {
	case "Deployment":
		y.line(2, "replicas: %d", w.replicas)
		selector(2)
		y.line(2, "strategy:")
		y.line(4, "type: RollingUpdate")
		writePodTemplate(&y, 2, w)
	case "StatefulSet":
		y.line(2, "serviceName: %s", w.name)
		y.line(2, "replicas: %d", w.replicas)
		selector(2)
		writePodTemplate(&y, 2, w)
		y.line(2, "volumeClaimTemplates:")
		y.line(4, "- metadata:")
		y.line(8, "name: data")
		y.line(6, "spec:")
		y.line(8, "accessModes: [ReadWriteOnce]")
		y.line(8, "resources:")
		y.line(10, "requests:")
		y.line(12, "storage: 10Gi")
	case "DaemonSet":
		selector(2)
		y.line(2, "updateStrategy:")
		y.line(4, "type: RollingUpdate")
		writePodTemplate(&y, 2, w)
	case "Job":
		y.line(2, "backoffLimit: 3")
		y.line(2, "ttlSecondsAfterFinished: 3600")
		writePodTemplate(&y, 2, w)
	case "CronJob":
		y.line(2, "schedule: \"%d */6 * * *\"", w.index%60)
		y.line(2, "concurrencyPolicy: Forbid")
		y.line(2, "jobTemplate:")
		y.line(4, "spec:")
		y.line(6, "backoffLimit: 3")
		writePodTemplate(&y, 6, w)
	}
	return y.String()
}

func writePodTemplate(y *yamlWriter, indent int, w workload) {
	at := func(extra int, format string, args ...any) { y.line(indent+extra, format, args...) }
	at(0, "template:")
	at(2, "metadata:")
	at(4, "labels:")
	at(6, "app.kubernetes.io/name: %s", w.name)
	at(6, "app.kubernetes.io/instance: %s", w.partOf)
	at(6, "app.kubernetes.io/part-of: %s", w.partOf)
	at(4, "annotations:")
	at(6, "checksum/config: %016x", uint64(w.index+1)*0x9e3779b97f4a7c15)
	at(2, "spec:")
	at(4, "serviceAccountName: %s", w.component)
	if w.kind == "Job" || w.kind == "CronJob" {
		at(4, "restartPolicy: Never")
	}
	at(4, "securityContext:")
	at(6, "runAsNonRoot: true")
	if w.kind == "DaemonSet" {
		at(4, "tolerations:")
		at(6, "- key: node-role.kubernetes.io/control-plane")
		at(8, "operator: Exists")
		at(8, "effect: NoSchedule")
	}
	if w.initWait {
		at(4, "initContainers:")
		at(6, "- name: wait-for-db")
		at(8, "image: busybox:1.36")
		at(8, "command: [\"sh\", \"-c\", \"until nc -z db 5432; do sleep 2; done\"]")
	}
	at(4, "containers:")
	for _, c := range w.containers {
		writeContainer(y, indent+6, w, c)
	}
	if w.configMap == "" && len(w.emptyDirs) == 0 {
		return
	}
	at(4, "volumes:")
	if w.configMap != "" {
		at(6, "- name: config")
		at(8, "configMap:")
		at(10, "name: %s", w.configMap)
	}
	for _, name := range w.emptyDirs {
		at(6, "- name: %s", name)
		at(8, "emptyDir: {}")
	}
}

func writeContainer(y *yamlWriter, indent int, w workload, c container) {
	at := func(extra int, format string, args ...any) { y.line(indent+extra, format, args...) }
	at(0, "- name: %s", c.name)
	at(2, "image: %s", c.image)
	if c.resources {
		at(2, "imagePullPolicy: IfNotPresent")
	}
	if len(c.ports) > 0 {
		at(2, "ports:")
		for _, p := range c.ports {
			at(4, "- name: %s", p.name)
			at(6, "containerPort: %d", p.number)
		}
	}
	if c.env > 0 || c.podNamespace {
		at(2, "env:")
	}
	if c.podNamespace {
		at(4, "- name: POD_NAMESPACE")
		at(6, "valueFrom:")
		at(8, "fieldRef:")
		at(10, "fieldPath: metadata.namespace")
	}
	for i := 0; i < c.env; i++ {
		name := envNames[(w.index+i)%len(envNames)]
		at(4, "- name: %s", name)
		at(6, "value: %q", envValues[name])
	}
	at(2, "resources:")
	at(4, "requests:")
	at(6, "cpu: %dm", 50*(1+w.index%4))
	at(6, "memory: %dMi", 64*(1+w.index%4))
	if c.resources {
		at(4, "limits:")
		at(6, "memory: %dMi", 128*(1+w.index%4))
	}
	if c.probes {
		at(2, "readinessProbe:")
		at(4, "httpGet:")
		at(6, "path: /healthz")
		at(6, "port: http")
		at(4, "periodSeconds: 10")
	}
	if c.probes && w.index%2 == 0 {
		at(2, "livenessProbe:")
		at(4, "tcpSocket:")
		at(6, "port: http")
	}
	if !c.mounts {
		return
	}
	var mounts [][2]string
	if w.configMap != "" && c.name == w.containers[0].name {
		mounts = append(mounts, [2]string{"config", "/etc/" + w.component})
	}
	for _, name := range w.emptyDirs {
		mounts = append(mounts, [2]string{name, "/" + name})
	}
	if len(mounts) == 0 {
		return
	}
	at(2, "volumeMounts:")
	for _, m := range mounts {
		at(4, "- name: %s", m[0])
		at(6, "mountPath: %s", m[1])
	}
}
