// Package transformers holds podgraft's kio.Filters, one per concern. Each
// is a small value type that works on *yaml.RNode in place, so comments,
// key order and untouched fields survive.
package transformers

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Ref identifies a resource for results and errors. It reads the nodes
// itself rather than with kyaml's getters, which panic on some malformed
// metadata, since errors about malformed resources need it too.
func Ref(r *yaml.RNode) *yaml.ResourceIdentifier {
	y := r.YNode()
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: scalarValue(lookup(y, "apiVersion")), Kind: scalarValue(lookup(y, "kind"))},
		NameMeta: yaml.NameMeta{Name: metaString(y, "name"), Namespace: metaString(y, "namespace")},
	}
}

// Describe names a resource the way messages do: "Deployment shop/web".
func Describe(r *yaml.RNode) string {
	return DescribeRef(Ref(r))
}

// DescribeRef is Describe for an identifier.
func DescribeRef(id *yaml.ResourceIdentifier) string {
	if id == nil {
		return "(unknown resource)"
	}
	kind := id.Kind
	if kind == "" {
		kind = "(no kind)"
	}
	name := id.Name
	if name == "" {
		name = "(no name)"
	}
	if id.Namespace == "" {
		return kind + " " + name
	}
	return kind + " " + id.Namespace + "/" + name
}

// Results collects the results of one run. Filters share it by pointer.
type Results struct {
	Items framework.Results
}

// Add records a result about a resource.
func (rs *Results) Add(sev framework.Severity, r *yaml.RNode, fieldPath, format string, args ...any) {
	if rs == nil {
		return
	}
	res := &framework.Result{Severity: sev, Message: fmt.Sprintf(format, args...)}
	if r != nil {
		res.ResourceRef = Ref(r)
	}
	if fieldPath != "" {
		res.Field = &framework.Field{Path: fieldPath}
	}
	rs.Items = append(rs.Items, res)
}

// HasErrors reports whether any error result was recorded.
func (rs *Results) HasErrors() bool {
	for _, r := range rs.Items {
		if r.Severity == framework.Error {
			return true
		}
	}
	return false
}

// ErrorList gathers error results about resources so that a filter can
// report every problem it found, not only the first, and still fail.
type ErrorList struct{ framework.Results }

// Addf adds an error naming the resource and the field.
func (el *ErrorList) Addf(r *yaml.RNode, fieldPath, format string, args ...any) {
	res := &framework.Result{Severity: framework.Error, Message: fmt.Sprintf(format, args...)}
	if r != nil {
		res.ResourceRef = Ref(r)
	}
	if fieldPath != "" {
		res.Field = &framework.Field{Path: fieldPath}
	}
	el.Results = append(el.Results, res)
}

// Err returns nil when empty, else the list as an error.
func (el *ErrorList) Err() error {
	if len(el.Results) == 0 {
		return nil
	}
	return el.Results
}

// FieldPath joins path segments the way Kubernetes prints them:
// spec.template.spec.containers[1].name.
func FieldPath(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Touched is the set of resources a run changed. The stream runner uses it
// to copy every other document through as its original bytes.
type Touched struct{ set map[*yaml.RNode]bool }

// Add marks r as changed.
func (t *Touched) Add(r *yaml.RNode) {
	if t == nil {
		return
	}
	if t.set == nil {
		t.set = map[*yaml.RNode]bool{}
	}
	t.set[r] = true
}

// Has reports whether r was changed.
func (t *Touched) Has(r *yaml.RNode) bool { return t != nil && t.set[r] }

// Reset forgets everything, to reuse the set for the next document.
func (t *Touched) Reset() { clear(t.set) }
