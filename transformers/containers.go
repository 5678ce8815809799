package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// containers is the step that grafts sidecars and init containers, each at
// its placement. It writes without checking: conflicts ran before it.
//
// Placement is canonical across PodGrafts, so that grafts applied in any
// order, in one run or in several, give the same pod. Each time it grafts a
// template it lays out the grafted containers of every list again, from
// the workload's own containers (in their order) and the record, which says
// which graft added which container and at which placement. Grafts are laid
// out in name order; within a graft, in declared order:
//
//   - first: at the front, after the first-placed containers laid out
//     before (so grafts sorting earlier come first);
//   - last: at the end (so grafts sorting earlier come first);
//   - before:<c>: right before c;
//   - after:<c>: right after c and after what is already attached behind c.
func (g *Graft) containers(p *pod) bool {
	if len(g.items) == 0 {
		return true
	}
	spec, e := p.spec, p.entry
	if g.hasRegularSidecar() && isJob(p.res()) {
		p.add(framework.Warning, p.t.Field("spec", "containers"),
			"%s adds a regular (native: false) sidecar to a %s: the pod never completes while it runs; prefer a native sidecar", g.Name, p.res().GetKind())
	}
	if rp := node.Str(spec, "restartPolicy"); g.hasRegularSidecar() && p.t.Node == p.t.Resource && (rp == "Never" || rp == "OnFailure") {
		// A bare Pod that runs to completion: a Helm test hook, say, which
		// helm test then waits on until its timeout.
		p.add(framework.Warning, p.t.Field("spec", "containers"),
			"%s adds a regular (native: false) sidecar to a Pod with restartPolicy %s: the pod never completes while it runs (helm test would wait for its timeout); prefer a native sidecar", g.Name, rp)
	}
	added := map[string]map[string]*yaml.Node{"initContainers": {}, "containers": {}}
	for _, c := range g.items {
		n := node.Plain(c.node)
		if c.imageFrom != "" {
			src := appContainer(spec, c.imageFrom, p.rec)
			copyImage(n, src)
			if e.ImageFrom == nil {
				e.ImageFrom = map[string]string{}
			}
			e.ImageFrom[c.name] = node.Str(src, "name")
		}
		if c.role == nativeSidecar && node.Lookup(n, "restartPolicy") == nil {
			node.SetString(n, "restartPolicy", "Always")
		}
		if c.placement != "" && c.placement != v1alpha1.PlaceLast {
			if e.Placement == nil {
				e.Placement = map[string]string{}
			}
			e.Placement[c.name] = c.placement
		}
		switch c.role {
		case initContainer:
			e.InitContainers = append(e.InitContainers, c.name)
		case nativeSidecar:
			e.Sidecars = append(e.Sidecars, c.name)
		case regularSidecar:
			e.Containers = append(e.Containers, c.name)
		}
		ensureList(spec, c.list())
		added[c.list()][c.name] = n
	}
	for _, list := range []string{"initContainers", "containers"} {
		arrange(node.Lookup(spec, list), list, p.rec, added[list])
	}
	p.changed = true
	return true
}

func (g *Graft) hasRegularSidecar() bool {
	for _, c := range g.items {
		if c.role == regularSidecar {
			return true
		}
	}
	return false
}

// arrange lays out the container list seq canonically: the containers no
// graft added, in their order, then every graft's containers for this list
// (added holds this graft's new ones, not yet in seq), graft by graft in
// name order, each at its placement.
func arrange(seq *yaml.Node, list string, rec Record, added map[string]*yaml.Node) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	type slot struct {
		name, placement string
	}
	var order []slot
	ours := map[string]bool{}
	for _, g := range rec.grafts() {
		e := rec[g]
		names := e.Containers
		if list == "initContainers" {
			names = append(append([]string{}, e.Sidecars...), e.InitContainers...)
		}
		for _, n := range names {
			order = append(order, slot{name: n, placement: e.Placement[n]})
			ours[n] = true
		}
	}
	nodes := map[string]*yaml.Node{}
	var base []*yaml.Node
	for _, c := range seq.Content {
		if n := node.Str(c, "name"); ours[n] {
			nodes[n] = c
		} else {
			base = append(base, c)
		}
	}
	for n, c := range added {
		nodes[n] = c
	}
	seq.Content = base
	placed := map[string]string{} // container name -> placement, for those laid out here
	for _, it := range order {
		n := nodes[it.name]
		if n == nil {
			continue // the user took it out of the pod
		}
		insertAt(seq, n, it.placement, placed)
		placed[it.name] = it.placement
		if placed[it.name] == "" {
			placed[it.name] = v1alpha1.PlaceLast
		}
	}
}

// insertAt puts n into seq at its placement; placed holds the placement
// of every container arrange laid out before it.
func insertAt(seq, n *yaml.Node, placement string, placed map[string]string) {
	idx := len(seq.Content)
	anchor := placementAnchor(placement)
	switch {
	case placement == v1alpha1.PlaceFirst:
		idx = 0
		for idx < len(seq.Content) && attached(node.Str(seq.Content[idx], "name"), v1alpha1.PlaceFirst, placed) {
			idx++
		}
	case strings.HasPrefix(placement, v1alpha1.PlaceBefore):
		if i := node.IndexByName(seq, anchor); i >= 0 {
			idx = i
		}
	case strings.HasPrefix(placement, v1alpha1.PlaceAfter):
		if i := node.IndexByName(seq, anchor); i >= 0 {
			idx = i + 1
			for idx < len(seq.Content) && attached(node.Str(seq.Content[idx], "name"), anchor, placed) {
				idx++
			}
		}
	}
	node.InsertAt(seq, idx, n)
}

// attached reports whether the laid-out container name hangs, through a
// chain of before:/after: placements, on root: a container name, or
// "first" for the first-placed ones.
func attached(name, root string, placed map[string]string) bool {
	for range len(placed) + 1 { // a chain is never longer than what was placed
		p, ok := placed[name]
		if !ok {
			return false
		}
		if p == v1alpha1.PlaceFirst || p == v1alpha1.PlaceLast {
			return p == root
		}
		name = placementAnchor(p)
		if name == root {
			return true
		}
	}
	return false
}

func placementAnchor(placement string) string {
	if _, anchor, ok := strings.Cut(placement, ":"); ok {
		return anchor
	}
	return ""
}

// appContainer finds an app container by name; "*" is the first one
// that no graft of the record added (a regular sidecar placed first is
// not the app).
func appContainer(spec *yaml.Node, name string, rec Record) *yaml.Node {
	apps := node.Lookup(spec, "containers")
	if apps == nil || len(apps.Content) == 0 {
		return nil
	}
	if name == "*" {
		grafted := rec.containers()
		for _, c := range apps.Content {
			if grafted[node.Str(c, "name")] == "" {
				return c
			}
		}
		return nil
	}
	if i := node.IndexByName(apps, name); i >= 0 {
		return apps.Content[i]
	}
	return nil
}

// copyImage sets image and imagePullPolicy from src, right after name.
func copyImage(dst, src *yaml.Node) {
	var kv []*yaml.Node
	for _, f := range []string{"image", "imagePullPolicy"} {
		if v := node.Lookup(src, f); v != nil {
			node.Remove(dst, f)
			kv = append(kv, node.Key(f), node.Plain(v))
		}
	}
	at := 0
	if len(dst.Content) >= 2 && dst.Content[0].Value == "name" {
		at = 2
	}
	content := append([]*yaml.Node{}, dst.Content[:at]...)
	content = append(content, kv...)
	dst.Content = append(content, dst.Content[at:]...)
}

func isJob(r *yaml.RNode) bool {
	k := r.GetKind()
	return (k == "Job" || k == "CronJob") && apiGroup(r.GetApiVersion()) == "batch"
}

// ensureList returns the named container list, creating it when missing.
// A new initContainers list goes right above containers, where readers
// expect it, since init containers run first.
func ensureList(spec *yaml.Node, list string) *yaml.Node {
	if node.Lookup(spec, list) != nil || list != "initContainers" {
		return node.Ensure(spec, list, yaml.SequenceNode)
	}
	seq := node.New(yaml.SequenceNode)
	for i := 0; i+1 < len(spec.Content); i += 2 {
		if spec.Content[i].Value == "containers" {
			node.Insert(spec, i/2, list, seq)
			return seq
		}
	}
	return node.Ensure(spec, list, yaml.SequenceNode)
}
