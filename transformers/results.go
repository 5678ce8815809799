package transformers

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// Ref identifies a resource for results and errors. It reads the nodes
// itself rather than with kyaml's getters, which panic on some malformed
// metadata, since errors about malformed resources need it too.
func Ref(r *yaml.RNode) *yaml.ResourceIdentifier {
	y := r.YNode()
	meta := node.Lookup(y, "metadata")
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: node.Str(y, "apiVersion"), Kind: node.Str(y, "kind")},
		NameMeta: yaml.NameMeta{Name: node.Str(meta, "name"), Namespace: node.Str(meta, "namespace")},
	}
}

// metaMap reads metadata.labels or metadata.annotations of r the way the
// API server does, through aliases and merge keys.
func metaMap(r *yaml.RNode, field string) map[string]string {
	m := node.Lookup(node.Lookup(r.YNode(), "metadata"), field)
	keys := node.Keys(m)
	if len(keys) == 0 {
		return nil
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = node.Scalar(node.Lookup(m, k))
	}
	return out
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
	switch {
	case name == "" && kind == "List" && id.APIVersion == "v1":
		return kind // kubectl writes Lists without a name
	case name == "":
		name = "(no name)"
	}
	if id.Namespace == "" {
		return kind + " " + name
	}
	return kind + " " + id.Namespace + "/" + name
}

// newResult builds a result about a resource (nil: about the run) and one
// of its fields.
func newResult(sev framework.Severity, r *yaml.RNode, fieldPath, format string, args ...any) *framework.Result {
	res := &framework.Result{Severity: sev, Message: fmt.Sprintf(format, args...)}
	if r != nil {
		res.ResourceRef = Ref(r)
	}
	if fieldPath != "" {
		res.Field = &framework.Field{Path: fieldPath}
	}
	return res
}

// Error is podgraft's one error about a resource: it names the resource,
// the field and what is wrong. Its text reads "Deployment shop/web:
// spec.template must be a mapping, not a scalar"; Result turns it into a
// result that names the resource and the field apart, so that KRM mode can
// say which item and file it is about.
type Error struct {
	Ref   *yaml.ResourceIdentifier
	Field string
	// Msg is the message after the resource, starting with the field when
	// it names one.
	Msg string
}

func (e *Error) Error() string { return DescribeRef(e.Ref) + ": " + e.Msg }

// Result is the error as an error result.
func (e *Error) Result() *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: e.Msg, ResourceRef: e.Ref}
	if e.Field != "" {
		r.Field = &framework.Field{Path: e.Field}
	}
	return r
}

// HasErrors reports whether results hold an error.
func HasErrors(results framework.Results) bool {
	for _, r := range results {
		if r.Severity == framework.Error {
			return true
		}
	}
	return false
}
