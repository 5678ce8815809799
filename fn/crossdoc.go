package fn

import (
	"bytes"
	"slices"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Holds reports whether a document must be kept parsed until the whole
// input was seen, because a cross-document feature may change or drop it:
// resources podgraft generated, Services (when a sidecar fronts an app, or
// when the Service carries a podgraft record to restore), and
// PersistentVolumeClaims (when a graft generates claims and must not
// duplicate one the input has). Every other document is done with as
// soon as it is grafted.
func (p *Processor) Holds(r *yaml.RNode) bool {
	if _, ok := r.GetLabels()[transformers.GeneratedLabel]; ok {
		return true
	}
	if r.GetApiVersion() != "v1" {
		return false
	}
	switch r.GetKind() {
	case "Service":
		if _, ok := r.GetAnnotations()[transformers.RecordAnnotation]; ok {
			return true
		}
		for _, g := range p.grafts {
			if g.plan != nil && len(g.plan.Fronts) > 0 {
				return true
			}
		}
	case "PersistentVolumeClaim":
		for _, g := range p.grafts {
			if g.plan != nil && g.plan.Claims() {
				return true
			}
		}
	}
	return false
}

// Finish runs the cross-document part of every graft over the held
// documents, in graft order, once the whole input was seen. It changes
// held documents in place (marking them in p.Touched) and returns the
// ones to drop and the generated resources to append.
func (p *Processor) Finish(held []*yaml.RNode) transformers.Outcome {
	out := transformers.Outcome{Drop: map[*yaml.RNode]bool{}}
	for _, g := range p.grafts {
		if g.plan != nil {
			g.plan.Finish(held, &out)
		}
	}
	return out
}

// finishItems is Finish for a list of every resource (KRM mode): it
// returns the items without the dropped ones, with the generated ones
// appended.
func (p *Processor) finishItems(items []*yaml.RNode) []*yaml.RNode {
	var held []*yaml.RNode
	for _, it := range items {
		if p.Holds(it) {
			held = append(held, it)
		}
	}
	out := p.Finish(held)
	if len(out.Drop) == 0 && len(out.Added) == 0 {
		return items
	}
	kept := make([]*yaml.RNode, 0, len(items)+len(out.Added))
	for _, it := range items {
		if !out.Drop[it] {
			kept = append(kept, it)
		}
	}
	kept = append(kept, out.Added...)
	tail := len(kept)
	for tail > 0 && isGenerated(kept[tail-1]) {
		tail--
	}
	block := slices.Clone(kept[tail:])
	for i, j := range p.generatedOrder(block) {
		kept[tail+i] = block[j]
	}
	return kept
}

func isGenerated(r *yaml.RNode) bool {
	_, ok := r.GetLabels()[transformers.GeneratedLabel]
	return ok
}

// generatedOrder orders the generated resources at the end of the output
// the same whatever order the grafts were applied in, in one run or many:
// by graft name, and within a graft of this run in the order it generates
// them; the resources of a graft not in this run keep their order. It
// returns the indexes of nodes in that order.
func (p *Processor) generatedOrder(nodes []*yaml.RNode) []int {
	type key struct {
		graft string
		rank  int
	}
	keys := make([]key, len(nodes))
	for i, r := range nodes {
		keys[i] = key{graft: r.GetLabels()[transformers.GeneratedLabel], rank: -1}
		for _, g := range p.grafts {
			if g.plan == nil {
				continue
			}
			if rank, ok := g.plan.Rank(r); ok {
				keys[i].rank = rank
			}
		}
	}
	perm := make([]int, len(nodes))
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool {
		ka, kb := keys[perm[a]], keys[perm[b]]
		if ka.graft != kb.graft {
			return ka.graft < kb.graft
		}
		return ka.rank >= 0 && kb.rank >= 0 && ka.rank < kb.rank
	})
	return perm
}

// finishStream runs Finish over the held documents of a stream: a held
// document that nothing changed goes out as its original bytes, a changed
// one must pass checkEdited like every changed document, a dropped one
// goes out not at all, and the generated resources come last, with the
// sequence indentation of the first document that has a block list.
func finishStream(p *Processor, docs []document) ([]document, error) {
	var held []*yaml.RNode
	for _, d := range docs {
		if d.held {
			held = append(held, d.node)
		}
	}
	style := seqStyleSample(docs)
	p.Touched.Reset()
	out := p.Finish(held)
	kept := docs[:0]
	for _, d := range docs {
		if d.held {
			if out.Drop[d.node] {
				continue
			}
			if !d.changed && !p.Touched.Has(d.node) {
				d.doc = nil // unchanged: its original bytes
			} else if err := checkEdited(d.node); err != nil {
				return nil, err
			}
		}
		kept = append(kept, d)
	}
	for _, r := range out.Added {
		kept = append(kept, document{doc: &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{r.YNode()}}, node: r, raw: style, held: true})
	}
	tail := len(kept)
	for tail > 0 && kept[tail-1].held && isGenerated(kept[tail-1].node) {
		tail--
	}
	block := slices.Clone(kept[tail:])
	nodes := make([]*yaml.RNode, len(block))
	for i, d := range block {
		nodes[i] = d.node
	}
	for i, j := range p.generatedOrder(nodes) {
		kept[tail+i] = block[j]
	}
	return kept, nil
}

// seqStyleSample returns the bytes of the first document that has a block
// sequence, so that generated resources indent their lists like the input.
func seqStyleSample(docs []document) []byte {
	for _, d := range docs {
		for _, line := range bytes.Split(d.raw, []byte("\n")) {
			if t := bytes.TrimLeft(line, " "); bytes.HasPrefix(t, []byte("- ")) {
				return d.raw
			}
		}
	}
	return nil
}
