//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// otherGraft is a config file for PODGRAFT_CONFIG that the pipelines must
// not use: a KRM function takes its config from the functionConfig.
func otherGraft(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: other
spec:
  sidecars:
    - name: not-this-one
      image: busybox:1.36
`), 0o644))
	return path
}

// TestExportedConfigKustomize: kustomize passes the shell's environment to
// exec functions, and a PODGRAFT_CONFIG exported there used to turn podgraft
// into a pass-through that grafted nothing, with exit 0.
func TestExportedConfigKustomize(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	dir := kustomizeCase(t, "shop")
	ctx := testCtx(t, 2*time.Minute)

	res := run(ctx, t, dir, []string{"PODGRAFT_CONFIG=" + otherGraft(t)}, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.NoError(t, res.Err, res.Output())
	golden(t, filepath.Join("testdata", "kustomize", "shop", "expected.yaml"), res.Stdout)
	require.NotContains(t, res.Stdout, "not-this-one")
	require.Contains(t, res.Stderr, "podgraft: warning: PODGRAFT_CONFIG is ignored: stdin is a ResourceList")
}

// TestExportedConfigKpt: the same with kpt fn render, which shows the
// warning among the function's results.
func TestExportedConfigKpt(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	pkg := kptPackage(t)
	ctx := testCtx(t, 2*time.Minute)
	before := readTree(t, pkg)

	res := run(ctx, t, pkg, []string{"PODGRAFT_CONFIG=" + otherGraft(t)}, kpt, "fn", "render", "--allow-exec", pkg)
	after := readTree(t, pkg)
	kptGrafted(t, before, after, res)
	require.NotContains(t, after["app.yaml"], "not-this-one")
	require.Contains(t, res.Stderr, "[warning]: PODGRAFT_CONFIG is ignored")
}

// writePackage writes files (path: content) under a new directory.
func writePackage(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pkg")
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

// selectorGraft generates a ConfigMap and fronts the app: both reach past
// the workload, to resources a selector hides.
const selectorGraft = `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: edge
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  requireReadinessProbe: "off"
  sidecars:
    - name: proxy
      image: nginx:1.27-alpine
      ports: [{name: proxy, containerPort: 8081}]
      fronts: {port: http, via: proxy}
  volumes:
    - name: conf
      files:
        app.conf: |
          listen 8081
      mounts:
        - {containers: [proxy], mountPath: /etc/proxy}
`

const selectorApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.2
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`

// generatedConfigMaps counts the ConfigMaps podgraft generated in a
// package's files.
func generatedConfigMaps(t *testing.T, pkg string) int {
	t.Helper()
	n := 0
	for name, content := range readTree(t, pkg) {
		if name == "Kptfile" || name == "graft.yaml" {
			continue
		}
		for _, d := range parseDocs(t, content) {
			if d.kind() == "ConfigMap" && str(d.Obj, "metadata", "labels", "podgraft.dev/generated-by") == "edge" {
				n++
			}
		}
	}
	return n
}

// TestKptSelectorsStayIdempotent: a pipeline step with selectors, or kpt fn
// eval --match-kind, hides the generated ConfigMap and the fronted
// Service. Each render used to append another copy of the ConfigMap, and
// nothing said the Service was not re-pointed.
func TestKptSelectorsStayIdempotent(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	ctx := testCtx(t, 3*time.Minute)

	t.Run("render with a selector", func(t *testing.T) {
		pkg := writePackage(t, map[string]string{
			"Kptfile": `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: pkg
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
    - exec: ` + podgraftBin(t) + `
      configPath: graft.yaml
      selectors:
        - kind: Deployment
`,
			"graft.yaml": selectorGraft,
			"app.yaml":   selectorApp,
		})
		res := run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
		require.NoError(t, res.Err, res.Output())
		require.Equal(t, 1, generatedConfigMaps(t, pkg), "the first render generates the ConfigMap")
		first := readTree(t, pkg)
		for i := 0; i < 2; i++ {
			res = run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
			require.NoError(t, res.Err, res.Output())
			require.Equal(t, 1, generatedConfigMaps(t, pkg), "render %d added a copy", i+2)
			require.Equal(t, first, readTree(t, pkg), "render %d changed the package", i+2)
			require.Contains(t, res.Stderr, "filtered out by a selector")
			require.Contains(t, res.Stderr, "holds no Service in namespace shop")
		}
		// Without the selector the whole package is seen: the Service is
		// re-pointed, and there is still one ConfigMap.
		res = run(ctx, t, pkg, nil, kpt, "fn", "eval", "--exec", podgraftBin(t), "--fn-config", filepath.Join(pkg, "graft.yaml"), pkg)
		require.NoError(t, res.Err, res.Output())
		require.Equal(t, 1, generatedConfigMaps(t, pkg))
		require.NotContains(t, res.Stderr, "filtered out by a selector")
		require.Contains(t, readTree(t, pkg)["app.yaml"], "targetPort: proxy")
	})

	t.Run("eval with --match-kind", func(t *testing.T) {
		pkg := writePackage(t, map[string]string{"graft.yaml": selectorGraft, "app.yaml": selectorApp})
		for i := 0; i < 3; i++ {
			res := run(ctx, t, pkg, nil, kpt, "fn", "eval", "--exec", podgraftBin(t), "--fn-config", filepath.Join(pkg, "graft.yaml"), "--match-kind", "Deployment", pkg)
			require.NoError(t, res.Err, res.Output())
			require.Equal(t, 1, generatedConfigMaps(t, pkg), "eval %d", i+1)
			if i > 0 {
				require.Contains(t, res.Stderr, "filtered out by a selector")
			}
		}
	})
}

// renameGraft generates a ConfigMap and a claim, which kustomize's
// namePrefix renames.
func renameGraft(t *testing.T) string {
	return `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: ops
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ` + podgraftBin(t) + `
spec:
  requireReadinessProbe: "off"
  volumes:
    - name: conf
      files:
        app.conf: |
          listen 9090
      mounts:
        - {containers: [web], mountPath: /etc/app}
    - name: uploads
      persistentVolumeClaim: {claimName: web-uploads}
      claim: {storage: 1Gi}
      mounts:
        - {containers: [web], mountPath: /var/uploads}
`
}

// TestKustomizeRenamesAreFollowed: a base grafts, an overlay adds
// namePrefix: prod-, and kustomize renames the generated ConfigMap and
// claim and fixes the volumes. Running the graft again on that output (a
// higher overlay, or podgraft on the build) used to drop the renamed ones
// as stale, add unprefixed copies, and leave the Deployment mounting what
// it dropped; kubectl apply --prune then deleted the claim in use.
func TestKustomizeRenamesAreFollowed(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	ctx := testCtx(t, 3*time.Minute)
	graft := renameGraft(t)
	root := writePackage(t, map[string]string{
		"base/kustomization.yaml": "namespace: rn-shop\nresources: [app.yaml]\ntransformers: [graft.yaml]\n",
		"base/graft.yaml":         graft,
		"base/app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.2
`,
		"prod/kustomization.yaml":  "resources: [../base]\nnamePrefix: prod-\n",
		"again/kustomization.yaml": "resources: [../prod]\ntransformers: [graft.yaml]\n",
		"again/graft.yaml":         graft,
	})
	build := func(dir string) cmdResult {
		res := run(ctx, t, filepath.Join(root, dir), nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
		require.NoError(t, res.Err, res.Output())
		return res
	}
	prod := build("prod")
	docs := parseDocs(t, prod.Stdout)
	web := findDoc(t, docs, "Deployment", "prod-web")
	spec := specOf(t, web.Obj)
	cm := spec.configMapVolume("conf")
	require.True(t, strings.HasPrefix(cm, "prod-ops-conf-"), cm)
	findDoc(t, docs, "ConfigMap", cm)
	findDoc(t, docs, "PersistentVolumeClaim", "prod-web-uploads")

	// The same graft again, over the renamed output: nothing changes.
	again := build("again")
	require.Equal(t, prod.Stdout, again.Stdout, "the graft follows kustomize's renames")
	require.NotContains(t, again.Stderr, "stale")

	// And podgraft itself on the build: the same, and --check is clean.
	cfg := filepath.Join(root, "again", "graft.yaml")
	out := runStdin(ctx, t, prod.Stdout, podgraftBin(t), "-c", cfg)
	require.NoError(t, out.Err, out.Output())
	require.Equal(t, prod.Stdout, out.Stdout)
	check := runStdin(ctx, t, prod.Stdout, podgraftBin(t), "--check", "-c", cfg)
	require.NoError(t, check.Err, "no false drift on kustomize's output: %s", check.Output())

	t.Run("the API server accepts it", func(t *testing.T) {
		c := cluster(t)
		createNamespace(ctx, t, c, "rn-shop", nil)
		require.NoError(t, c.ApplyAll(ctx, again.Stdout, true))
	})
}

// subpackageGraft reads conf/app.conf with fromFiles, for the workloads
// of one namespace: kpt runs the root's pipeline over the subpackages'
// resources too.
func subpackageGraft(namespace string) string {
	return `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: conf-` + namespace + `
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  requireReadinessProbe: "off"
  targets:
    namespaces: [` + namespace + `]
  volumes:
    - name: conf
      fromFiles: [conf/app.conf]
      mounts:
        - {containers: [web], mountPath: /etc/app}
`
}

func kptfile(name, exec string) string {
	s := `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: ` + name + `
  annotations:
    config.kubernetes.io/local-config: "true"
`
	if exec != "" {
		s += "pipeline:\n  mutators:\n    - exec: " + exec + "\n      configPath: graft.yaml\n"
	}
	return s
}

const subpackageApp = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.2
`

// TestKptSubpackageFromFiles: kpt runs every exec function in the folder
// kpt was started in. Rendering from the root used to ship the root's
// conf/app.conf into the subpackage's ConfigMap, and rendering from
// another folder failed. fromFiles now resolve against the package that
// holds the functionConfig.
func TestKptSubpackageFromFiles(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	ctx := testCtx(t, 3*time.Minute)
	bin := podgraftBin(t)
	for _, from := range []string{"root", "elsewhere"} {
		t.Run("from "+from, func(t *testing.T) {
			pkg := writePackage(t, map[string]string{
				"Kptfile":                 kptfile("root", bin),
				"graft.yaml":              subpackageGraft("shop"),
				"conf/app.conf":           "the root's\n",
				"app.yaml":                subpackageApp,
				"sub/Kptfile":             kptfile("sub", bin),
				"sub/graft.yaml":          subpackageGraft("sub"),
				"sub/conf/app.conf":       "the subpackage's\n",
				"sub/app.yaml":            strings.Replace(subpackageApp, "namespace: shop", "namespace: sub", 1),
				"elsewhere/conf/app.conf": "the working directory's\n",
			})
			dir := pkg
			if from == "elsewhere" {
				dir = filepath.Join(pkg, "elsewhere")
			}
			res := run(ctx, t, dir, nil, kpt, "fn", "render", "--allow-exec", pkg)
			require.NoError(t, res.Err, res.Output())
			files := readTree(t, pkg)
			var root, sub string
			for name, content := range files {
				if !strings.HasSuffix(name, ".yaml") || strings.Contains(name, "conf/") {
					continue
				}
				for _, d := range parseDocs(t, content) {
					if d.kind() != "ConfigMap" {
						continue
					}
					switch str(d.Obj, "metadata", "namespace") {
					case "shop":
						root = str(d.Obj, "data", "app.conf")
					case "sub":
						sub = str(d.Obj, "data", "app.conf")
						require.True(t, strings.HasPrefix(name, "sub/"), "the subpackage's ConfigMap is written into it: %s", name)
					}
				}
			}
			require.Equal(t, "the root's\n", root)
			require.Equal(t, "the subpackage's\n", sub)
		})
	}
}

// TestKustomizeGeneratorsWarn: a PodGraft listed under generators: gets no
// resources from kustomize. It used to graft nothing and say nothing.
func TestKustomizeGeneratorsWarn(t *testing.T) {
	t.Parallel()
	kustomize := tool(t, "kustomize")
	ctx := testCtx(t, 2*time.Minute)
	graft := `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: edge
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ` + podgraftBin(t) + `
spec:
  requireReadinessProbe: "off"
  sidecars: [{name: nginx, image: nginx:1.27-alpine}]
`
	dir := writePackage(t, map[string]string{
		"kustomization.yaml": "resources: [app.yaml]\ngenerators: [graft.yaml]\n",
		"graft.yaml":         graft,
		"app.yaml":           subpackageApp,
	})
	res := run(ctx, t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.NoError(t, res.Err, res.Output())
	require.NotContains(t, res.Stdout, "nginx", "a generator is given no resources to graft")
	require.Contains(t, res.Stderr, "podgraft: warning: the ResourceList holds only PodGraft configs, nothing to graft")
	require.Contains(t, res.Stderr, "list graft.yaml under transformers:")

	// Under transformers: the same config grafts, and warns about nothing.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources: [app.yaml]\ntransformers: [graft.yaml]\n"), 0o644))
	res = run(ctx, t, dir, nil, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	require.NoError(t, res.Err, res.Output())
	require.Contains(t, res.Stdout, "nginx")
	require.NotContains(t, res.Stderr, "warning")
}

// TestKptConfigWithoutLocalConfigWarns: kpt renders a graft.yaml without
// config.kubernetes.io/local-config as a resource of the package, and kpt
// live apply of the package then fails on kind PodGraft. The render used to
// pass silently.
func TestKptConfigWithoutLocalConfigWarns(t *testing.T) {
	t.Parallel()
	kpt := kptBin(t)
	ctx := testCtx(t, 2*time.Minute)
	graft := strings.Replace(subpackageGraft("shop"), "  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", "", 1)
	require.NotContains(t, graft, "local-config")
	pkg := writePackage(t, map[string]string{
		"Kptfile":       kptfile("root", podgraftBin(t)),
		"graft.yaml":    graft,
		"conf/app.conf": "x\n",
		"app.yaml":      subpackageApp,
	})
	res := run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
	require.NoError(t, res.Err, res.Output())
	require.Contains(t, res.Stderr, `[warning] podgraft.dev/v1alpha1/PodGraft/conf-shop: a PodGraft among the resources is applied with them`)
	require.Contains(t, res.Stderr, `config.kubernetes.io/local-config: "true"`)
	require.Contains(t, readTree(t, pkg)["app.yaml"], "configMap:", "the graft itself still applies")

	// With the annotation, no warning.
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "graft.yaml"), []byte(subpackageGraft("shop")), 0o644))
	res = run(ctx, t, pkg, nil, kpt, "fn", "render", "--allow-exec", pkg)
	require.NoError(t, res.Err, res.Output())
	require.NotContains(t, res.Stderr, "[warning]")
}
