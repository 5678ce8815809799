package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Outcomes of a review, the label of the requests metric.
const (
	outcomePatched   = "patched"   // the Pod was grafted
	outcomeUnchanged = "unchanged" // nothing to graft (untargeted, opted out, already grafted)
	outcomeSkipped   = "skipped"   // not a Pod CREATE, or a mirror Pod
	outcomeDenied    = "denied"    // the graft failed and --on-error=deny
	outcomeAllowed   = "error_allowed"
	outcomeInvalid   = "invalid" // not an AdmissionReview v1
	outcomeShed      = "shed"    // overloaded: answered 503 within the deadline
)

// Error policies for a graft that cannot be applied.
const (
	onErrorDeny  = "deny"
	onErrorAllow = "allow"
)

// reviewer answers AdmissionReviews with the engine of the moment.
type reviewer struct {
	engine func() *engine
	// onError is onErrorDeny or onErrorAllow.
	onError string
	// generatedNamespaces are where `podgraft generate` output was
	// applied; "*" is every namespace.
	generatedNamespaces []string
	// cache holds recent grafts; nil grafts every review.
	cache *graftCache
}

// review decodes one AdmissionReview and answers it. A body that is not an
// AdmissionReview v1 with a request is an error with its HTTP status.
func (rv *reviewer) review(body []byte) (answer []byte, outcome string, err error) {
	var in admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, outcomeInvalid, &httpError{http.StatusBadRequest, "the body is not an AdmissionReview: " + err.Error()}
	}
	if in.APIVersion != admissionv1.SchemeGroupVersion.String() || in.Kind != "AdmissionReview" {
		return nil, outcomeInvalid, &httpError{http.StatusBadRequest, fmt.Sprintf("expected an AdmissionReview of apiVersion %s, got kind %q of apiVersion %q (set admissionReviewVersions: [v1])",
			admissionv1.SchemeGroupVersion, in.Kind, in.APIVersion)}
	}
	if in.Request == nil {
		return nil, outcomeInvalid, &httpError{http.StatusBadRequest, "the AdmissionReview has no request"}
	}
	resp, outcome := rv.admit(in.Request)
	resp.UID = in.Request.UID
	out := admissionv1.AdmissionReview{TypeMeta: in.TypeMeta, Response: resp}
	answer, err = json.Marshal(out)
	if err != nil {
		return nil, outcomeInvalid, err
	}
	return answer, outcome, nil
}

// admit grafts the Pod of a CREATE request and answers with the JSONPatch
// from the request's object to the grafted one. A dry run is answered the
// same way: grafting has no side effects.
func (rv *reviewer) admit(req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, string) {
	allow := &admissionv1.AdmissionResponse{Allowed: true}
	if req.Kind.Group != "" || req.Kind.Kind != "Pod" || req.Operation != admissionv1.Create || req.SubResource != "" {
		return allow, outcomeSkipped
	}
	patch, warnings, err := rv.patch(req.Namespace, req.Object.Raw)
	if errors.Is(err, errMirrorPod) {
		return allow, outcomeSkipped
	}
	if err != nil {
		if rv.onError == onErrorAllow {
			allow.Warnings = append(slices.Clip(warnings), "podgraft: the Pod was admitted without its grafts (--on-error=allow): "+err.Error())
			return allow, outcomeAllowed
		}
		return &admissionv1.AdmissionResponse{
			Allowed:  false,
			Warnings: warnings,
			Result: &metav1.Status{
				Status:  metav1.StatusFailure,
				Code:    http.StatusForbidden,
				Reason:  metav1.StatusReasonForbidden,
				Message: err.Error(),
			},
		}, outcomeDenied
	}
	allow.Warnings = warnings
	if patch == nil {
		return allow, outcomeUnchanged
	}
	pt := admissionv1.PatchTypeJSONPatch
	allow.Patch, allow.PatchType = patch, &pt
	return allow, outcomePatched
}

// patch grafts the Pod and returns the JSONPatch from the request's object
// to the grafted one, or nil when there is nothing to change.
func (rv *reviewer) patch(namespace string, raw []byte) ([]byte, []string, error) {
	res, warnings, err := rv.graftPod(namespace, raw)
	if err != nil || res.patch != nil || res.doc == nil {
		return res.patch, warnings, err
	}
	ops, err := jsonpatch.CreatePatch(raw, res.doc)
	if err != nil {
		return nil, warnings, fmt.Errorf("computing the patch: %w", err)
	}
	if len(ops) == 0 {
		return nil, warnings, nil
	}
	patch, err := json.Marshal(ops)
	return patch, warnings, err
}

var errMirrorPod = errors.New("a mirror Pod")

// graftPod grafts a Pod (JSON, as the request carries it) in namespace. It
// returns the patch or the grafted Pod (see graftResult), and the warnings
// for the response.
func (rv *reviewer) graftPod(namespace string, podJSON []byte) (graftResult, []string, error) {
	root, meta, err := readPod(podJSON)
	if err != nil {
		return graftResult{}, nil, err
	}
	if _, ok := meta.Annotations[mirrorAnnotation]; ok {
		return graftResult{}, nil, errMirrorPod
	}
	e := rv.engine()
	w := workloadOf(meta, e.templatePaths)
	res, err := rv.cache.graft(e, namespace, podJSON, func() (graftResult, error) {
		return e.graftPod(root, podJSON, w, namespace)
	})
	warnings := slices.Clip(res.warnings) // a cached result is shared: appending must not write into it
	if err != nil {
		return graftResult{}, warnings, err
	}
	if len(res.generated) > 0 && !rv.generatedIn(namespace) {
		warnings = append(warnings, fmt.Sprintf("podgraft: the Pod mounts %s, which admission cannot create: apply the output of `podgraft generate --namespace %s` with the webhook's configs (and add %s to the webhook's --generated-namespaces)",
			strings.Join(res.generated, ", "), namespace, namespace))
	}
	return res, warnings, nil
}

// readPod reads the request's Pod: as a node tree when the node path can
// take it (nil otherwise), and the metadata that decides what it is
// grafted as.
func readPod(podJSON []byte) (*yaml.Node, podMeta, error) {
	root, err := parseJSONNode(podJSON)
	if err != nil || root.Kind != yaml.MappingNode {
		root = nil
	} else if meta, ok := podMetaOf(root); ok {
		return root, meta, nil
	}
	// Whatever the nodes do not read plainly, encoding/json reads, and
	// words the errors.
	var pod object
	if err := json.Unmarshal(podJSON, &pod); err != nil {
		return nil, podMeta{}, fmt.Errorf("the request's object is not a JSON object: %w", err)
	}
	var meta podMeta
	if raw, ok := pod["metadata"]; ok {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, podMeta{}, fmt.Errorf("metadata: %w", err)
		}
	}
	return root, meta, nil
}

func (rv *reviewer) generatedIn(namespace string) bool {
	return slices.Contains(rv.generatedNamespaces, namespace) || slices.Contains(rv.generatedNamespaces, "*")
}

// httpError is a request the webhook cannot answer with an AdmissionReview.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }
