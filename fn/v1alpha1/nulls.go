package v1alpha1

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// withoutNulls is n without the mapping entries whose value is null, at any
// depth. A null leaves a field unset, as the decoder and the API server read
// it, so the parts grafted into a pod carry no "ports: null". Only what
// holds a null is copied; aliases are left as they are.
func withoutNulls(n *yaml.Node) *yaml.Node {
	if n == nil || n.Kind == yaml.AliasNode || len(n.Content) == 0 {
		return n
	}
	var content []*yaml.Node
	changed := false
	step := 1
	if n.Kind == yaml.MappingNode {
		step = 2
	}
	for i := 0; i+step-1 < len(n.Content); i += step {
		value := n.Content[i+step-1]
		if step == 2 && node.IsNull(value) {
			changed = true
			continue
		}
		pruned := withoutNulls(value)
		changed = changed || pruned != value
		content = append(content, n.Content[i:i+step-1]...)
		content = append(content, pruned)
	}
	if !changed {
		return n
	}
	c := *n
	c.Content = content
	return &c
}
