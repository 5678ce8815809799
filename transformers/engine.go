package transformers

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Engine runs every Graft of one run. It grafts them in the order of
// their names, whatever the order of the configs, so that -c a -c b and
// -c b -c a give the same output; then it checks readiness; and it keeps
// each graft's Plan for the end of the input.
type Engine struct {
	grafts []*Graft
	plans  []*Plan
	// check: a drift report, whose error results are findings, not
	// failures.
	check bool
}

// NewEngine compiles configs for mode. Two configs may not share a name:
// the graft record is keyed by it. source names each config for messages.
// namespace is the namespace of resources that have none (see Compile);
// release names what the grafts generate.
func NewEngine(configs []Config, sources []string, mode Mode, namespace string, release Release) (*Engine, error) {
	order := make([]int, len(configs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return configs[order[a]].Metadata.Name < configs[order[b]].Metadata.Name
	})
	e := &Engine{check: mode.Checks()}
	seen := map[string]string{}
	for _, i := range order {
		c := configs[i]
		if first, dup := seen[c.Metadata.Name]; dup {
			return nil, fmt.Errorf("%s: metadata.name: Duplicate value: %q is also the name of the PodGraft in %s; each PodGraft needs its own name, since the graft record is keyed by it",
				sources[i], c.Metadata.Name, first)
		}
		seen[c.Metadata.Name] = sources[i]
		g := Compile(c, mode, namespace)
		g.release = release
		e.grafts = append(e.grafts, g)
		e.plans = append(e.plans, NewPlan(g))
	}
	return e, nil
}

// Result is what the engine did to one resource.
type Result struct {
	Changed bool
	Results framework.Results
	// Failed says a graft could not be applied: the output is to be
	// discarded. In a drift report, error results are findings.
	Failed bool
}

// Document grafts every graft onto resource r, in place; onto each item
// of a List. A graft that fails on r does not stop the others, so that one
// run reports every problem; the caller then discards the output.
func (e *Engine) Document(r *yaml.RNode) Result {
	if IsList(r) {
		return e.list(r)
	}
	var out Result
	var targeting []*Graft
	var waiting []waiting
	for i, g := range e.grafts {
		o := g.Apply(r)
		out.Changed = out.Changed || o.Changed
		out.Results = append(out.Results, o.Results...)
		waiting = append(waiting, o.waiting...)
		e.plans[i].note(o.uses)
		if o.Targeted {
			targeting = append(targeting, g)
		}
	}
	for _, w := range waiting {
		if w.still() {
			out.Results = append(out.Results, w.result)
		}
	}
	out.Failed = HasErrors(out.Results) && !e.check
	if !out.Failed {
		gaps := readiness(r, targeting)
		out.Results = append(out.Results, gaps...)
		out.Failed = HasErrors(gaps)
	}
	return out
}

// Holds reports whether a document must be kept parsed until the whole
// input was seen, because a cross-document feature may change or drop it:
// resources podgraft generated, Services (when a sidecar fronts an app, or
// when the Service carries a podgraft record to restore), and
// PersistentVolumeClaims (when a graft generates claims and must not
// duplicate one the input has), and Lists with an item it holds. Every
// other document is done with as soon as it is grafted.
func (e *Engine) Holds(r *yaml.RNode) bool {
	if IsList(r) {
		return slices.ContainsFunc(ListItems(r), e.Holds)
	}
	if _, ok := metaMap(r, "labels")[GeneratedLabel]; ok {
		return true
	}
	if r.GetApiVersion() != "v1" {
		return false
	}
	switch r.GetKind() {
	case "Service":
		if _, ok := metaMap(r, "annotations")[RecordAnnotation]; ok {
			return true
		}
		return slices.ContainsFunc(e.grafts, func(g *Graft) bool { return len(g.fronts) > 0 })
	case "PersistentVolumeClaim":
		return slices.ContainsFunc(e.grafts, (*Graft).claims)
	}
	return false
}

// Finish runs the cross-document part of every graft over the held
// documents, in graft order, once the whole input was seen. It changes
// held documents in place and says which, which to drop, and the
// generated resources to append. The items of a held List are held
// documents too: one that Finish drops leaves its List, and a List with
// a dropped or changed item is changed.
func (e *Engine) Finish(held []*yaml.RNode) Finished {
	out := Finished{Drop: map[*yaml.RNode]bool{}, Changed: map[*yaml.RNode]bool{}}
	lists := heldItems{}
	flat := e.flatten(held, lists)
	for _, p := range e.plans {
		p.Finish(flat, &out)
	}
	for _, r := range held {
		if IsList(r) && lists.settle(r, &out) {
			out.Changed[r] = true
		}
	}
	return out
}

// IsGenerated reports whether podgraft generated r.
func IsGenerated(r *yaml.RNode) bool {
	_, ok := metaMap(r, "labels")[GeneratedLabel]
	return ok
}

// GeneratedOrder orders the generated resources at the end of the output
// the same whatever order the grafts were applied in, in one run or many:
// by graft name, and within a graft of this run in the order it generates
// them; the resources of a graft not in this run keep their order. It
// returns the indexes of nodes in that order.
func (e *Engine) GeneratedOrder(nodes []*yaml.RNode) []int {
	type key struct {
		graft string
		rank  int
	}
	keys := make([]key, len(nodes))
	for i, r := range nodes {
		keys[i] = key{graft: metaMap(r, "labels")[GeneratedLabel], rank: -1}
		for _, p := range e.plans {
			if rank, ok := p.Rank(r); ok {
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

// Names lists the grafts' names, in the order they run.
func (e *Engine) Names() string {
	names := make([]string, len(e.grafts))
	for i, g := range e.grafts {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}

// Generate returns what the grafts generate in each namespace, ConfigMaps,
// Secrets and claims with the names their workloads there mount, as a run
// appends them for a targeted workload: podgraft generate, for the
// admission webhook, which mounts them but cannot create them. A graft
// whose namespaces (targets, exclude) leave a namespace out gets nothing
// there, with a warning.
func (e *Engine) Generate(namespaces []string) ([]*yaml.RNode, framework.Results) {
	var out []*yaml.RNode
	var results framework.Results
	for _, g := range e.grafts {
		if !g.generates() {
			continue
		}
		p := NewPlan(g)
		for _, ns := range namespaces {
			if g.takesNamespace(ns) {
				p.note(uses{generates: true, namespace: ns, written: ns})
				continue
			}
			results = append(results, newResult(framework.Warning, nil, "",
				"PodGraft %s does not target namespace %s (spec.targets.namespaces, spec.exclude.namespaces): nothing generated there", g.Name, ns))
		}
		for _, item := range p.desired() {
			out = append(out, item.node)
		}
	}
	return out, results
}

// Fresh returns an engine of the same grafts with empty plans, for a new
// run: compiling a graft costs more than a small run.
func (e *Engine) Fresh() *Engine {
	f := &Engine{grafts: e.grafts, check: e.check}
	for _, g := range e.grafts {
		f.plans = append(f.plans, NewPlan(g))
	}
	return f
}
