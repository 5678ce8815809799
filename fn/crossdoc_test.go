package fn_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
)

func filesGraft(t *testing.T, name, volume, content string) *fn.Config {
	t.Helper()
	cfg, err := decodeConfig(t, `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: `+name+`}
spec:
  requireReadinessProbe: "off"
  volumes:
    - name: `+volume+`
      files: {a.conf: "`+content+`"}
      mounts: [{containers: [web], mountPath: /etc/`+volume+`}]
`, name+".yaml", t.TempDir())
	require.NoError(t, err)
	return cfg
}

const twoNamespaces = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: w, ports: [{name: http, containerPort: 3000}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: blog}
spec:
  template:
    spec:
      containers: [{name: web, image: w}]
`

func stream(t *testing.T, input string, remove bool, configs ...*fn.Config) string {
	t.Helper()
	mode := fn.Apply
	if remove {
		mode = fn.Remove
	}
	out, results, err := runStream(t, mode, input, configs...)
	require.NoError(t, err)
	require.Empty(t, errorLines(results))
	return string(out)
}

func generatedNames(t *testing.T, out string) []string {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader([]byte(out)), OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	var names []string
	for _, n := range nodes {
		if n.GetKind() == "ConfigMap" {
			names = append(names, n.GetNamespace()+"/"+n.GetName())
		}
	}
	return names
}

// Generated resources come out in one order whatever order the grafts
// were applied in: by graft name, then volume, then namespace.
func TestGeneratedOrderIsIndependentOfRuns(t *testing.T) {
	a := filesGraft(t, "alpha", "conf", "a")
	b := filesGraft(t, "beta", "extra", "b")
	together := stream(t, twoNamespaces, false, b, a)
	require.Equal(t, together, stream(t, stream(t, twoNamespaces, false, a), false, b), "alpha, later beta")
	require.Equal(t, together, stream(t, stream(t, twoNamespaces, false, b), false, a), "beta, later alpha")
	names := generatedNames(t, together)
	require.Len(t, names, 4)
	require.True(t, strings.HasPrefix(names[0], "shop/alpha-conf-"), names[0])
	require.True(t, strings.HasPrefix(names[1], "blog/alpha-conf-"), names[1])
	require.True(t, strings.HasPrefix(names[2], "shop/beta-extra-"), names[2])
	require.Equal(t, stream(t, twoNamespaces, false, a), stream(t, together, true, b), "removing beta leaves alpha's alone")
	require.Equal(t, twoNamespaces, stream(t, together, true, a, b))
}

// frontedFilesConfig fronts the app with nginx and generates its config.
const frontedFilesConfig = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  requireReadinessProbe: "off"
  sidecars: [{name: nginx, image: nginx, ports: [{name: proxy, containerPort: 8080}], fronts: {port: http, via: proxy}}]
  volumes:
    - name: conf
      files: {a.conf: "x"}
      mounts: [{containers: [nginx], mountPath: /etc/nginx/conf.d}]
`

// In KRM mode the generated resources are appended to the items, and a
// re-run neither duplicates nor moves them.
func TestKRMGeneratedItems(t *testing.T) {
	cfg := frontedFilesConfig
	items, err := (&kio.ByteReader{Reader: strings.NewReader(twoNamespaces), OmitReaderAnnotations: true}).Read()
	require.NoError(t, err)
	var rl bytes.Buffer
	require.NoError(t, kio.ByteWriter{Writer: &rl, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion,
		FunctionConfig: yaml.MustParse(cfg)}.Write(items))
	var out bytes.Buffer
	results, err := fn.RunResourceList(fn.Options{BaseDir: t.TempDir()}, &rl, &out)
	require.NoError(t, err)
	require.Zero(t, results.ExitCode(), "%v", results)
	first := out.String()
	require.Equal(t, 2, strings.Count(itemsOnly(first), "kind: ConfigMap"))
	require.Contains(t, first, "targetPort: proxy")

	var again bytes.Buffer
	_, err = fn.RunResourceList(fn.Options{BaseDir: t.TempDir()}, strings.NewReader(first), &again)
	require.NoError(t, err)
	require.Equal(t, itemsOnly(first), itemsOnly(again.String()), "a re-run changes no item")
}

// itemsOnly cuts the results off a ResourceList.
func itemsOnly(rl string) string {
	if i := strings.Index(rl, "\nresults:"); i >= 0 {
		return rl[:i]
	}
	return rl
}

// A Service podgraft re-points must pass the checks of every changed
// document: with a duplicate key, kubectl would keep the other value.
func TestRepointedServiceWithDuplicateKeys(t *testing.T) {
	cfg, err := decodeConfig(t, `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata: {name: edge}
spec:
  requireReadinessProbe: "off"
  sidecars: [{name: nginx, image: nginx, ports: [{name: proxy, containerPort: 8080}], fronts: {port: http, via: proxy}}]
`, "edge.yaml", t.TempDir())
	require.NoError(t, err)
	input := strings.Replace(twoNamespaces, "ports: [{port: 80, targetPort: http}]", "ports: [{port: 80, targetPort: http, targetPort: http}]", 1)
	out, results, err := runStream(t, fn.Apply, input, cfg)
	require.Nil(t, out)
	require.ErrorContains(t, err, "targetPort")
	require.ErrorContains(t, err, "Service shop/web")
	require.Empty(t, errorLines(results))
}

// --check reports what the cross-document pass would change: a generated
// resource missing or stale, a Service not re-pointed. On what apply wrote
// it reports nothing.
func TestCheckReportsCrossDocumentDrift(t *testing.T) {
	cfg, err := fn.DecodeConfig(yaml.MustParse(frontedFilesConfig).YNode(), "edge.yaml", t.TempDir())
	require.NoError(t, err)
	var warnings []string
	check := func(input string, remove bool) []string {
		mode := fn.Check
		if remove {
			mode = fn.CheckRemove
		}
		out, results, err := runStream(t, mode, input, cfg)
		require.NoError(t, err)
		errs := errorLines(results)
		warnings = nil
		for _, r := range results {
			if r.Severity == framework.Warning && strings.Contains(r.Message, "is not in the input") {
				warnings = append(warnings, fn.FormatResult(r))
			}
		}
		require.Empty(t, out, "a drift report writes nothing")
		return errs
	}
	applied := stream(t, twoNamespaces, false, cfg)
	require.Empty(t, check(applied, false), "apply's own output has no drift")

	// The workloads are grafted, but a generated ConfigMap is not in the
	// input and the Service was put back by hand. The workloads' records
	// are current, so the ConfigMap was generated before: a kpt selector
	// hid it, and generating it again would pile up copies. A warning.
	var kept []string
	for _, d := range strings.Split(applied, "---\n") {
		if strings.Contains(d, "kind: ConfigMap") && strings.Contains(d, "namespace: blog") {
			continue
		}
		kept = append(kept, d)
	}
	drifted := strings.Replace(strings.Join(kept, "---\n"), "targetPort: proxy", "targetPort: http", 1)
	errs := check(drifted, false)
	require.Len(t, errs, 1, "%v", errs)
	require.Contains(t, errs[0], "Service shop/web: spec.ports[0].targetPort: is not re-pointed: graft edge sends it from http to proxy")
	require.Len(t, warnings, 1, "%v", warnings)
	require.Contains(t, warnings[0], "ConfigMap blog/edge-conf-")
	require.Contains(t, warnings[0], "filtered out by a selector")

	// A workload that is not grafted yet needs it: that is drift.
	fresh := strings.Join(kept, "---\n")
	fresh = regexp.MustCompile(`(?m)^ *podgraft.dev/grafts: .*\n`).ReplaceAllString(fresh, "")
	errs = check(fresh, false)
	require.Contains(t, strings.Join(errs, "\n"), "is missing: graft edge generates it for volume \"conf\"")

	errs = check(applied, true)
	require.NotEmpty(t, errs)
	require.Contains(t, strings.Join(errs, "\n"), "is still present: generated by edge, which is being removed")
	require.Contains(t, strings.Join(errs, "\n"), "is still re-pointed: restore it to http")
}
