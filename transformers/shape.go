package transformers

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ShapeError is a resource whose metadata does not have the shape every
// Kubernetes object has. kyaml's metadata getters (GetName, GetLabels, ...)
// assume that shape and panic on some violations (a metadata list with an
// odd number of items), so podgraft checks it before using them.
type ShapeError struct {
	Field string
	Msg   string
}

func (e *ShapeError) Error() string { return e.Field + ": " + e.Msg }

// CheckResource checks what podgraft reads of every resource: apiVersion
// and kind are strings, metadata is a mapping whose name and namespace are
// strings and whose labels and annotations are mappings.
func CheckResource(r *yaml.Node) error {
	if r.Kind != yaml.MappingNode {
		return &ShapeError{Field: "(root)", Msg: "must be a mapping, not a " + NodeKind(r)}
	}
	for _, key := range []string{"apiVersion", "kind"} {
		if err := scalarField(r, "", key); err != nil {
			return err
		}
	}
	return CheckMetadata(r, "")
}

// CheckMetadata checks the metadata of a resource or of a pod template at
// path (empty for the resource itself).
func CheckMetadata(n *yaml.Node, path string) error {
	meta := lookup(n, "metadata")
	if missingOrNull(meta) {
		return nil
	}
	mpath := FieldPath(path, "metadata")
	if meta.Kind != yaml.MappingNode {
		return &ShapeError{Field: mpath, Msg: "must be a mapping, not a " + NodeKind(meta)}
	}
	for _, key := range []string{"name", "namespace"} {
		if err := scalarField(meta, mpath, key); err != nil {
			return err
		}
	}
	for _, key := range []string{"labels", "annotations"} {
		v := lookup(meta, key)
		if missingOrNull(v) {
			continue
		}
		if v.Kind != yaml.MappingNode {
			return &ShapeError{Field: FieldPath(mpath, key), Msg: "must be a mapping, not a " + NodeKind(v)}
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return &ShapeError{Field: FieldPath(mpath, key), Msg: "keys must be strings, not a " + NodeKind(k)}
			}
			if val.Kind != yaml.ScalarNode {
				return &ShapeError{Field: FieldPath(mpath, key, k.Value), Msg: "must be a string, not a " + NodeKind(val)}
			}
		}
	}
	return nil
}

func scalarField(m *yaml.Node, path, key string) error {
	v := lookup(m, key)
	if v == nil || v.Kind == yaml.ScalarNode {
		return nil
	}
	return &ShapeError{Field: FieldPath(path, key), Msg: fmt.Sprintf("must be a string, not a %s", NodeKind(v))}
}

func missingOrNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// metaString reads a string field of a resource's metadata without
// kyaml's getters, so that it is safe on any shape: "" when missing, null
// or not a string.
func metaString(r *yaml.Node, key string) string {
	return scalarValue(lookup(lookup(r, "metadata"), key))
}

func scalarValue(v *yaml.Node) string {
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return ""
	}
	return v.Value
}

// ResourceError is an error about one field of one resource that is not
// (yet) a result: its text reads "Deployment shop/web: spec.template must
// be a mapping, not a scalar", and Result turns it into a result that
// names the resource and the field apart, so that KRM mode can say which
// item and file it is about.
type ResourceError struct {
	Ref   *yaml.ResourceIdentifier
	Field string
	// Msg is the message after the resource, starting with the field.
	Msg string
}

func (e *ResourceError) Error() string { return DescribeRef(e.Ref) + ": " + e.Msg }

// Result is the error as an error result.
func (e *ResourceError) Result() *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: e.Msg, ResourceRef: e.Ref}
	if e.Field != "" {
		r.Field = &framework.Field{Path: e.Field}
	}
	return r
}

// shapeError turns a ShapeError about r into a ResourceError.
func shapeError(r *yaml.RNode, err error) error {
	var se *ShapeError
	if errors.As(err, &se) {
		return &ResourceError{Ref: Ref(r), Field: se.Field, Msg: se.Error()}
	}
	return fmt.Errorf("%s: %w", Describe(r), err)
}
