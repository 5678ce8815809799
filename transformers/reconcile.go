package transformers

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// reconcile is the step that makes re-runs safe. It decides, from the
// graft's entry in the record, what is to be done with the template, and
// takes out what a stale entry added, or an entry whose graft no longer
// targets the template (or is being removed). It returns true when the
// graft is to be applied now. In a drift report it changes nothing and
// reports what it would do: an error per graft missing, out of date or to
// be taken out, an info per targeted graft that is current.
func (g *Graft) reconcile(p *pod, targeted bool) bool {
	e := p.rec[g.Name]
	why := g.drift(targeted, e, node.Lookup(p.t.Node.YNode(), "spec"))
	switch {
	case why == "" && g.check && targeted:
		p.add(framework.Info, "", "graft %s is current", g.Name)
		return false
	case why == "":
		return false
	case g.check:
		p.add(framework.Error, "", "graft %s %s", g.Name, why)
		return false
	}
	if e != nil {
		unapply(p.t, e)
		delete(p.rec, g.Name)
		p.saveRecord()
		if g.remove {
			p.add(framework.Info, RecordAnnotation, "removed what %s added: %s", g.Name, e.Summary())
		}
	}
	return targeted
}

// drift says what is to be done about a template's entry for this graft,
// as the rest of "graft <name> ...", or "" when nothing is: the graft is
// missing from a targeted template, or out of date there, or present where
// it is no longer targeted (or is being removed).
func (g *Graft) drift(targeted bool, e *Entry, spec *yaml.Node) string {
	switch {
	case targeted && e == nil:
		return "is missing"
	case targeted:
		if why := e.stale(g.hash, spec); why != "" {
			return "is out of date (" + why + ")"
		}
		return ""
	case e == nil:
		return ""
	case g.remove:
		return fmt.Sprintf("is still present (recorded hash %s)", e.Hash)
	}
	return fmt.Sprintf("is out of date (recorded hash %s; the config no longer targets this workload)", e.Hash)
}

// unapply takes out of t what e records, and only that.
func unapply(t Template, e *Entry) {
	spec := node.Lookup(t.Node.YNode(), "spec")
	if spec == nil {
		return
	}
	mounts := set(e.Mounts)
	for _, c := range allContainers(spec) {
		unmount(c.node, c.name(), mounts)
		unprobe(c.node, c.name(), e)
	}
	node.RemoveByName(node.Lookup(spec, "initContainers"), set(append(append([]string{}, e.InitContainers...), e.Sidecars...)))
	node.RemoveByName(node.Lookup(spec, "containers"), set(e.Containers))
	node.RemoveIfEmpty(spec, "initContainers")
	node.RemoveByName(node.Lookup(spec, "volumes"), set(e.Volumes))
	node.RemoveIfEmpty(spec, "volumes")
	if len(e.ClaimTemplates) > 0 {
		resSpec := node.Lookup(t.Resource.YNode(), "spec")
		removeClaimTemplates(node.Lookup(resSpec, "volumeClaimTemplates"), set(e.ClaimTemplates))
		node.RemoveIfEmpty(resSpec, "volumeClaimTemplates")
	}
}

func unmount(c *yaml.Node, name string, mounts map[string]bool) {
	vm := node.Lookup(c, "volumeMounts")
	if vm == nil || len(mounts) == 0 {
		return
	}
	kept := vm.Content[:0]
	for _, m := range vm.Content {
		if !mounts[name+":"+node.Str(m, "mountPath")] {
			kept = append(kept, m)
		}
	}
	vm.Content = kept
	node.RemoveIfEmpty(c, "volumeMounts")
}

func unprobe(c *yaml.Node, name string, e *Entry) {
	for _, p := range e.Probes {
		cname, kind, _ := strings.Cut(p, ":")
		if cname != name {
			continue
		}
		key := kind + "Probe"
		if old, ok := e.Replaced[p]; ok {
			var n yaml.Node
			if err := yaml.Unmarshal(old, &n); err == nil && len(n.Content) == 1 {
				node.Set(c, key, fromJSON(n.Content[0]))
				continue
			}
		}
		node.Remove(c, key)
	}
}
