package webhook

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzReview: whatever the body, a review never panics, and an answer
// that carries a patch carries one that applies to the request's object.
func FuzzReview(f *testing.F) {
	e, err := loadEngine([]string{"testdata/graft.yaml", "testdata/files.yaml"})
	if err != nil {
		f.Fatal(err)
	}
	rv := &reviewer{engine: func() *engine { return e }, onError: onErrorDeny}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"kind":"Pod"},"namespace":"shop","operation":"CREATE","object":` + deploymentPod + `}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"operation":"CREATE","object":{"metadata":{"ownerReferences":[{"kind":"Job","apiVersion":"batch/v1","name":"nightly-12345678","controller":true}]},"spec":[]}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"operation":"CREATE","object":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		answer, _, err := rv.review(body)
		if err != nil {
			return
		}
		var in, out admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("answered a body that does not decode: %v", err)
		}
		if err := json.Unmarshal(answer, &out); err != nil || out.Response == nil {
			t.Fatalf("the answer is not a review: %v %s", err, answer)
		}
		if out.Response.Patch == nil {
			return
		}
		p, err := jsonpatch.DecodePatch(out.Response.Patch)
		if err != nil {
			t.Fatalf("bad patch %s: %v", out.Response.Patch, err)
		}
		if _, err := p.Apply(in.Request.Object.Raw); err != nil {
			t.Fatalf("the patch does not apply: %v\npatch: %s\nobject: %s", err, out.Response.Patch, in.Request.Object.Raw)
		}
	})
}
