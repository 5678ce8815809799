package guard

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
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
		return &ShapeError{Field: "(root)", Msg: "must be a mapping, not a " + node.Kind(r)}
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
	meta := node.Lookup(n, "metadata")
	if node.MissingOrNull(meta) {
		return nil
	}
	mpath := node.Path(path, "metadata")
	if meta.Kind != yaml.MappingNode {
		return &ShapeError{Field: mpath, Msg: "must be a mapping, not a " + node.Kind(meta)}
	}
	for _, key := range []string{"name", "namespace"} {
		if err := scalarField(meta, mpath, key); err != nil {
			return err
		}
	}
	for _, key := range []string{"labels", "annotations"} {
		v := node.Lookup(meta, key)
		if node.MissingOrNull(v) {
			continue
		}
		if v.Kind != yaml.MappingNode {
			return &ShapeError{Field: node.Path(mpath, key), Msg: "must be a mapping, not a " + node.Kind(v)}
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if k := v.Content[i]; k.Kind != yaml.ScalarNode {
				return &ShapeError{Field: node.Path(mpath, key), Msg: "keys must be strings, not a " + node.Kind(k)}
			}
		}
		// As the API server reads them: merge keys bring keys in.
		for _, k := range node.Keys(v) {
			if val := node.Lookup(v, k); val != nil && val.Kind != yaml.ScalarNode {
				return &ShapeError{Field: node.Path(mpath, key, k), Msg: "must be a string, not a " + node.Kind(val)}
			}
		}
	}
	return nil
}

func scalarField(m *yaml.Node, path, key string) error {
	v := node.Lookup(m, key)
	if v == nil || v.Kind == yaml.ScalarNode {
		return nil
	}
	return &ShapeError{Field: node.Path(path, key), Msg: fmt.Sprintf("must be a string, not a %s", node.Kind(v))}
}
