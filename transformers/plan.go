package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// GeneratedLabel marks the ConfigMaps, Secrets and PersistentVolumeClaims
// podgraft generates; its value is the PodGraft's name. A re-run keeps the
// ones the config still produces and removes the rest.
const GeneratedLabel = "podgraft.dev/generated-by"

// Plan is the part of one Graft that spans documents: the ConfigMaps,
// Secrets and PersistentVolumeClaims it generates per namespace, and the
// Services its sidecars front. It learns what the workloads need from
// each resource's Outcome (note), also for workloads whose record is
// current; Finish runs once at the end over the held documents (Services,
// PersistentVolumeClaims, generated resources).
type Plan struct {
	g *Graft

	namespaces []string // namespaces of targeted workloads, first seen first
	// written is, per namespace, what the first workload there has in
	// metadata.namespace ("" when it lands in the default one): the
	// generated resources carry the same, so that Helm places both alike.
	written map[string]string
	pods    map[string][]podInfo // by namespace
	// byLabel indexes pods by namespace, then "key=value" of each of
	// their labels, so that a Service finds its pods without looking at
	// every pod of its namespace.
	byLabel map[string]map[string][]int
	rank    map[string]int // generated resource key -> its place in desired
	// refs are, by namespace, the generated resources the targeted
	// workloads' volumes name; mounted is every resource a workload of
	// the input mounts, by key.
	refs    map[string][]generatedRef
	mounted map[string]bool
	// unread are, by namespace, the workloads that went through unread
	// (NoteUnread): a fronted Service reads the ones it may select.
	unread map[string][]unreadPod
}

// uses is what one workload needs of its graft's plan.
type uses struct {
	// namespace needs the generated resources (set when generates), and
	// written is the workload's own metadata.namespace.
	namespace, written string
	generates          bool
	// pods are the workload's pod templates, for fronting.
	pods []podInfo
	// refs are the generated resources its grafted volumes name; mounts
	// every ConfigMap, Secret and claim its volumes name
	// ("Kind/namespace/name").
	refs   []generatedRef
	mounts []string
}

// NewPlan returns the plan of g.
func NewPlan(g *Graft) *Plan { return &Plan{g: g} }

// note adds what one workload needs.
func (p *Plan) note(u uses) {
	for _, key := range u.mounts {
		if p.mounted == nil {
			p.mounted = map[string]bool{}
		}
		p.mounted[key] = true
	}
	if len(u.refs) > 0 {
		if p.refs == nil {
			p.refs = map[string][]generatedRef{}
		}
		p.refs[u.namespace] = append(p.refs[u.namespace], u.refs...)
	}
	if u.generates {
		if p.written == nil {
			p.written = map[string]string{}
		}
		if _, seen := p.written[u.namespace]; !seen {
			p.written[u.namespace] = u.written
			p.namespaces = append(p.namespaces, u.namespace)
		}
	}
	for _, info := range u.pods {
		if p.pods == nil {
			p.pods, p.byLabel = map[string][]podInfo{}, map[string]map[string][]int{}
		}
		ns := info.namespace
		if p.byLabel[ns] == nil {
			p.byLabel[ns] = map[string][]int{}
		}
		for k, v := range info.labels {
			p.byLabel[ns][k+"="+v] = append(p.byLabel[ns][k+"="+v], len(p.pods[ns]))
		}
		p.pods[ns] = append(p.pods[ns], info)
	}
}

// Finished is what the plans' Finish did to the held documents.
type Finished struct {
	// Drop holds the documents to leave out of the output.
	Drop map[*yaml.RNode]bool
	// Changed holds the held documents changed in place.
	Changed map[*yaml.RNode]bool
	// Added are the generated resources to append, in order.
	Added   []*yaml.RNode
	Results framework.Results
}

// Finish reconciles the held documents with what the graft needs: it
// keeps generated resources the config still produces (as they are, in
// place), drops the ones it no longer produces, appends the missing ones,
// and re-points or restores Services.
func (p *Plan) Finish(held []*yaml.RNode, out *Finished) {
	p.finishGenerated(held, out)
	p.finishFronts(held, out)
}

// generates reports whether the graft generates resources.
func (g *Graft) generates() bool {
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		if v.GeneratesFiles() || v.Claim != nil && !v.Claim.PerReplica {
			return true
		}
	}
	return false
}

// claims reports whether the graft may generate PersistentVolumeClaims.
func (g *Graft) claims() bool {
	for i := range g.spec.Volumes {
		if c := g.spec.Volumes[i].Claim; c != nil && !c.PerReplica {
			return true
		}
	}
	return false
}

type generatedItem struct {
	key    string // Kind/namespace/name
	node   *yaml.RNode
	volume string
	// unchanged says every workload that names it had a current record.
	unchanged bool
}

// key identifies a resource by kind, the namespace it lands in, and name.
func (g *Graft) key(r *yaml.RNode) string {
	return r.GetKind() + "/" + g.ns(r) + "/" + r.GetName()
}

// desired lists what the graft generates, volume by volume, namespace by
// namespace in the order workloads came.
func (p *Plan) desired() []generatedItem {
	g := p.g
	if g.remove {
		return nil
	}
	var out []generatedItem
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		for _, ns := range p.namespaces {
			for _, ref := range p.namesFor(ns, v) {
				var r *yaml.RNode
				switch {
				case g.files[v.Name] != nil:
					r = g.files[v.Name].Resource(g.Name, v.Name, p.written[ns])
					node.SetString(node.Lookup(r.YNode(), "metadata"), "name", ref.name)
				case v.Claim != nil && !v.Claim.PerReplica:
					r = claimResource(v.Claim, g.Name, ref.name, p.written[ns])
				default:
					continue
				}
				out = append(out, generatedItem{key: g.key(r), node: r, volume: v.Name, unchanged: ref.unchanged})
			}
		}
	}
	return out
}

// namesFor lists the names the workloads of namespace ns give the
// resource volume v generates, first named first: podgraft's own, or what
// a tool renamed it to. With no workload to say (podgraft generate), it
// is podgraft's own. A name counts as unchanged when every workload that
// gives it had a current record.
func (p *Plan) namesFor(ns string, v *v1alpha1.Volume) []generatedRef {
	var out []generatedRef
	at := map[string]int{}
	for _, ref := range p.refs[ns] {
		if ref.volume != v.Name {
			continue
		}
		if i, seen := at[ref.name]; seen {
			out[i].unchanged = out[i].unchanged && ref.unchanged
			continue
		}
		at[ref.name] = len(out)
		out = append(out, ref)
	}
	if len(out) > 0 {
		return out
	}
	name := claimName(v)
	if fs := p.g.files[v.Name]; fs != nil {
		name = fs.Name(p.g.Name, v.Name)
	}
	return []generatedRef{{volume: v.Name, name: name}}
}

func (p *Plan) finishGenerated(held []*yaml.RNode, out *Finished) {
	g := p.g
	want := p.desired()
	index := map[string]int{}
	for i, w := range want {
		index[w.key] = i
	}
	p.rank = index
	have := map[string]bool{}
	foreign := map[string]bool{} // PVCs the input has that this graft did not generate
	for _, r := range held {
		if out.Drop[r] {
			continue
		}
		owner := metaMap(r, "labels")[GeneratedLabel]
		if owner != g.Name {
			if r.GetKind() == "PersistentVolumeClaim" {
				foreign[g.key(r)] = true
			}
			continue
		}
		key := g.key(r)
		if i, ok := index[key]; ok && !have[key] {
			have[key] = true
			if syncGenerated(r, want[i].node) {
				out.Changed[r] = true
				p.report(out, r, "updated by %s for volume %q", "is out of date: graft %s generates it otherwise for volume %q", g.Name, want[i].volume)
			}
			continue
		}
		// The workloads that use it may be in another file or run: it
		// goes only when the graft no longer produces it.
		if w, ok := g.produces(r); ok && !have[key] {
			have[key] = true
			if syncGenerated(r, w.node) {
				out.Changed[r] = true
				p.report(out, r, "updated by %s for volume %q", "is out of date: graft %s generates it otherwise for volume %q", g.Name, w.volume)
			}
			continue
		}
		if p.mounted[key] {
			// Never drop what a workload still mounts: its pods would not
			// start.
			have[key] = true
			why := "which no longer produces it"
			if g.remove {
				why = "which is being removed"
			}
			out.Results = append(out.Results, newResult(framework.Warning, r, "",
				"generated by %s, %s, but a workload in the input still mounts it: kept; remove that volume, then run again to drop it", g.Name, why))
			continue
		}
		out.Drop[r] = true
		if g.remove {
			p.report(out, r, "removed: generated by %s, which is being removed", "is still present: generated by %s, which is being removed", g.Name)
		} else {
			p.report(out, r, "removed: generated by %s, which no longer produces it", "is stale: generated by %s, which no longer produces it", g.Name)
		}
	}
	for _, w := range want {
		switch {
		case have[w.key]:
		case foreign[w.key]:
			out.Results = append(out.Results, newResult(framework.Info, w.node, "", "%s uses it for volume %q; the input has it, so it is left as it is", g.Name, w.volume))
		case w.unchanged:
			// The workloads that mount it are current, so it was
			// generated before: generating it again would add a second
			// copy on every render.
			out.Results = append(out.Results, newResult(framework.Warning, w.node, "",
				"is not in the input, but the workloads that mount it for volume %q of %s are current: filtered out by a selector (kpt fn eval --match-kind, a pipeline step's selectors)? Not generated again; run podgraft over the whole package to generate it",
				w.volume, g.Name))
		default:
			have[w.key] = true
			out.Added = append(out.Added, w.node)
			p.report(out, w.node, "generated by %s for volume %q", "is missing: graft %s generates it for volume %q", g.Name, w.volume)
		}
	}
}

// produces reports whether the graft generates r, for some workload of
// r's namespace, and how: the graft is not being removed, one of its
// volumes generates a resource of r's kind and name (or a name that holds
// it: renamed by kustomize's namePrefix or nameSuffix), and the graft's
// namespaces (targets and exclude) take in r's namespace.
func (g *Graft) produces(r *yaml.RNode) (generatedItem, bool) {
	if g.remove || !g.takesNamespace(g.ns(r)) {
		return generatedItem{}, false
	}
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		var want *yaml.RNode
		switch fs := g.files[v.Name]; {
		case fs != nil && fs.Kind() == r.GetKind() && strings.Contains(r.GetName(), fs.Name(g.Name, v.Name)):
			want = fs.Resource(g.Name, v.Name, r.GetNamespace())
		case v.Claim != nil && !v.Claim.PerReplica && r.GetKind() == "PersistentVolumeClaim" && strings.Contains(r.GetName(), claimName(v)):
			want = claimResource(v.Claim, g.Name, r.GetName(), r.GetNamespace())
		default:
			continue
		}
		return generatedItem{key: g.key(want), node: want, volume: v.Name}, true
	}
	return generatedItem{}, false
}

// takesNamespace reports whether the graft's namespaces (targets and
// exclude) take in ns.
func (g *Graft) takesNamespace(ns string) bool {
	t, x := g.selector.Targets.Namespaces, g.selector.Exclude.Namespaces
	return (len(t) == 0 || matchGlob(t, ns)) && (len(x) == 0 || !matchGlob(x, ns))
}

// syncGenerated makes a held generated resource match what the graft
// generates now (everything but metadata, and in metadata the annotations
// podgraft sets) and reports whether it changed anything. Identical
// resources stay byte for byte.
func syncGenerated(have, want *yaml.RNode) bool {
	h, w := have.YNode(), want.YNode()
	changed := syncKeepAnnotations(h, w)
	for i := 0; i+1 < len(w.Content); i += 2 {
		k := w.Content[i].Value
		if k == "metadata" || k == "apiVersion" || k == "kind" {
			continue
		}
		if cur := node.Lookup(h, k); cur == nil || !sameData(cur, w.Content[i+1]) {
			node.Set(h, k, w.Content[i+1])
			changed = true
		}
	}
	for i := 0; i+1 < len(h.Content); {
		k := h.Content[i].Value
		if k != "metadata" && k != "apiVersion" && k != "kind" && node.Lookup(w, k) == nil {
			h.Content = append(h.Content[:i:i], h.Content[i+2:]...)
			changed = true
			continue
		}
		i += 2
	}
	return changed
}

// syncKeepAnnotations sets in have the keep annotations want has, and
// takes out those it has not (claim.keep: false).
func syncKeepAnnotations(have, want *yaml.Node) bool {
	changed := false
	wantAnnos := node.Lookup(node.Lookup(want, "metadata"), "annotations")
	for _, kv := range keepAnnotations {
		wantValue := node.Str(wantAnnos, kv[0])
		meta := node.Lookup(have, "metadata")
		annos := node.Lookup(meta, "annotations")
		switch has := node.Str(annos, kv[0]); {
		case wantValue != "" && has != wantValue:
			node.SetString(node.Ensure(meta, "annotations", yaml.MappingNode), kv[0], wantValue)
			changed = true
		case wantValue == "" && node.Lookup(annos, kv[0]) != nil:
			node.Remove(annos, kv[0])
			node.RemoveIfEmpty(meta, "annotations")
			changed = true
		}
	}
	return changed
}

// Rank is where r comes among the resources the plan generates, for
// ordering them canonically; ok is false when the plan does not generate r.
func (p *Plan) Rank(r *yaml.RNode) (rank int, ok bool) {
	if metaMap(r, "labels")[GeneratedLabel] != p.g.Name {
		return 0, false
	}
	rank, ok = p.rank[p.g.key(r)]
	return rank, ok
}

// report adds an info result about r saying what Finish changed or, in a
// drift report, an error result saying what is not as the graft would
// leave it.
func (p *Plan) report(out *Finished, r *yaml.RNode, done, drift string, args ...any) {
	p.reportField(out, r, "", done, drift, args...)
}

func (p *Plan) reportField(out *Finished, r *yaml.RNode, field, done, drift string, args ...any) {
	if p.g.check {
		out.Results = append(out.Results, newResult(framework.Error, r, field, drift, args...))
		return
	}
	out.Results = append(out.Results, newResult(framework.Info, r, field, done, args...))
}

// sameData compares two YAML trees by content, ignoring key order,
// comments and styles.
func sameData(a, b *yaml.Node) bool { return node.Equal(a, b) }
