package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/fn"
	"github.com/podgraft/podgraft/internal/guard"
)

// A Pod of the Deployment "web", as its ReplicaSet creates it: no name yet,
// the controlling owner set, the pod-template-hash label. Its spec carries
// a field no Kubernetes version has, which the webhook must keep.
const deploymentPod = `{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "generateName": "web-5d8f6c7b9-",
    "labels": {"app": "web", "pod-template-hash": "5d8f6c7b9"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f6c7b9", "uid": "1", "controller": true}]
  },
  "spec": {
    "containers": [{"name": "web", "image": "shop/web:1.0", "ports": [{"name": "http", "containerPort": 3000}], "futureField": {"x": 1}}],
    "someFutureSpecField": true
  }
}`

func podWith(t *testing.T, base string, edit func(pod map[string]any)) string {
	t.Helper()
	var pod map[string]any
	require.NoError(t, json.Unmarshal([]byte(base), &pod))
	edit(pod)
	b, err := json.Marshal(pod)
	require.NoError(t, err)
	return string(b)
}

func meta(pod map[string]any) map[string]any { return pod["metadata"].(map[string]any) }

// newReviewer loads configs from testdata.
func newReviewer(t *testing.T, onError string, configs ...string) *reviewer {
	t.Helper()
	var files []string
	for _, c := range configs {
		files = append(files, filepath.Join("testdata", c))
	}
	e, err := loadEngine(files)
	require.NoError(t, err)
	return &reviewer{engine: func() *engine { return e }, onError: onError}
}

type reviewCase struct {
	namespace string
	operation admissionv1.Operation
	kind      string
	dryRun    bool
}

func reviewBody(t testing.TB, pod string, c reviewCase) []byte {
	t.Helper()
	if c.operation == "" {
		c.operation = admissionv1.Create
	}
	if c.kind == "" {
		c.kind = "Pod"
	}
	if c.namespace == "" {
		c.namespace = "shop"
	}
	req := map[string]any{
		"uid":       "705ab4f5-6393-11e8-b7cc-42010a800002",
		"kind":      map[string]any{"group": "", "version": "v1", "kind": c.kind},
		"resource":  map[string]any{"group": "", "version": "v1", "resource": "pods"},
		"namespace": c.namespace,
		"operation": string(c.operation),
		"userInfo":  map[string]any{"username": "system:serviceaccount:kube-system:replicaset-controller"},
		"object":    json.RawMessage(pod),
		"dryRun":    c.dryRun,
	}
	b, err := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
	require.NoError(t, err)
	return b
}

// admitted reviews pod and returns the response and the Pod with the
// response's patch applied.
func admitted(t *testing.T, rv *reviewer, pod string, c reviewCase) (*admissionv1.AdmissionResponse, string, string) {
	t.Helper()
	answer, outcome, err := rv.review(reviewBody(t, pod, c))
	require.NoError(t, err)
	var out admissionv1.AdmissionReview
	require.NoError(t, json.Unmarshal(answer, &out))
	require.Equal(t, "admission.k8s.io/v1", out.APIVersion)
	require.Equal(t, "AdmissionReview", out.Kind)
	require.NotNil(t, out.Response)
	require.Equal(t, "705ab4f5-6393-11e8-b7cc-42010a800002", string(out.Response.UID))
	result := pod
	if out.Response.Patch != nil {
		require.NotNil(t, out.Response.PatchType)
		require.Equal(t, admissionv1.PatchTypeJSONPatch, *out.Response.PatchType)
		p, err := jsonpatch.DecodePatch(out.Response.Patch)
		require.NoError(t, err, "patch: %s", out.Response.Patch)
		b, err := p.Apply([]byte(pod))
		require.NoError(t, err, "patch: %s", out.Response.Patch)
		result = string(b)
	}
	return out.Response, outcome, result
}

type podView struct {
	Metadata struct {
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		InitContainers []map[string]any `json:"initContainers"`
		Containers     []map[string]any `json:"containers"`
		Volumes        []map[string]any `json:"volumes"`
		Future         *bool            `json:"someFutureSpecField"`
	} `json:"spec"`
}

func view(t *testing.T, pod string) podView {
	t.Helper()
	var v podView
	require.NoError(t, json.Unmarshal([]byte(pod), &v))
	return v
}

func names(cs []map[string]any) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c["name"].(string))
	}
	return out
}

func TestReviewGraftsPods(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml")
	bare := podWith(t, deploymentPod, func(p map[string]any) {
		m := meta(p)
		delete(m, "ownerReferences")
		delete(m, "generateName")
		m["name"] = "edge-1"
	})
	cronPod := podWith(t, deploymentPod, func(p map[string]any) {
		meta(p)["ownerReferences"] = []any{map[string]any{"apiVersion": "batch/v1", "kind": "Job", "name": "nightly-29412345", "uid": "2", "controller": true}}
	})
	for name, tc := range map[string]struct {
		pod     string
		ns      string
		grafted bool
		warning string
	}{
		"a ReplicaSet named <deployment>-<pod-template-hash> counts as the Deployment": {pod: deploymentPod, grafted: true},
		"a Job named by a CronJob counts as the CronJob":                               {pod: cronPod, grafted: true},
		"a bare Pod is grafted as itself":                                              {pod: bare, grafted: true},
		"a ReplicaSet not named after the hash counts as itself": {pod: podWith(t, deploymentPod, func(p map[string]any) {
			meta(p)["labels"].(map[string]any)["pod-template-hash"] = "other"
		})},
		"a Job not named by a CronJob counts as itself": {pod: podWith(t, cronPod, func(p map[string]any) {
			meta(p)["ownerReferences"].([]any)[0].(map[string]any)["name"] = "nightly-manual"
		})},
		"an owner that is not the controller does not count": {pod: podWith(t, deploymentPod, func(p map[string]any) {
			meta(p)["ownerReferences"].([]any)[0].(map[string]any)["controller"] = false
		})},
		"an untargeted namespace": {pod: deploymentPod, ns: "other"},
		"a Pod that opts out": {pod: podWith(t, deploymentPod, func(p map[string]any) {
			meta(p)["annotations"] = map[string]any{"podgraft.dev/inject": "false"}
		}), warning: `podgraft: Deployment shop/web: metadata.annotations: skipped by edge: annotated podgraft.dev/inject: "false"`},
		"a mirror Pod is left alone": {pod: podWith(t, bare, func(p map[string]any) {
			meta(p)["annotations"] = map[string]any{"kubernetes.io/config.mirror": "abc"}
		})},
	} {
		t.Run(name, func(t *testing.T) {
			resp, outcome, result := admitted(t, rv, tc.pod, reviewCase{namespace: tc.ns})
			require.True(t, resp.Allowed)
			if tc.warning != "" {
				require.Contains(t, resp.Warnings, tc.warning)
			}
			v := view(t, result)
			if !tc.grafted {
				require.Nil(t, resp.Patch)
				require.Contains(t, []string{outcomeUnchanged, outcomeSkipped}, outcome)
				require.JSONEq(t, tc.pod, result)
				return
			}
			require.Equal(t, outcomePatched, outcome)
			require.Equal(t, []string{"migrate", "proxy"}, names(v.Spec.InitContainers))
			require.Equal(t, []string{"web"}, names(v.Spec.Containers))
			require.Equal(t, "shop/web:1.0", v.Spec.InitContainers[0]["image"], "imageFrom: web")
			require.Equal(t, "Always", v.Spec.InitContainers[1]["restartPolicy"], "a native sidecar")
			require.Contains(t, v.Spec.Containers[0], "readinessProbe")
			require.Equal(t, map[string]any{"x": float64(1)}, v.Spec.Containers[0]["futureField"], "a container field this build does not know survives")
			require.NotNil(t, v.Spec.Future, "a pod spec field this build does not know survives")
			require.Contains(t, v.Metadata.Annotations["podgraft.dev/grafts"], `"edge":{"hash":`)
			require.Empty(t, v.Metadata.Namespace, "the namespace comes from the request and is not written into the Pod")

			// Reinvocation, or a Pod grafted before: nothing to do.
			again, outcome, same := admitted(t, rv, result, reviewCase{namespace: tc.ns})
			require.Nil(t, again.Patch)
			require.Equal(t, outcomeUnchanged, outcome)
			require.JSONEq(t, result, same)
		})
	}
}

func TestReviewDryRunIsServedTheSame(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml")
	wet, _, wetPod := admitted(t, rv, deploymentPod, reviewCase{})
	dry, _, dryPod := admitted(t, rv, deploymentPod, reviewCase{dryRun: true})
	require.NotNil(t, dry.Patch)
	require.NotNil(t, wet.Patch)
	require.JSONEq(t, wetPod, dryPod)
}

func TestReviewSkipsWhatIsNotAPodCreate(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml")
	for name, c := range map[string]reviewCase{
		"UPDATE":         {operation: admissionv1.Update},
		"DELETE":         {operation: admissionv1.Delete},
		"not a Pod":      {kind: "Service"},
		"CONNECT":        {operation: admissionv1.Connect},
		"dry-run UPDATE": {operation: admissionv1.Update, dryRun: true},
	} {
		t.Run(name, func(t *testing.T) {
			resp, outcome, _ := admitted(t, rv, deploymentPod, c)
			require.True(t, resp.Allowed)
			require.Nil(t, resp.Patch)
			require.Equal(t, outcomeSkipped, outcome)
		})
	}
}

// A graft that cannot be applied follows --on-error.
func TestReviewOnError(t *testing.T) {
	conflicting := podWith(t, deploymentPod, func(p map[string]any) {
		spec := p["spec"].(map[string]any)
		spec["containers"] = append(spec["containers"].([]any), map[string]any{"name": "proxy", "image": "their/proxy"})
	})
	want := `podgraft: Deployment shop/web: spec.template.spec.containers[1]: edge cannot graft container "proxy": the name is already used by a container podgraft did not graft`

	deny := newReviewer(t, onErrorDeny, "graft.yaml")
	resp, outcome, result := admitted(t, deny, conflicting, reviewCase{})
	require.False(t, resp.Allowed)
	require.Equal(t, outcomeDenied, outcome)
	require.NotNil(t, resp.Result)
	require.Equal(t, int32(403), resp.Result.Code)
	require.Contains(t, resp.Result.Message, want)
	require.Nil(t, resp.Patch)
	require.JSONEq(t, conflicting, result)

	allow := newReviewer(t, onErrorAllow, "graft.yaml")
	resp, outcome, result = admitted(t, allow, conflicting, reviewCase{})
	require.True(t, resp.Allowed)
	require.Equal(t, outcomeAllowed, outcome)
	require.Nil(t, resp.Patch)
	require.JSONEq(t, conflicting, result, "admitted ungrafted")
	require.Len(t, resp.Warnings, 1)
	require.Contains(t, resp.Warnings[0], "podgraft: the Pod was admitted without its grafts (--on-error=allow): ")
	require.Contains(t, resp.Warnings[0], want)
}

func TestReviewRejectsWhatIsNotAnAdmissionReviewV1(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "graft.yaml")
	for name, tc := range map[string]struct{ body, want string }{
		"not JSON":     {`{`, "the body is not an AdmissionReview"},
		"v1beta1":      {`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}`, `expected an AdmissionReview of apiVersion admission.k8s.io/v1, got kind "AdmissionReview" of apiVersion "admission.k8s.io/v1beta1"`},
		"no request":   {`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "the AdmissionReview has no request"},
		"another kind": {`{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}`, `got kind "Pod"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, outcome, err := rv.review([]byte(tc.body))
			require.Error(t, err)
			require.Equal(t, outcomeInvalid, outcome)
			var he *httpError
			require.ErrorAs(t, err, &he)
			require.Equal(t, 400, he.code)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	// An object that is not a Pod's JSON is the graft's error: it follows
	// --on-error, and never panics.
	resp, outcome, _ := admitted(t, rv, `{"apiVersion":"v1","kind":"Pod","metadata":"web","spec":{}}`, reviewCase{})
	require.False(t, resp.Allowed)
	require.Equal(t, outcomeDenied, outcome)
}

// Generated ConfigMaps are mounted by name; a namespace the generated
// resources were not applied to gets a warning.
func TestReviewGeneratedResources(t *testing.T) {
	rv := newReviewer(t, onErrorDeny, "files.yaml")
	resp, _, result := admitted(t, rv, deploymentPod, reviewCase{})
	v := view(t, result)
	require.Len(t, v.Spec.Volumes, 1)
	cm := v.Spec.Volumes[0]["configMap"].(map[string]any)["name"].(string)
	require.Regexp(t, `^conf-nginx-[0-9a-f]{10}$`, cm)
	require.Len(t, resp.Warnings, 1)
	require.Equal(t, "podgraft: the Pod mounts ConfigMap shop/"+cm+", which admission cannot create: apply the output of `podgraft generate --namespace shop` with the webhook's configs (and add shop to the webhook's --generated-namespaces)", resp.Warnings[0])

	rv.generatedNamespaces = []string{"shop"}
	resp, _, _ = admitted(t, rv, deploymentPod, reviewCase{})
	require.Empty(t, resp.Warnings)
	rv.generatedNamespaces = []string{"*"}
	resp, _, _ = admitted(t, rv, deploymentPod, reviewCase{})
	require.Empty(t, resp.Warnings)

	// podgraft generate prints exactly the ConfigMap the Pod mounts.
	configs, err := fn.LoadConfigFiles([]string{"testdata/files.yaml"}, guard.Limits{})
	require.NoError(t, err)
	out, _, err := fn.Generate(configs, []string{"shop"})
	require.NoError(t, err)
	require.Contains(t, string(out), "name: "+cm+"\n  namespace: shop\n")
}

// The same pod template grafted at render time (podgraft -c on the
// Deployment) and at admission (the webhook on one of its Pods) gives the
// same pod spec and the same graft record.
func TestRenderTimeAndAdmissionTimeAgree(t *testing.T) {
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          ports: [{name: http, containerPort: 3000}]
`
	configs, err := fn.LoadConfigFiles([]string{"testdata/graft.yaml", "testdata/files.yaml"}, guard.Limits{})
	require.NoError(t, err)
	e, err := fn.NewEngine(configs, fn.Options{})
	require.NoError(t, err)
	rendered, results, err := fn.RunStream(fn.Options{}, e, []fn.Input{{Name: "deployment.yaml", Reader: strings.NewReader(deployment)}})
	require.NoError(t, err)
	require.Zero(t, results.ExitCode(), "%v", results)
	first, _, _ := strings.Cut(string(rendered), "\n---\n")
	var d struct {
		Spec struct {
			Template json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	require.NoError(t, sigsyaml.Unmarshal([]byte(first), &d))
	var tmpl struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	require.NoError(t, json.Unmarshal(d.Spec.Template, &tmpl))

	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-7c9d-","labels":{"app":"web","pod-template-hash":"7c9d"},` +
		`"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7c9d","uid":"1","controller":true}]},` +
		`"spec":{"containers":[{"name":"web","image":"shop/web:1.0","ports":[{"name":"http","containerPort":3000}]}]}}`
	rv := newReviewer(t, onErrorDeny, "graft.yaml", "files.yaml")
	_, _, result := admitted(t, rv, pod, reviewCase{})
	var admittedPod struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	require.NoError(t, json.Unmarshal([]byte(result), &admittedPod))
	require.JSONEq(t, string(tmpl.Spec), string(admittedPod.Spec))
	require.Equal(t, tmpl.Metadata.Annotations, admittedPod.Metadata.Annotations)
}

func TestLoadEngineRefusesWhatAdmissionCannotDo(t *testing.T) {
	for file, want := range map[string]string{
		"fronts.yaml":     "PodGraft fronted (testdata/fronts.yaml, document 1): spec.sidecars[0].fronts: the webhook sees Pods, not Services",
		"perreplica.yaml": "PodGraft data (testdata/perreplica.yaml, document 1): spec.volumes[0].claim.perReplica: a StatefulSet's volumeClaimTemplates cannot be added to its Pods at admission",
	} {
		t.Run(file, func(t *testing.T) {
			_, err := loadEngine([]string{filepath.Join("testdata", file)})
			require.Error(t, err)
			require.Contains(t, err.Error(), want)
		})
	}
	_, err := loadEngine([]string{"testdata/graft.yaml", "testdata/graft.yaml"})
	require.ErrorContains(t, err, `metadata.name: Duplicate value: "edge"`)
}

func TestConfigFiles(t *testing.T) {
	dir := t.TempDir()
	// A ConfigMap volume: files are links into a hidden, timestamped folder.
	data := filepath.Join(dir, "..2026_11_01_00_00_00.000000000")
	require.NoError(t, os.Mkdir(data, 0o755))
	for _, f := range []string{"b.yaml", "a.yml", "c.json", "notes.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(data, f), []byte("x"), 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")))
	for _, f := range []string{"b.yaml", "a.yml", "c.json", "notes.txt"} {
		require.NoError(t, os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)))
	}
	require.NoError(t, os.Symlink("missing.yaml", filepath.Join(dir, "dangling.yaml")))
	files, err := configFiles([]string{dir, "testdata/graft.yaml"})
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yaml"), filepath.Join(dir, "c.json"), "testdata/graft.yaml"}, files)

	_, err = configFiles([]string{t.TempDir()})
	require.ErrorContains(t, err, "the folder holds no PodGraft files")
	_, err = configFiles([]string{filepath.Join(dir, "nope")})
	require.ErrorContains(t, err, "no such file or directory")
}

func TestDescribeDoc(t *testing.T) {
	for raw, want := range map[string]string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-b-0123456789\n  namespace: shop\n  labels:\n    name: no\ndata:\n  name: x\n": "ConfigMap shop/a-b-0123456789",
		"apiVersion: v1\r\nkind: PersistentVolumeClaim\r\nmetadata:\r\n  namespace: shop\r\n  name: data\r\n":                                "PersistentVolumeClaim shop/data",
		`{"kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}`:                                                                    "Secret n/s",
	} {
		require.Equal(t, want, describeDoc([]byte(raw)))
	}
}

// The cache answers an identical Pod as the engine does, and never with
// the result of other configs.
func TestGraftCache(t *testing.T) {
	cache := newGraftCache(2)
	plain := newReviewer(t, onErrorDeny, "graft.yaml")
	cached := newReviewer(t, onErrorDeny, "graft.yaml")
	cached.cache = cache
	_, _, want := admitted(t, plain, deploymentPod, reviewCase{})
	for range 3 {
		_, outcome, got := admitted(t, cached, deploymentPod, reviewCase{})
		require.Equal(t, outcomePatched, outcome)
		require.JSONEq(t, want, got)
	}
	// The same cache under a reloaded, different config.
	other := newReviewer(t, onErrorDeny, "files.yaml")
	other.cache = cache
	_, _, got := admitted(t, other, deploymentPod, reviewCase{})
	require.NotContains(t, got, `"proxy"`)
	require.Contains(t, got, `conf-nginx-`)
	// Bounded: at most twice its size.
	for i := range 10 {
		_, _, _ = admitted(t, cached, podWith(t, deploymentPod, func(p map[string]any) {
			meta(p)["annotations"] = map[string]any{"n": strconv.Itoa(i)}
		}), reviewCase{})
	}
	require.LessOrEqual(t, len(cache.cur)+len(cache.old), 4)
	// Errors are remembered too, and still follow --on-error.
	conflicting := podWith(t, deploymentPod, func(p map[string]any) {
		spec := p["spec"].(map[string]any)
		spec["containers"] = append(spec["containers"].([]any), map[string]any{"name": "proxy", "image": "x"})
	})
	for range 2 {
		resp, outcome, _ := admitted(t, cached, conflicting, reviewCase{})
		require.False(t, resp.Allowed)
		require.Equal(t, outcomeDenied, outcome)
	}
}
