package transformers

import (
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Role says where a grafted container goes and how it runs.
type Role int

// Container roles.
const (
	// InitContainer runs to completion before the app, in initContainers.
	InitContainer Role = iota
	// NativeSidecar runs for the pod's lifetime from initContainers with
	// restartPolicy: Always, so Jobs still complete.
	NativeSidecar
	// RegularSidecar runs in containers, next to the app.
	RegularSidecar
)

// GraftContainer is one container a PodGraft adds.
type GraftContainer struct {
	Name string
	// Node is the container as the user wrote it, without podgraft's own
	// keys (placement, native, fronts, imageFrom).
	Node      *yaml.Node
	Role      Role
	Placement string // first | last | before:<name> | after:<name>
	ImageFrom string // app container name, or "*" for the first one
}

func (c GraftContainer) list() string {
	if c.Role == RegularSidecar {
		return "containers"
	}
	return "initContainers"
}

// Containers is the filter that grafts sidecars and init containers, each
// at its placement. It writes without checking: Conflicts runs before it
// and stops the graft on any clash.
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
type Containers struct {
	Graft   string
	Items   []GraftContainer
	Locator Locator
	Results *Results
}

var _ kio.Filter = Containers{}

// Filter grafts the containers onto every pod template of nodes.
func (f Containers) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if len(f.Items) == 0 {
		return nodes, nil
	}
	return f.Locator.eachPod(nodes, f.graft)
}

func (f Containers) graft(t Template, spec *yaml.Node, rec Record, errs *ErrorList) {
	if f.hasRegularSidecar() && isJob(t.Resource) {
		f.Results.Add(framework.Warning, t.Resource, t.Field("spec", "containers"),
			"%s adds a regular (native: false) sidecar to a %s: the pod never completes while it runs; prefer a native sidecar", f.Graft, t.Resource.GetKind())
	}
	e := rec.Entry(f.Graft)
	added := map[string]map[string]*yaml.Node{"initContainers": {}, "containers": {}}
	for _, c := range f.Items {
		node := plain(c.Node)
		if c.ImageFrom != "" {
			src := appContainer(spec, c.ImageFrom)
			copyImage(node, src)
			if e.ImageFrom == nil {
				e.ImageFrom = map[string]string{}
			}
			e.ImageFrom[c.Name] = str(src, "name")
		}
		if c.Role == NativeSidecar && lookup(node, "restartPolicy") == nil {
			setString(node, "restartPolicy", "Always")
		}
		if c.Placement != "" && c.Placement != "last" {
			if e.Placement == nil {
				e.Placement = map[string]string{}
			}
			e.Placement[c.Name] = c.Placement
		}
		switch c.Role {
		case InitContainer:
			e.InitContainers = append(e.InitContainers, c.Name)
		case NativeSidecar:
			e.Sidecars = append(e.Sidecars, c.Name)
		case RegularSidecar:
			e.Containers = append(e.Containers, c.Name)
		}
		ensureList(spec, c.list())
		added[c.list()][c.Name] = node
	}
	for list, nodes := range added {
		arrange(lookup(spec, list), list, rec, nodes)
	}
	rec.Save(t)
}

func (f Containers) hasRegularSidecar() bool {
	for _, c := range f.Items {
		if c.Role == RegularSidecar {
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
	type item struct {
		name, placement string
	}
	var grafts []string
	for g := range rec {
		grafts = append(grafts, g)
	}
	sort.Strings(grafts)
	var order []item
	ours := map[string]bool{}
	for _, g := range grafts {
		e := rec[g]
		names := e.Containers
		if list == "initContainers" {
			names = append(append([]string{}, e.Sidecars...), e.InitContainers...)
		}
		for _, n := range names {
			order = append(order, item{name: n, placement: e.Placement[n]})
			ours[n] = true
		}
	}
	nodes := map[string]*yaml.Node{}
	var base []*yaml.Node
	for _, c := range seq.Content {
		if n := str(c, "name"); ours[n] {
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
		node := nodes[it.name]
		if node == nil {
			continue // the user took it out of the pod
		}
		insertAt(seq, node, it.placement, placed)
		placed[it.name] = it.placement
		if placed[it.name] == "" {
			placed[it.name] = "last"
		}
	}
}

// insertAt puts node into seq at its placement; placed holds the placement
// of every container arrange laid out before it.
func insertAt(seq, node *yaml.Node, placement string, placed map[string]string) {
	idx := len(seq.Content)
	anchor := placementAnchor(placement)
	switch {
	case placement == "first":
		idx = 0
		for idx < len(seq.Content) && attached(str(seq.Content[idx], "name"), "first", placed) {
			idx++
		}
	case strings.HasPrefix(placement, "before:"):
		if i := indexByName(seq, anchor); i >= 0 {
			idx = i
		}
	case strings.HasPrefix(placement, "after:"):
		if i := indexByName(seq, anchor); i >= 0 {
			idx = i + 1
			for idx < len(seq.Content) && attached(str(seq.Content[idx], "name"), anchor, placed) {
				idx++
			}
		}
	}
	seq.Content = append(seq.Content, nil)
	copy(seq.Content[idx+1:], seq.Content[idx:])
	seq.Content[idx] = node
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
		if p == "first" || p == "last" {
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

// podSpec returns the template's pod spec after checking its shape.
func podSpec(t Template, errs *ErrorList) (*yaml.Node, bool) {
	spec := lookup(t.Node.YNode(), "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		errs.Addf(t.Resource, t.Field("spec"), "the pod template has no spec mapping")
		return nil, false
	}
	for _, list := range []string{"containers", "initContainers", "volumes"} {
		v := lookup(spec, list)
		if v != nil && v.Kind != yaml.SequenceNode && v.Tag != "!!null" {
			errs.Addf(t.Resource, t.Field("spec", list), "must be a list, not a %s", NodeKind(v))
			return nil, false
		}
		if v != nil {
			for i, el := range v.Content {
				if el.Kind != yaml.MappingNode {
					errs.Addf(t.Resource, t.Field("spec", list+"["+strconv.Itoa(i)+"]"), "must be a mapping, not a %s", NodeKind(el))
					return nil, false
				}
			}
		}
	}
	return spec, true
}

// findContainer returns "containers[i]" or "initContainers[i]" where name is used.
func findContainer(spec *yaml.Node, name string) string {
	for _, list := range []string{"initContainers", "containers"} {
		if i := indexByName(lookup(spec, list), name); i >= 0 {
			return list + "[" + strconv.Itoa(i) + "]"
		}
	}
	return ""
}

// appContainer finds an app container by name; "*" is the first one.
func appContainer(spec *yaml.Node, name string) *yaml.Node {
	apps := lookup(spec, "containers")
	if apps == nil || len(apps.Content) == 0 {
		return nil
	}
	if name == "*" {
		return apps.Content[0]
	}
	if i := indexByName(apps, name); i >= 0 {
		return apps.Content[i]
	}
	return nil
}

// copyImage sets image and imagePullPolicy from src, right after name.
func copyImage(dst, src *yaml.Node) {
	fields := []string{"image", "imagePullPolicy"}
	var kv []*yaml.Node
	for _, f := range fields {
		if v := lookup(src, f); v != nil {
			remove(dst, f)
			kv = append(kv, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f}, plain(v))
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
	if lookup(spec, list) != nil || list != "initContainers" {
		return ensure(spec, list, yaml.SequenceNode)
	}
	seq := newNode(yaml.SequenceNode)
	for i := 0; i+1 < len(spec.Content); i += 2 {
		if spec.Content[i].Value == "containers" {
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: list}
			spec.Content = append(spec.Content[:i], append([]*yaml.Node{key, seq}, spec.Content[i:]...)...)
			return seq
		}
	}
	return ensure(spec, list, yaml.SequenceNode)
}
