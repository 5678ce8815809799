package transformers

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Passes reports whether a resource can go through a run unread, judged
// from head, a mapping that holds only its apiVersion, kind and metadata:
// no graft targets it, holds it for the end of the input, or notes
// anything of it. It is for a caller that reads only that much of most
// documents (standalone mode, where full parsing is most of the cost).
//
// The caller must have made sure of what head cannot show: that the
// resource names nothing of podgraft's (its text holds no
// "podgraft.dev": records, opt-outs and generated resources are read)
// and, when mounts says true, that it may mount a ConfigMap, Secret or
// claim (a generated resource a workload still mounts is never dropped,
// so every workload's mounts are noted).
func (e *Engine) Passes(head *yaml.RNode, mounts bool) bool {
	if IsList(head) || e.Holds(head) {
		return false
	}
	for _, g := range e.grafts {
		tk, ok := g.locator.Kind(head)
		if !ok {
			continue // not a workload of this graft: Apply leaves it
		}
		if mounts || len(g.fronts) > 0 && !g.remove {
			return false // fronting reads every pod the Services may select
		}
		if g.remove {
			continue // removal reads only records
		}
		if targeted, skip := g.selector.Selects(head, tk); targeted || skip != nil {
			return false
		}
	}
	return true
}
