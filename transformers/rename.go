package transformers

import (
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// rename is how a tool renamed a generated resource that a volume of the
// graft names: the name podgraft gave it (the record's, or the claim's)
// and the name the pod refers to now, which holds it with a prefix or a
// suffix around it (kustomize's namePrefix and nameSuffix, which fix the
// volume references to match).
type rename struct {
	given, now string
}

// follow gives name the prefix and suffix of the rename: a ConfigMap whose
// content changed gets its new hash inside the same prefix.
func (r rename) follow(name string) string {
	i := strings.Index(r.now, r.given)
	if r.given == "" || i < 0 {
		return name
	}
	return r.now[:i] + name + r.now[i+len(r.given):]
}

// volumeRef reads the name of the ConfigMap, Secret or claim a volume
// refers to, with its kind; "" when it refers to none.
func volumeRef(v *yaml.Node) (kind, name string) {
	switch {
	case node.Lookup(v, "configMap") != nil:
		return "ConfigMap", node.Str(node.Lookup(v, "configMap"), "name")
	case node.Lookup(v, "secret") != nil:
		return "Secret", node.Str(node.Lookup(v, "secret"), "secretName")
	case node.Lookup(v, "persistentVolumeClaim") != nil:
		return "PersistentVolumeClaim", node.Str(node.Lookup(v, "persistentVolumeClaim"), "claimName")
	}
	return "", ""
}

// givenName is the name podgraft gave the resource that volume v of the
// graft generates, as entry e recorded it: a files volume's ConfigMap or
// Secret (its hash may be an older one), a shared claim's claim name.
func (g *Graft) givenName(e *Entry, v *v1alpha1.Volume) string {
	if fs := g.files[v.Name]; fs != nil {
		prefix := fs.Kind() + "/" + g.Name + "-" + v.Name + "-"
		for _, gen := range e.Generated {
			if strings.HasPrefix(gen, prefix) && len(gen) == len(prefix)+len(fs.Hash()) {
				return strings.TrimPrefix(gen, fs.Kind()+"/")
			}
		}
		return ""
	}
	if v.Claim != nil && !v.Claim.PerReplica {
		return claimName(v)
	}
	return ""
}

// renames finds, before the graft is taken out to be applied again, the
// generated resources of its volumes that the pod refers to by another
// name that holds podgraft's: renamed by a tool, to be followed.
func (g *Graft) renames(p *pod, e *Entry) map[string]rename {
	vols := node.Lookup(node.Lookup(p.t.Node.YNode(), "spec"), "volumes")
	release := ""
	if len(g.files) > 0 {
		release, _ = g.releaseOf(p)
	}
	var out map[string]rename
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		given := g.givenName(e, v)
		idx := node.IndexByName(vols, v.Name)
		if given == "" || idx < 0 || !slices.Contains(e.Volumes, v.Name) {
			continue
		}
		if g.files[v.Name] != nil {
			// Renamed from what this release's name was: a workload now of
			// another release gets that one's, not a rename of the old.
			given = released(release, given)
		}
		if _, now := volumeRef(vols.Content[idx]); now != given && strings.Contains(now, given) {
			if out == nil {
				out = map[string]rename{}
			}
			out[v.Name] = rename{given: given, now: now}
		}
	}
	return out
}

// generatedRef is a generated resource that a targeted workload's volume
// names, as grafted: the name podgraft gave it, or a tool's rename of it.
type generatedRef struct {
	volume, kind, name string
	// unchanged says the workload's record was current: a resource it
	// names that the input lacks was filtered out (a kpt selector), not
	// deleted, and is not generated again.
	unchanged bool
}

// generatedRefs lists what the grafted templates of r name for the
// graft's generating volumes.
func (g *Graft) generatedRefs(r *yaml.RNode, tmpls []Template, unchanged bool) []generatedRef {
	var out []generatedRef
	for _, t := range tmpls {
		vols := node.Lookup(node.Lookup(t.Node.YNode(), "spec"), "volumes")
		for i := range g.spec.Volumes {
			v := &g.spec.Volumes[i]
			if g.files[v.Name] == nil && (v.Claim == nil || v.Claim.PerReplica) {
				continue
			}
			if idx := node.IndexByName(vols, v.Name); idx >= 0 {
				if kind, name := volumeRef(vols.Content[idx]); name != "" {
					out = append(out, generatedRef{volume: v.Name, kind: kind, name: name, unchanged: unchanged})
				}
			}
		}
	}
	return out
}

// mountedResources lists the ConfigMaps, Secrets and claims the templates'
// volumes name, projected ones included, as "Kind/namespace/name": a
// generated resource that a workload of the input still mounts is never
// dropped.
func mountedResources(tmpls []Template, namespace string) []string {
	var out []string
	add := func(kind, name string) {
		if name != "" {
			out = append(out, kind+"/"+namespace+"/"+name)
		}
	}
	for _, t := range tmpls {
		vols := node.Lookup(node.Lookup(t.Node.YNode(), "spec"), "volumes")
		if vols == nil || vols.Kind != yaml.SequenceNode {
			continue
		}
		for _, v := range vols.Content {
			add(volumeRef(v))
			sources := node.Lookup(node.Lookup(v, "projected"), "sources")
			if sources == nil || sources.Kind != yaml.SequenceNode {
				continue
			}
			for _, src := range sources.Content {
				add("ConfigMap", node.Str(node.Lookup(src, "configMap"), "name"))
				add("Secret", node.Str(node.Lookup(src, "secret"), "name"))
			}
		}
	}
	return out
}
