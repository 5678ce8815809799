package transformers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// snapshot is what a pod template held before a graft was applied again:
// the record, and a fingerprint of each part the graft's entry lists.
type snapshot struct {
	rec   string
	parts map[string]uint64
	// stale says why the entry was written by another version of the
	// graft, or against another app image (imageFrom).
	stale string
}

func (p *pod) snapshot(e *Entry, hash string) snapshot {
	return snapshot{rec: canonicalRecord(p.rec), parts: p.parts(e),
		stale: e.stale(hash, node.Lookup(p.t.Node.YNode(), "spec"))}
}

// parts fingerprints each part that e lists, as the pod has it now; a part
// the pod lacks is left out. A container is printed without the mounts
// and probes that the record lists as parts of their own, so that a probe
// deleted by hand is that probe's drift, not its container's.
func (p *pod) parts(e *Entry) map[string]uint64 {
	spec := node.Lookup(p.t.Node.YNode(), "spec")
	byName := map[string]*yaml.Node{}
	for _, c := range allContainers(spec) {
		byName[c.name()] = c.node
	}
	mount := func(key string) *yaml.Node {
		cname, path, _ := strings.Cut(key, ":")
		_, m := mountAt(byName[cname], path)
		return m
	}
	probe := func(key string) *yaml.Node {
		cname, kind, _ := strings.Cut(key, ":")
		return node.Value(byName[cname], probeField(kind))
	}
	var own []*yaml.Node
	for _, other := range p.rec {
		for _, k := range other.Mounts {
			own = append(own, mount(k))
		}
		for _, k := range other.Probes {
			own = append(own, probe(k))
		}
	}
	out := map[string]uint64{}
	add := func(key string, n *yaml.Node, skip ...*yaml.Node) {
		if n != nil {
			out[key] = node.Fingerprint(n, skip...)
		}
	}
	for _, c := range e.InitContainers {
		add(fmt.Sprintf("init container %q", c), byName[c], own...)
	}
	for _, c := range append(append([]string{}, e.Sidecars...), e.Containers...) {
		add(fmt.Sprintf("sidecar %q", c), byName[c], own...)
	}
	vols := node.Lookup(spec, "volumes")
	for _, v := range e.Volumes {
		if i := node.IndexByName(vols, v); i >= 0 {
			add(fmt.Sprintf("volume %q", v), vols.Content[i])
		}
	}
	for _, k := range e.Mounts {
		add("mount "+k, mount(k))
	}
	for _, k := range e.Probes {
		add("probe "+k, probe(k))
	}
	p.envParts(e, byName, add)
	if seq := node.Lookup(node.Lookup(p.res().YNode(), "spec"), "volumeClaimTemplates"); seq != nil {
		for _, name := range e.ClaimTemplates {
			if i := claimTemplateIndex(seq, name); i >= 0 {
				add(claimTemplatePart(name), seq.Content[i])
			}
		}
	}
	return out
}

func claimTemplatePart(name string) string { return fmt.Sprintf("volumeClaimTemplates entry %q", name) }

// unapply takes out of the template what graft's entry e records, and
// only that, and takes the graft out of the record. The mounts and probes
// other grafts keep on the containers it takes out go with them, from the
// pod and from their entries.
func (p *pod) unapply(graft string, e *Entry) {
	delete(p.rec, graft)
	if len(p.rec) == 0 {
		p.lastFound = e.Found
	}
	unenv(p.t, e, p.rec)
	unenvFrom(p.t, e, p.rec)
	unmeta(p.t, e, p.rec)
	unapply(p.t, e)
	gone := set(e.containerNames())
	for _, other := range p.rec {
		other.forget(gone)
	}
}

// report says what applying the graft again to a pod that was not current
// did: an info for a graft applied or taken out, a warning for a drift
// repaired; in a drift report, an error for each of these.
func (g *Graft) report(p *pod, old *Entry, before snapshot, targeted bool) {
	var why string
	switch {
	case old == nil:
		why = "is missing"
	case !targeted && g.remove:
		why = fmt.Sprintf("is still present (recorded hash %s)", old.Hash)
	case !targeted:
		why = fmt.Sprintf("is out of date (recorded hash %s; the config no longer targets this workload)", old.Hash)
	case before.stale != "":
		why = "is out of date (" + before.stale + ")"
	default: // not current (currentOnCopy)
		why = "has drifted from its record: " + drift(before.parts, p.parts(p.entry))
	}
	p.saveRecord()
	if !g.check {
		g.warnClaimTemplates(p, old, before, targeted)
		if old != nil && p.res().GetKind() == "Job" && isJob(p.res()) {
			p.add(framework.Warning, p.t.Field("spec"),
				"%s changes the pod template of this %s, which Kubernetes does not allow on a Job that exists (spec.template: field is immutable): helm upgrade and kubectl apply fail for it. Exclude Jobs from the graft (spec.exclude.kinds: [Job]), or make the Job a Helm hook with a delete policy so that it is created anew",
				g.Name, p.res().GetKind())
		}
	}
	if g.check {
		var errs framework.Results
		for _, r := range p.results {
			if r.Severity == framework.Error {
				errs = append(errs, r)
			}
		}
		p.results, p.waiting = errs, nil
		p.add(framework.Error, "", "graft %s %s", g.Name, why)
		return
	}
	switch {
	case !targeted && g.remove:
		p.add(framework.Info, RecordAnnotation, "removed what %s added: %s", g.Name, old.Summary())
	case !targeted:
	default:
		if strings.HasPrefix(why, "has drifted") {
			p.add(framework.Warning, "", "graft %s %s; applied it again", g.Name, why)
		}
		p.add(framework.Info, "", "grafted by %s: %s", g.Name, p.entry.Summary())
	}
}

// warnClaimTemplates warns when the graft added, changed or took out a
// volumeClaimTemplates entry: the field is immutable, so the API server
// refuses kubectl apply, helm upgrade and --remove of a StatefulSet that
// exists.
func (g *Graft) warnClaimTemplates(p *pod, old *Entry, before snapshot, targeted bool) {
	var was, now []string
	if old != nil {
		was = old.ClaimTemplates
	}
	if targeted && p.entry != nil {
		now = p.entry.ClaimTemplates
	}
	if len(was) == 0 && len(now) == 0 {
		return // the common case: no fingerprints to take
	}
	after := map[string]uint64{}
	if targeted && p.entry != nil {
		after = p.parts(p.entry)
	}
	var what []string
	for _, name := range now {
		switch prev, ok := before.parts[claimTemplatePart(name)]; {
		case !slices.Contains(was, name) || !ok:
			what = append(what, fmt.Sprintf("adds %q", name))
		case prev != after[claimTemplatePart(name)]:
			what = append(what, fmt.Sprintf("changes %q", name))
		}
	}
	for _, name := range was {
		if !slices.Contains(now, name) {
			what = append(what, fmt.Sprintf("removes %q", name))
		}
	}
	if len(what) == 0 {
		return
	}
	p.add(framework.Warning, "spec.volumeClaimTemplates",
		"%s %s in volumeClaimTemplates, which a StatefulSet cannot change once it exists: kubectl apply, helm upgrade and podgraft --remove are refused for it. For an existing StatefulSet, delete it keeping its pods and claims (kubectl delete statefulset %s --cascade=orphan) and apply again",
		g.Name, strings.Join(what, ", "), p.res().GetName())
}

// drift lists the parts that are missing or not what the graft adds.
func drift(before, after map[string]uint64) string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(after)) {
		switch was, ok := before[key]; {
		case !ok:
			out = append(out, key+" was missing")
		case was != after[key]:
			out = append(out, key+" was changed")
		}
	}
	if len(out) == 0 {
		return "its parts were moved in the pod"
	}
	return strings.Join(out, ", ")
}

// unapply takes out of t what e records, and only that.
func unapply(t Template, e *Entry) {
	spec := node.Lookup(t.Node.YNode(), "spec")
	if spec == nil {
		return
	}
	mounts := set(e.Mounts)
	for _, c := range allContainers(spec) {
		unmount(c.node, c.name(), mounts, e.Found)
		unprobe(c.node, c.name(), e)
	}
	for list, names := range map[string][]string{
		"initContainers": append(append([]string{}, e.InitContainers...), e.Sidecars...),
		"containers":     e.Containers,
		"volumes":        e.Volumes,
	} {
		takeOut(spec, list, e.Found, "spec."+list, func(seq *yaml.Node) { node.RemoveByName(seq, set(names)) })
	}
	if len(e.ClaimTemplates) > 0 {
		resSpec := node.Lookup(t.Resource.YNode(), "spec")
		takeOut(resSpec, "volumeClaimTemplates", e.Found, foundClaimTemplates, func(seq *yaml.Node) {
			removeClaimTemplates(seq, set(e.ClaimTemplates))
		})
	}
}

// takeOut takes items out of the list at key in m with drop, then the
// key when the list is left empty (removeIfEmpty); a list drop took
// nothing out of stays as it was, empty or not.
func takeOut(m *yaml.Node, key string, found map[string]string, foundKey string, drop func(seq *yaml.Node)) {
	seq := node.Lookup(m, key)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	n := len(seq.Content)
	drop(seq)
	if len(seq.Content) < n {
		removeIfEmpty(m, key, found, foundKey)
	}
}

// unenv takes out the variables e added that no other entry of rec lists.
func unenv(t Template, e *Entry, rec Record) {
	shared := map[string]bool{}
	for _, other := range rec {
		for _, k := range other.Env {
			shared[k] = true
		}
	}
	for _, c := range allContainers(node.Lookup(t.Node.YNode(), "spec")) {
		takeOut(c.node, "env", e.Found, c.name()+":env", func(env *yaml.Node) {
			kept := env.Content[:0]
			for _, v := range env.Content {
				key := c.name() + ":" + node.Str(v, "name")
				if slices.Contains(e.Env, key) && !shared[key] {
					if own := restoredVar(e, key); own != nil {
						kept = append(kept, own) // an override's: the user's own back
					}
					continue
				}
				kept = append(kept, v)
			}
			env.Content = kept
		})
	}
}

func unmount(c *yaml.Node, name string, mounts map[string]bool, found map[string]string) {
	if len(mounts) == 0 {
		return
	}
	takeOut(c, "volumeMounts", found, name+":volumeMounts", func(vm *yaml.Node) {
		kept := vm.Content[:0]
		for _, m := range vm.Content {
			if !mounts[name+":"+node.Str(m, "mountPath")] {
				kept = append(kept, m)
			}
		}
		vm.Content = kept
	})
}

func unprobe(c *yaml.Node, name string, e *Entry) {
	for _, p := range e.Probes {
		cname, kind, _ := strings.Cut(p, ":")
		if cname != name {
			continue
		}
		key := probeField(kind)
		if old, ok := e.Replaced[p]; ok {
			if n, ok := loadNode(old); ok {
				node.Set(c, key, n)
				continue
			}
		}
		node.Remove(c, key)
	}
}
