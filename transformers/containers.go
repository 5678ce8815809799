package transformers

import (
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

// Containers is the filter that grafts sidecars and init containers, in
// the order they are given, each at its placement.
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
	var errs ErrorList
	for _, r := range nodes {
		tmpls, err := f.Locator.Templates(r)
		if err != nil {
			return nil, err
		}
		for _, t := range tmpls {
			f.graft(t, &errs)
		}
	}
	return nodes, errs.Err()
}

func (f Containers) graft(t Template, errs *ErrorList) {
	spec, ok := podSpec(t, errs)
	if !ok {
		return
	}
	rec, err := LoadRecord(t)
	if err != nil {
		errs.Addf(t.Resource, t.Field("metadata", "annotations"), "%v", err)
		return
	}
	// Check everything first, so that a conflict leaves the template as it was.
	for _, c := range f.Items {
		if where := findContainer(spec, c.Name); where != "" {
			errs.Addf(t.Resource, t.Field("spec", where), "%s cannot graft container %q: the name is already used by %s",
				f.Graft, c.Name, owner(rec, c.Name))
		}
		if c.ImageFrom != "" && appContainer(spec, c.ImageFrom) == nil {
			errs.Addf(t.Resource, t.Field("spec", "containers"), "%s: init container %q has imageFrom %q, but the pod has no such app container",
				f.Graft, c.Name, c.ImageFrom)
		}
		if anchor := placementAnchor(c.Placement); anchor != "" && !f.anchorExists(spec, c, anchor) {
			errs.Addf(t.Resource, t.Field("spec", c.list()), "%s: container %q has placement %q, but %s has no container %q",
				f.Graft, c.Name, c.Placement, t.Field("spec", c.list()), anchor)
		}
	}
	if len(errs.Results) > 0 {
		return
	}
	if f.hasRegularSidecar() && isJob(t.Resource) {
		f.Results.Add(framework.Warning, t.Resource, t.Field("spec", "containers"),
			"%s adds a regular (native: false) sidecar to a %s: the pod never completes while it runs; prefer a native sidecar", f.Graft, t.Resource.GetKind())
	}
	e := rec.Entry(f.Graft)
	placed := map[string]int{}
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
		seq := ensureList(spec, c.list())
		insertAt(seq, node, c.list(), c.Placement, placed)
		switch c.Role {
		case InitContainer:
			e.InitContainers = append(e.InitContainers, c.Name)
		case NativeSidecar:
			e.Sidecars = append(e.Sidecars, c.Name)
		case RegularSidecar:
			e.Containers = append(e.Containers, c.Name)
		}
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

// anchorExists accepts a placement anchor that is already in the list or
// is grafted earlier by this same PodGraft into the same list.
func (f Containers) anchorExists(spec *yaml.Node, c GraftContainer, anchor string) bool {
	if indexByName(lookup(spec, c.list()), anchor) >= 0 {
		return true
	}
	for _, other := range f.Items {
		if other.Name == c.Name {
			return false
		}
		if other.Name == anchor && other.list() == c.list() {
			return true
		}
	}
	return false
}

// insertAt puts node into seq at its placement. Items placed first keep
// their declared order, and so do items placed after the same anchor:
// placed counts what this graft already inserted per list and placement.
func insertAt(seq, node *yaml.Node, list, placement string, placed map[string]int) {
	key := list + "/" + placement
	idx := len(seq.Content)
	switch {
	case placement == "first":
		idx = placed[key]
	case strings.HasPrefix(placement, "before:"):
		idx = indexByName(seq, placementAnchor(placement))
	case strings.HasPrefix(placement, "after:"):
		idx = indexByName(seq, placementAnchor(placement)) + 1 + placed[key]
	}
	if idx < 0 || idx > len(seq.Content) {
		idx = len(seq.Content)
	}
	seq.Content = append(seq.Content, nil)
	copy(seq.Content[idx+1:], seq.Content[idx:])
	seq.Content[idx] = node
	placed[key]++
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
			errs.Addf(t.Resource, t.Field("spec", list), "must be a list, not a %s", nodeKind(v))
			return nil, false
		}
		if v != nil {
			for i, el := range v.Content {
				if el.Kind != yaml.MappingNode {
					errs.Addf(t.Resource, t.Field("spec", list+"["+strconv.Itoa(i)+"]"), "must be a mapping, not a %s", nodeKind(el))
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

// owner says who put a container in the pod, for conflict messages.
func owner(rec Record, name string) string {
	for graft, e := range rec {
		for _, lists := range [][]string{e.InitContainers, e.Sidecars, e.Containers} {
			for _, n := range lists {
				if n == name {
					return "a container grafted by " + graft
				}
			}
		}
	}
	return "a container podgraft did not graft"
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
