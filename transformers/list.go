package transformers

import (
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// A v1 List, as `kubectl get deploy -o yaml` writes it, holds resources in
// its items. The engine grafts each item where it stands, as if it were a
// document of its own, and the List stays a List: Document recurses into
// it, Holds holds it for the items it holds, and Finish works on the held
// items, taking a dropped one out of its List.

// IsList reports whether r is a v1 List.
func IsList(r *yaml.RNode) bool {
	y := r.YNode()
	return node.Str(y, "kind") == "List" && node.Str(y, "apiVersion") == "v1"
}

// ListItems returns the items of List r that are mappings (what the input
// checks let through are all mappings).
func ListItems(r *yaml.RNode) []*yaml.RNode {
	seq := node.Lookup(r.YNode(), "items")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	items := make([]*yaml.RNode, 0, len(seq.Content))
	for _, it := range seq.Content {
		if it.Kind == yaml.MappingNode {
			items = append(items, yaml.NewRNode(it))
		}
	}
	return items
}

// list grafts the items of List r, however nested, and sums what that did.
func (e *Engine) list(r *yaml.RNode) Result {
	var out Result
	for _, it := range ListItems(r) {
		res := e.Document(it)
		out.Changed = out.Changed || res.Changed
		out.Failed = out.Failed || res.Failed
		out.Results = append(out.Results, res.Results...)
	}
	return out
}

// heldItems are the items of the held Lists, by List, for Finish: the
// same RNodes that Finish's plans see, so that its Drop and Changed say
// which.
type heldItems map[*yaml.RNode][]*yaml.RNode

// flatten returns the held documents with every List replaced by its
// items that the engine holds, recursively, and notes each List's items.
func (e *Engine) flatten(docs []*yaml.RNode, lists heldItems) []*yaml.RNode {
	var out []*yaml.RNode
	for _, r := range docs {
		if !IsList(r) {
			out = append(out, r)
			continue
		}
		items := slices.DeleteFunc(ListItems(r), func(it *yaml.RNode) bool { return !e.Holds(it) })
		lists[r] = items
		out = append(out, e.flatten(items, lists)...)
	}
	return out
}

// settle takes the items Finish dropped out of List r, and reports whether
// that or a change to one of its items changed r.
func (lists heldItems) settle(r *yaml.RNode, out *Finished) bool {
	changed := false
	dropped := map[*yaml.Node]bool{}
	for _, it := range lists[r] {
		if IsList(it) && lists.settle(it, out) {
			out.Changed[it] = true
		}
		if out.Drop[it] {
			dropped[it.YNode()] = true
		}
		changed = changed || out.Drop[it] || out.Changed[it]
	}
	if len(dropped) > 0 {
		seq := node.Lookup(r.YNode(), "items")
		seq.Content = slices.DeleteFunc(seq.Content, func(n *yaml.Node) bool { return dropped[n] })
	}
	return changed
}
