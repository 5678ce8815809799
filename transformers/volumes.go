package transformers

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// volumes is the step that adds volumes to the pod template and mounts
// them into containers. It records the volumes, mounts
// ("<container>:<mountPath>") and claim templates it added, and the
// ConfigMap or Secret a files volume names ("ConfigMap/<name>"); a claim's
// PersistentVolumeClaim is generated only where the input has none, which
// the Plan decides at the end of the stream. It runs after containers, so
// mounts can name the containers the same PodGraft grafts. Everything is
// checked before anything is written: a volume name used by a volume with
// another source, two mounts at one mountPath in a container, a mount
// naming no container, a hostPath outside spec.policy.allowedHostPaths.
func (g *Graft) volumes(p *pod) bool {
	if len(g.spec.Volumes) == 0 {
		return true
	}
	var writes []volumeWrite
	var generated []string
	release := ""
	if len(g.files) > 0 {
		var problem string
		if release, problem = g.releaseOf(p); problem != "" {
			p.add(framework.Warning, "metadata.labels."+InstanceLabel, "%s", problem)
		}
	}
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		w, ok := g.planVolume(p, i, v, release)
		if !ok {
			continue
		}
		if w.volume != nil || w.template != nil {
			writes = append(writes, w)
		}
		if fs := g.files[v.Name]; fs != nil {
			generated = append(generated, fs.Kind()+"/"+fs.Name(g.Name, v.Name))
		}
	}
	mounts := g.planMounts(p)
	if p.failed() {
		return false
	}
	// What this graft adds goes before what grafts that sort after it
	// added, so the result does not depend on the order grafts were
	// applied or upgraded in: grafts run in name order.
	later := laterEntries(p.rec, g.Name)
	e := p.entry
	for _, w := range writes {
		if w.volume != nil {
			seq := node.Ensure(p.spec, "volumes", yaml.SequenceNode)
			insertBefore(seq, w.volume, func(el *yaml.Node) bool { return later.volumes[node.Str(el, "name")] })
			e.Volumes = append(e.Volumes, w.name)
		}
		if w.template != nil {
			seq := node.Ensure(node.Lookup(p.res().YNode(), "spec"), "volumeClaimTemplates", yaml.SequenceNode)
			insertBefore(seq, w.template, func(el *yaml.Node) bool { return later.templates[claimTemplateName(el)] })
			e.ClaimTemplates = append(e.ClaimTemplates, w.name)
		}
	}
	for _, m := range mounts {
		seq := ensureGrafted(m.container, "volumeMounts", p.rec)
		insertBefore(seq, m.mount, func(el *yaml.Node) bool { return later.mounts[m.cname+":"+node.Str(el, "mountPath")] })
		e.Mounts = append(e.Mounts, m.cname+":"+m.mountPath)
		if m.isolated {
			p.namespaceEnv(g.Name, e, m.container)
		}
	}
	if p.failed() {
		return false
	}
	e.Generated = append(e.Generated, generated...)
	p.changed = true
	return true
}

// volumeWrite is one volume or claim template to write, found valid before
// anything is written.
type volumeWrite struct {
	volume   *yaml.Node // for spec.volumes
	template *yaml.Node // for the StatefulSet's volumeClaimTemplates
	name     string
}

type mountWrite struct {
	container *yaml.Node
	cname     string
	mount     *yaml.Node
	mountPath string
	// isolated: the mount expands PODGRAFT_NAMESPACE.
	isolated bool
}

func volumeField(i int) string { return "spec.volumes[" + strconv.Itoa(i) + "]" }

// planVolume builds the volume (or claim template) for this pod template
// and checks it against what the pod already has. A volume that is already
// there with the same source is used as it is and not recorded, so that
// removal leaves it.
func (g *Graft) planVolume(p *pod, i int, v *v1alpha1.Volume, release string) (volumeWrite, bool) {
	t, src := p.t, volumeField(i)
	n := node.Plain(v.Node)
	switch fs := g.files[v.Name]; {
	case fs != nil:
		name := generatedName(p.renamed, v.Name, released(release, fs.Name(g.Name, v.Name)))
		ref := node.New(yaml.MappingNode)
		if fs.Secret {
			node.SetString(ref, "secretName", name)
			node.Set(n, "secret", ref)
		} else {
			node.SetString(ref, "name", name)
			node.Set(n, "configMap", ref)
		}
	case node.Lookup(n, "hostPath") != nil:
		if !g.hostPath(p, n, src) {
			return volumeWrite{}, false
		}
	}
	if v.Claim != nil && v.Claim.PerReplica {
		return g.planClaimTemplate(p, src, v)
	}
	if v.Claim != nil {
		node.SetString(node.Lookup(n, "persistentVolumeClaim"), "claimName", generatedName(p.renamed, v.Name, claimName(v)))
	}
	vols := node.Lookup(p.spec, "volumes")
	if i := node.IndexByName(vols, v.Name); i >= 0 {
		owner := p.rec.owner(g.Name, func(e *Entry) []string { return e.Volumes }, v.Name)
		if sameData(vols.Content[i], n) && owner == "" {
			return volumeWrite{}, true // the pod's own volume, used as it is
		}
		p.fail(t.Field("spec", "volumes["+strconv.Itoa(i)+"]"),
			"%s: volume %q (%s, %s) clashes with %s volume %q (%s); rename one of them",
			g.Name, v.Name, src, volumeSource(n), whose(owner), v.Name, volumeSource(vols.Content[i]))
		return volumeWrite{}, false
	}
	if t.Node != t.Resource {
		resSpec := node.Lookup(t.Resource.YNode(), "spec")
		if i := claimTemplateIndex(node.Lookup(resSpec, "volumeClaimTemplates"), v.Name); i >= 0 {
			p.fail(node.Path("spec", "volumeClaimTemplates["+strconv.Itoa(i)+"]"),
				"%s: volume %q (%s, %s) clashes with the volumeClaimTemplates entry %q; rename one of them",
				g.Name, v.Name, src, volumeSource(n), v.Name)
			return volumeWrite{}, false
		}
	}
	return volumeWrite{volume: n, name: v.Name}, true
}

// planClaimTemplate turns a perReplica claim into a volumeClaimTemplates
// entry named after the volume. Only a StatefulSet has them.
func (g *Graft) planClaimTemplate(p *pod, src string, v *v1alpha1.Volume) (volumeWrite, bool) {
	r := p.res()
	if r.GetKind() != "StatefulSet" || apiGroup(r.GetApiVersion()) != "apps" {
		p.fail("", "%s: %s.claim.perReplica adds a volumeClaimTemplates entry, which only a StatefulSet has; target StatefulSets only with this volume, or drop perReplica to share one claim",
			g.Name, src)
		return volumeWrite{}, false
	}
	if i := node.IndexByName(node.Lookup(p.spec, "volumes"), v.Name); i >= 0 {
		p.fail(p.t.Field("spec", "volumes["+strconv.Itoa(i)+"]"),
			"%s: volume %q (%s, a per-replica claim) clashes with the pod's volume %q (%s); rename one of them",
			g.Name, v.Name, src, v.Name, volumeSource(node.Lookup(p.spec, "volumes").Content[i]))
		return volumeWrite{}, false
	}
	tmpl := claimTemplate(v.Claim, v.Name)
	resSpec := node.Lookup(r.YNode(), "spec")
	if seq := node.Lookup(resSpec, "volumeClaimTemplates"); seq != nil {
		if i := claimTemplateIndex(seq, v.Name); i >= 0 {
			owner := p.rec.owner(g.Name, func(e *Entry) []string { return e.ClaimTemplates }, v.Name)
			if sameData(node.Lookup(seq.Content[i], "spec"), node.Lookup(tmpl, "spec")) && owner == "" {
				return volumeWrite{}, true // the StatefulSet's own, used as it is
			}
			p.fail(node.Path("spec", "volumeClaimTemplates["+strconv.Itoa(i)+"]"),
				"%s: the per-replica claim of volume %q (%s) clashes with %s volumeClaimTemplates entry %q; rename one of them",
				g.Name, v.Name, src, whose(owner), v.Name)
			return volumeWrite{}, false
		}
	}
	return volumeWrite{template: tmpl, name: v.Name}, true
}

// hostPath checks the volume's hostPath against the allowed-path policy.
// Isolation does not change the path: it is resolved at runtime, in the
// mounts (isolated).
func (g *Graft) hostPath(p *pod, n *yaml.Node, src string) bool {
	base := path.Clean(node.Str(node.Lookup(n, "hostPath"), "path"))
	allowed := g.spec.Policy.AllowedHostPaths
	if !allowedHostPath(base, allowed) {
		p.fail("", "%s: %s.hostPath.path: %q is outside spec.policy.allowedHostPaths (%s)",
			g.Name, src, base, strings.Join(allowed, ", "))
		return false
	}
	return true
}

// NamespaceEnv is the environment variable podgraft gives each container
// that mounts an isolated hostPath: the pod's namespace, from the downward
// API, which the mount's subPathExpr expands.
const NamespaceEnv = "PODGRAFT_NAMESPACE"

// isolated turns a mount of an isolated hostPath into one of a
// subdirectory that only this namespace (and workload) sees: subPathExpr
// $(PODGRAFT_NAMESPACE), then the workload's name for isolate: workload,
// then any subPath the user gave. The namespace is resolved at runtime,
// since kustomize overlays, Helm and the admission webhook set it after
// podgraft runs; kubelet creates the directory. The workload's name is
// the one podgraft sees: a namePrefix applied later does not change it.
func (g *Graft) isolated(p *pod, v *v1alpha1.Volume, mount *yaml.Node, src string) bool {
	expr := "$(" + NamespaceEnv + ")"
	if v.Isolate == v1alpha1.IsolateWorkload {
		name := p.res().GetName()
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\$()`) {
			p.fail("metadata.name", "%s: %s: cannot isolate the hostPath under the workload's name %q: not a single path segment", g.Name, src, name)
			return false
		}
		expr += "/" + name
	}
	if sub := node.Str(mount, "subPath"); sub != "" {
		expr += "/" + sub
		node.Remove(mount, "subPath")
	}
	node.SetString(mount, "subPathExpr", expr)
	return true
}

// namespaceEnv gives container c the PODGRAFT_NAMESPACE variable an
// isolated mount expands, recorded in e; a container that has it already,
// from the downward API, keeps it, shared. Another value is a conflict.
func (p *pod) namespaceEnv(graft string, e *Entry, c *yaml.Node) {
	key := node.Str(c, "name") + ":" + NamespaceEnv
	if slices.Contains(e.Env, key) {
		return
	}
	want := namespaceVar()
	env := node.Lookup(c, "env")
	if i := node.IndexByName(env, NamespaceEnv); i >= 0 {
		if !node.Equal(env.Content[i], want) {
			p.fail(p.t.Field("spec"), "%s: container %q sets %s, which an isolated hostPath mount needs from the downward API (fieldRef metadata.namespace); rename the container's variable",
				graft, node.Str(c, "name"), NamespaceEnv)
			return
		}
	} else {
		env = ensureGrafted(c, "env", p.rec)
		env.Content = append(env.Content, want)
	}
	e.Env = append(e.Env, key)
}

func namespaceVar() *yaml.Node {
	v := node.New(yaml.MappingNode)
	node.SetString(v, "name", NamespaceEnv)
	from := node.Ensure(node.Ensure(v, "valueFrom", yaml.MappingNode), "fieldRef", yaml.MappingNode)
	node.SetString(from, "fieldPath", "metadata.namespace")
	return v
}

// allowedHostPath reports whether p lies under one of the prefixes,
// comparing whole path segments: "/var/cache" allows "/var/cache/shop"
// but not "/var/cached". No prefixes allow everything.
func allowedHostPath(p string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, prefix := range prefixes {
		prefix = path.Clean(prefix)
		if p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
			return true
		}
	}
	return false
}

// planMounts resolves every mount's containers and checks mountPaths.
func (g *Graft) planMounts(p *pod) []mountWrite {
	var out []mountWrite
	taken := map[string]string{} // "<container>:<mountPath>" -> the config mount that takes it
	owners := p.rec.containers()
	for i := range g.spec.Volumes {
		v := &g.spec.Volumes[i]
		for j := range v.Mounts {
			m := &v.Mounts[j]
			src := volumeField(i) + ".mounts[" + strconv.Itoa(j) + "]"
			targets, missing := selectTargets(p.spec, m.Containers, m.InitContainers)
			reaching := len(missing) > 0 || len(targets) == 0 || reaches(m.Containers, owners, g.Name) || reaches(m.InitContainers, owners, g.Name)
			pt := g.mountParts[m]
			if reaching {
				p.entry.Reach = append(p.entry.Reach, Reach{Containers: m.Containers, InitContainers: m.InitContainers, Mount: pt.record})
			}
			// A container the pod does not have may come with a graft that
			// runs later: the mount is kept for it (Reach), and the
			// warning stays only if no graft of the run adds it.
			for _, name := range missing {
				p.wait(p.t.Field("spec"), []string{name}, "%s: %s.containers names %q, but the pod has no such container; it gets the mount when a graft adds it", g.Name, src, name)
			}
			if len(targets) == 0 && len(missing) == 0 {
				if len(m.InitContainers) == 0 {
					p.wait(p.t.Field("spec"), m.Containers, "%s: %s.containers (%s) matches no container of the pod; they get the mount when a graft adds them", g.Name, src, strings.Join(m.Containers, ", "))
				} else {
					p.waitInits(p.t.Field("spec"), m.Containers, m.InitContainers, "%s: %s (%s) matches no container of the pod; they get the mount when a graft adds them", g.Name, src, describeRefs(m.Containers, m.InitContainers))
				}
			}
			for _, c := range targets {
				cname := c.name()
				mount := pt.node(reaching)
				if v.Isolate != "" && v.Isolate != v1alpha1.IsolateNone && !g.isolated(p, v, mount, src) {
					continue
				}
				key := cname + ":" + m.MountPath
				if other, dup := taken[key]; dup {
					p.fail(p.t.Field("spec", c.field()), "%s: %s and %s both mount at %q in container %q", g.Name, other, src, m.MountPath, cname)
					continue
				}
				taken[key] = src
				if i, existing := mountAt(c.node, m.MountPath); existing != nil {
					owner := p.rec.owner(g.Name, func(e *Entry) []string { return e.Mounts }, cname+":"+node.Str(existing, "mountPath"))
					if sameData(existing, mount) && owner == "" {
						continue // the container's own mount, used as it is
					}
					p.fail(p.t.Field("spec", c.field(), "volumeMounts["+strconv.Itoa(i)+"]"),
						"%s: %s mounts volume %q at %q in container %q, but %s mount of volume %q is already there",
						g.Name, src, v.Name, m.MountPath, cname, whose(owner), node.Str(existing, "name"))
					continue
				}
				out = append(out, mountWrite{container: c.node, cname: cname, mount: mount, mountPath: m.MountPath, isolated: v.Isolate == v1alpha1.IsolateNamespace || v.Isolate == v1alpha1.IsolateWorkload})
			}
		}
	}
	return out
}

// mountTargets returns the containers the patterns select, in pod order
// (init containers first), and the exact names that match nothing. A glob
// matches only the containers that run for the pod's lifetime; an init
// container that runs to completion must be named.
func mountTargets(spec *yaml.Node, patterns []string) (targets []container, missing []string) {
	found := map[string]bool{}
	for _, c := range allContainers(spec) {
		name := c.name()
		selected := false
		for _, p := range patterns {
			if p == name {
				selected, found[p] = true, true
			} else if ok, _ := path.Match(p, name); ok && c.lifetime() && isGlob(p) {
				selected = true
			}
		}
		if selected {
			targets = append(targets, c)
		}
	}
	for _, p := range patterns {
		if !isGlob(p) && !found[p] {
			missing = append(missing, p)
		}
	}
	return targets, missing
}

func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// mountAt returns the container's volumeMount at mountPath.
func mountAt(c *yaml.Node, mountPath string) (int, *yaml.Node) {
	vm := node.Lookup(c, "volumeMounts")
	if vm == nil {
		return -1, nil
	}
	for i, m := range vm.Content {
		if path.Clean(node.Str(m, "mountPath")) == path.Clean(mountPath) {
			return i, m
		}
	}
	return -1, nil
}

// volumeSource names a volume's source field for messages: "emptyDir".
func volumeSource(v *yaml.Node) string {
	for i := 0; i+1 < len(v.Content); i += 2 {
		if k := v.Content[i].Value; k != "name" {
			return k
		}
	}
	return "no source"
}

// claimName is the PVC a shared claim volume names.
func claimName(v *v1alpha1.Volume) string {
	if v.PersistentVolumeClaim == nil {
		return ""
	}
	return v.PersistentVolumeClaim.ClaimName
}

// claimTemplate renders a claim as a volumeClaimTemplates entry.
func claimTemplate(c *v1alpha1.Claim, name string) *yaml.Node {
	tmpl := node.New(yaml.MappingNode)
	meta := node.Ensure(tmpl, "metadata", yaml.MappingNode)
	node.SetString(meta, "name", name)
	node.Set(tmpl, "spec", claimSpec(c))
	return tmpl
}

// claimSpec renders a claim's PersistentVolumeClaimSpec.
func claimSpec(c *v1alpha1.Claim) *yaml.Node {
	spec := node.New(yaml.MappingNode)
	modes := node.Ensure(spec, "accessModes", yaml.SequenceNode)
	for _, m := range c.AccessModes {
		modes.Content = append(modes.Content, node.String(string(m)))
	}
	if c.StorageClassName != "" {
		node.SetString(spec, "storageClassName", c.StorageClassName)
	}
	requests := node.Ensure(node.Ensure(spec, "resources", yaml.MappingNode), "requests", yaml.MappingNode)
	node.SetString(requests, "storage", c.Storage)
	return spec
}

func claimTemplateName(el *yaml.Node) string { return node.Str(node.Lookup(el, "metadata"), "name") }

// claimTemplateIndex returns the index of the volumeClaimTemplates entry
// whose metadata.name is name.
func claimTemplateIndex(seq *yaml.Node, name string) int {
	if seq == nil {
		return -1
	}
	for i, el := range seq.Content {
		if claimTemplateName(el) == name {
			return i
		}
	}
	return -1
}

// removeClaimTemplates deletes the volumeClaimTemplates entries named in
// names (by metadata.name).
func removeClaimTemplates(seq *yaml.Node, names map[string]bool) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	kept := seq.Content[:0]
	for _, el := range seq.Content {
		if !names[claimTemplateName(el)] {
			kept = append(kept, el)
		}
	}
	seq.Content = kept
}

// graftItems are the volumes, mounts and claim templates some grafts added.
type graftItems struct {
	volumes, mounts, templates map[string]bool
}

// laterEntries collects what the grafts whose names sort after graft added.
func laterEntries(rec Record, graft string) graftItems {
	out := graftItems{volumes: map[string]bool{}, mounts: map[string]bool{}, templates: map[string]bool{}}
	for name, e := range rec {
		if name <= graft {
			continue
		}
		for _, v := range e.Volumes {
			out.volumes[v] = true
		}
		for _, m := range e.Mounts {
			out.mounts[m] = true
		}
		for _, c := range e.ClaimTemplates {
			out.templates[c] = true
		}
	}
	return out
}

// insertBefore inserts n into seq before the first element that isLater,
// or at the end.
func insertBefore(seq, n *yaml.Node, isLater func(*yaml.Node) bool) {
	i := len(seq.Content)
	for j, el := range seq.Content {
		if isLater(el) {
			i = j
			break
		}
	}
	node.InsertAt(seq, i, n)
}

// whose says who added a pod's item, for messages.
func whose(owner string) string {
	if owner == "" {
		return "the pod's own"
	}
	return owner + "'s"
}
