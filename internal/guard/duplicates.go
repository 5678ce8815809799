package guard

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// DuplicateKeyError reports a key that appears twice in one mapping of a
// resource. yaml.v3 nodes keep both; podgraft would edit the first while
// kubectl and Helm keep the last, so a graft could silently vanish.
type DuplicateKeyError struct {
	Field      string // path of the mapping, "spec.template.spec.containers[0]"
	Key        string
	Line, Prev int
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("key %q appears twice (lines %d and %d): Kubernetes tools keep only the last one, so podgraft will not edit this resource", e.Key, e.Prev, e.Line)
}

// FindDuplicateKey returns the first duplicate mapping key in n, with the
// field path of its mapping, or nil. Aliases are not followed: their
// targets are checked where they are defined.
func FindDuplicateKey(n *yaml.Node) *DuplicateKeyError {
	return findDuplicateKey(n, "")
}

func findDuplicateKey(n *yaml.Node, path string) *DuplicateKeyError {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, ch := range n.Content {
			if d := findDuplicateKey(ch, path); d != nil {
				return d
			}
		}
	case yaml.SequenceNode:
		for i, ch := range n.Content {
			if d := findDuplicateKey(ch, path+"["+strconv.Itoa(i)+"]"); d != nil {
				return d
			}
		}
	case yaml.MappingNode:
		var seen map[string]int
		if len(n.Content) > 2 {
			seen = make(map[string]int, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && seen != nil && k.Tag != "!!merge" {
				if prev, dup := seen[k.Value]; dup {
					return &DuplicateKeyError{Field: fieldOrRoot(path), Key: k.Value, Line: k.Line, Prev: prev}
				}
				seen[k.Value] = k.Line
			}
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			if d := findDuplicateKey(n.Content[i+1], child); d != nil {
				return d
			}
		}
	}
	return nil
}

func fieldOrRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}
