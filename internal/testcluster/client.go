package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// FieldManager is the field manager Apply uses for server-side apply.
const FieldManager = "podgraft-e2e"

// StatusError is a non-2xx answer of the API server. Message is the server's
// own explanation (the metav1.Status message), e.g.
// `Deployment.apps "x" is invalid: spec.template.spec.containers: Required value`.
type StatusError struct {
	Method string
	Path   string
	Code   int    // HTTP status code
	Reason string // metav1.Status reason: Invalid, NotFound, AlreadyExists, ...
	// Message is the Status message, or the raw body when it is not a Status.
	Message string
	Body    []byte
}

func (e *StatusError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = http.StatusText(e.Code)
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Code, reason, e.Message)
}

// IsNotFound reports whether err is a StatusError with code 404.
func IsNotFound(err error) bool { return hasCode(err, http.StatusNotFound) }

// IsAlreadyExists reports whether err is a StatusError with code 409 and
// reason AlreadyExists.
func IsAlreadyExists(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusConflict && se.Reason == "AlreadyExists"
}

// IsInvalid reports whether err is a StatusError with code 422 (the object
// failed validation).
func IsInvalid(err error) bool { return hasCode(err, http.StatusUnprocessableEntity) }

func hasCode(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// Do sends one request to the API server with the bearer token and returns
// the body of a 2xx answer; any other answer is a *StatusError. path is
// absolute and may carry a query ("/api/v1/namespaces?limit=1").
func (c *Cluster) Do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return out, nil
	}
	se := &StatusError{Method: method, Path: path, Code: resp.StatusCode, Body: out, Message: strings.TrimSpace(string(out))}
	var st struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	if json.Unmarshal(out, &st) == nil && st.Kind == "Status" {
		se.Message, se.Reason = st.Message, st.Reason
	}
	return nil, se
}

// ServerVersion returns the API server's gitVersion, e.g. "v1.36.3".
func (c *Cluster) ServerVersion(ctx context.Context) (string, error) {
	b, err := c.Do(ctx, http.MethodGet, "/version", "", nil)
	if err != nil {
		return "", err
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	return v.GitVersion, nil
}

// Create creates the object in one YAML (or JSON) document with POST. With
// dryRun the server runs admission and validation but stores nothing
// (?dryRun=All). Unknown or duplicate fields are errors
// (fieldValidation=Strict), so generated manifests with typos fail loudly. A
// namespaced object without metadata.namespace goes to "default". It returns
// the object as the server answered it.
func (c *Cluster) Create(ctx context.Context, yamlDoc string, dryRun bool) (map[string]any, error) {
	obj, ref, err := c.parse(ctx, yamlDoc)
	if err != nil {
		return nil, err
	}
	q := url.Values{"fieldValidation": {"Strict"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return decodeObject(c.Do(ctx, http.MethodPost, ref.collectionPath()+"?"+q.Encode(), "application/json", body))
}

// Apply creates or updates the object in one YAML document with server-side
// apply (field manager FieldManager, conflicts forced), strict field
// validation, and ?dryRun=All when dryRun is set. It returns the object as the
// server answered it.
func (c *Cluster) Apply(ctx context.Context, yamlDoc string, dryRun bool) (map[string]any, error) {
	obj, ref, err := c.parse(ctx, yamlDoc)
	if err != nil {
		return nil, err
	}
	if ref.name == "" {
		return nil, fmt.Errorf("apply %s: metadata.name is required", ref.kind)
	}
	q := url.Values{"fieldManager": {FieldManager}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return decodeObject(c.Do(ctx, http.MethodPatch, ref.itemPath()+"?"+q.Encode(), "application/apply-patch+yaml", body))
}

// ApplyAll applies every document of a multi-document YAML stream (as helm
// template or kustomize build print it) in order, skipping empty documents.
// It stops at the first error, which names the document's kind and name.
func (c *Cluster) ApplyAll(ctx context.Context, stream string, dryRun bool) error {
	for i, doc := range SplitYAML(stream) {
		if _, err := c.Apply(ctx, doc, dryRun); err != nil {
			return fmt.Errorf("document %d (%s): %w", i, describe(doc), err)
		}
	}
	return nil
}

// Get fetches one object. namespace is ignored for cluster-scoped kinds and
// defaults to "default" for namespaced ones. A missing object gives an error
// for which IsNotFound is true.
func (c *Cluster) Get(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	ref, err := c.ref(ctx, apiVersion, kind, namespace, name)
	if err != nil {
		return nil, err
	}
	return decodeObject(c.Do(ctx, http.MethodGet, ref.itemPath(), "", nil))
}

// List returns the objects of a kind. For namespaced kinds an empty namespace
// lists all namespaces. labelSelector ("app=x,tier!=db") may be empty.
func (c *Cluster) List(ctx context.Context, apiVersion, kind, namespace, labelSelector string) ([]map[string]any, error) {
	res, err := c.resourceFor(ctx, apiVersion, kind)
	if err != nil {
		return nil, err
	}
	ref := objectRef{apiVersion: apiVersion, kind: kind, res: res}
	if res.Namespaced {
		ref.namespace = namespace // "" means all namespaces here
	}
	path := ref.collectionPath()
	if labelSelector != "" {
		path += "?" + url.Values{"labelSelector": {labelSelector}}.Encode()
	}
	b, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Delete deletes one object (background propagation). Deleting a missing
// object gives an error for which IsNotFound is true.
func (c *Cluster) Delete(ctx context.Context, apiVersion, kind, namespace, name string) error {
	ref, err := c.ref(ctx, apiVersion, kind, namespace, name)
	if err != nil {
		return err
	}
	_, err = c.Do(ctx, http.MethodDelete, ref.itemPath()+"?propagationPolicy=Background", "", nil)
	return err
}

// CreateNamespace creates a namespace with the given labels (may be nil).
func (c *Cluster) CreateNamespace(ctx context.Context, name string, labels map[string]string) error {
	obj := map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata":   map[string]any{"name": name, "labels": labels},
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	_, err = c.Create(ctx, string(b), false)
	return err
}

// objectRef locates an object or a collection in the REST API.
type objectRef struct {
	apiVersion, kind, namespace, name string
	res                               apiResource
}

func (r objectRef) collectionPath() string {
	p := "/apis/" + r.apiVersion
	if !strings.Contains(r.apiVersion, "/") {
		p = "/api/" + r.apiVersion // the core group
	}
	if r.res.Namespaced && r.namespace != "" {
		p += "/namespaces/" + url.PathEscape(r.namespace)
	}
	return p + "/" + r.res.Name
}

func (r objectRef) itemPath() string {
	return r.collectionPath() + "/" + url.PathEscape(r.name)
}

func (c *Cluster) ref(ctx context.Context, apiVersion, kind, namespace, name string) (objectRef, error) {
	res, err := c.resourceFor(ctx, apiVersion, kind)
	if err != nil {
		return objectRef{}, err
	}
	r := objectRef{apiVersion: apiVersion, kind: kind, name: name, res: res}
	if res.Namespaced {
		r.namespace = namespace
		if r.namespace == "" {
			r.namespace = "default"
		}
	}
	return r, nil
}

// parse converts one YAML document to an object and locates it.
func (c *Cluster) parse(ctx context.Context, yamlDoc string) (map[string]any, objectRef, error) {
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(yamlDoc), &obj); err != nil {
		return nil, objectRef{}, fmt.Errorf("parse object: %w", err)
	}
	if obj == nil {
		return nil, objectRef{}, errors.New("parse object: empty document")
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion == "" || kind == "" {
		return nil, objectRef{}, errors.New("parse object: apiVersion and kind are required")
	}
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	ref, err := c.ref(ctx, apiVersion, kind, ns, name)
	return obj, ref, err
}

func decodeObject(b []byte, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	return obj, nil
}

// apiResource is the part of a metav1.APIResource the harness needs.
type apiResource struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// resourceFor maps apiVersion+kind to its REST resource through API
// discovery (GET /api/v1 or /apis/<group>/<version>), cached per group
// version. A miss refreshes the cache for a few seconds, so that kinds of a
// CRD created just before are found once the CRD is established.
func (c *Cluster) resourceFor(ctx context.Context, apiVersion, kind string) (apiResource, error) {
	deadline := time.Now().Add(10 * time.Second)
	for refresh := false; ; refresh = true {
		resources, err := c.discover(ctx, apiVersion, refresh)
		if err != nil && !IsNotFound(err) {
			return apiResource{}, err
		}
		for _, r := range resources {
			if r.Kind == kind && !strings.Contains(r.Name, "/") { // skip subresources
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return apiResource{}, fmt.Errorf("apiVersion %s is not served by the cluster (%s)", apiVersion, c.servedGroupVersions(ctx))
			}
			return apiResource{}, fmt.Errorf("kind %s is not served in %s", kind, apiVersion)
		}
		select {
		case <-ctx.Done():
			return apiResource{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *Cluster) discover(ctx context.Context, apiVersion string, refresh bool) ([]apiResource, error) {
	c.mu.Lock()
	cached, ok := c.discovery[apiVersion]
	c.mu.Unlock()
	if ok && !refresh {
		return cached, nil
	}
	path := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		path = "/api/" + apiVersion
	}
	b, err := c.Do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Resources []apiResource `json:"resources"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("decode discovery %s: %w", path, err)
	}
	c.mu.Lock()
	c.discovery[apiVersion] = list.Resources
	c.mu.Unlock()
	return list.Resources, nil
}

// servedGroupVersions lists the group versions of GET /apis, for error messages.
func (c *Cluster) servedGroupVersions(ctx context.Context) string {
	b, err := c.Do(ctx, http.MethodGet, "/apis", "", nil)
	if err != nil {
		return "listing served groups failed: " + err.Error()
	}
	var groups struct {
		Groups []struct {
			Versions []struct {
				GroupVersion string `json:"groupVersion"`
			} `json:"versions"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(b, &groups); err != nil {
		return err.Error()
	}
	gvs := []string{"v1"}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			gvs = append(gvs, v.GroupVersion)
		}
	}
	return "served: " + strings.Join(gvs, ", ")
}

// SplitYAML splits a multi-document YAML stream on "---" separator lines and
// drops documents that hold only whitespace and comments.
func SplitYAML(stream string) []string {
	var docs []string
	var cur strings.Builder
	flush := func() {
		doc := cur.String()
		cur.Reset()
		for _, line := range strings.Split(doc, "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "#") {
				docs = append(docs, doc)
				return
			}
		}
	}
	for _, line := range strings.SplitAfter(stream, "\n") {
		trimmed := strings.TrimRight(line, " \t\r\n")
		if trimmed == "---" || strings.HasPrefix(trimmed, "--- ") || strings.HasPrefix(trimmed, "---\t") {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// describe names a document for error messages: "Kind namespace/name".
func describe(doc string) string {
	var obj struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		return "unparsable"
	}
	name := obj.Metadata.Name
	if obj.Metadata.Namespace != "" {
		name = obj.Metadata.Namespace + "/" + name
	}
	return strings.TrimSpace(obj.Kind + " " + name)
}
