package transformers

import (
	"bytes"
	"path"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Isolation modes of a hostPath volume.
const (
	IsolateNone      = "none"
	IsolateNamespace = "namespace" // appends /<namespace>
	IsolateWorkload  = "workload"  // appends /<namespace>/<workload name>
)

// GraftVolume is one volume a PodGraft adds to every pod template it
// targets, with where to mount it.
type GraftVolume struct {
	Name string
	// Source names the volume in the config, for messages: "spec.volumes[1]".
	Source string
	// Node is the volume as the user wrote it, without podgraft's own keys
	// (files, fromFiles, secret, isolate, claim, mounts).
	Node *yaml.Node
	// Files, when set, backs the volume with a generated ConfigMap or
	// Secret; the volume becomes a configMap or secret volume naming it.
	Files *FileSet
	// Isolate (hostPath only) is IsolateNone, IsolateNamespace or
	// IsolateWorkload.
	Isolate string
	// Claim, when set, generates the PersistentVolumeClaim the volume
	// names, or with PerReplica a volumeClaimTemplates entry.
	Claim  *Claim
	Mounts []GraftMount
}

// GraftMount places a volume in containers.
type GraftMount struct {
	// Source names the mount in the config: "spec.volumes[1].mounts[0]".
	Source string
	// Containers are names or globs. A glob, "*" included, matches the
	// containers that run for the pod's lifetime: app containers and
	// sidecars, grafted or not. An init container that runs to completion
	// is mounted only when named exactly.
	Containers []string
	MountPath  string
	// Node is the mount as the user wrote it, without containers; the
	// volumeMount is name followed by these fields.
	Node *yaml.Node
}

// Claim is a PersistentVolumeClaim to generate.
type Claim struct {
	AccessModes      []string
	StorageClassName string
	Storage          string
	// PerReplica (StatefulSet only) adds a volumeClaimTemplates entry named
	// after the volume instead of a pod volume, so each replica gets its
	// own claim.
	PerReplica bool
}

// Volumes is the filter that adds volumes to pod templates and mounts them
// into containers. It records in the graft record the volumes, mounts
// ("<container>:<mountPath>") and claim templates it added, and the
// ConfigMap or Secret a files volume names ("ConfigMap/<name>"); a claim's
// PersistentVolumeClaim is generated only where the input has none, which
// Plan decides at the end of the stream, so it is reported there. It runs after Containers, so mounts can name the
// containers the same PodGraft grafts. Everything is checked before
// anything is written: a volume name used by a volume with another source,
// two mounts at one mountPath in a container, a mount naming no container,
// a hostPath outside AllowedHostPaths.
type Volumes struct {
	Graft string
	Items []GraftVolume
	// AllowedHostPaths, when set, are the path prefixes (compared by whole
	// path segments) a hostPath may use, after isolation.
	AllowedHostPaths []string
	Locator          Locator
	Results          *Results
}

var _ kio.Filter = Volumes{}

// Filter adds the volumes to every pod template of nodes.
func (f Volumes) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if len(f.Items) == 0 {
		return nodes, nil
	}
	return f.Locator.eachPod(nodes, f.graft)
}

// volumeWrite is one volume, claim template or mount to write, found valid
// before anything is written.
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
}

func (f Volumes) graft(t Template, spec *yaml.Node, rec Record, errs *ErrorList) {
	mark := len(errs.Results)
	var volumes []volumeWrite
	var generated []string
	for _, v := range f.Items {
		w, ok := f.plan(t, spec, rec, v, errs)
		if !ok {
			continue
		}
		if w.volume != nil || w.template != nil {
			volumes = append(volumes, w)
		}
		if v.Files != nil {
			generated = append(generated, v.Files.Kind()+"/"+v.Files.Name(f.Graft, v.Name))
		}
	}
	mounts := f.planMounts(t, spec, rec, errs)
	if len(errs.Results) > mark {
		return
	}
	// What this graft adds goes before what grafts that sort after it
	// added, so the result does not depend on the order grafts were
	// applied or upgraded in: grafts run in name order.
	later := laterEntries(rec, f.Graft)
	e := rec.Entry(f.Graft)
	for _, w := range volumes {
		if w.volume != nil {
			seq := ensure(spec, "volumes", yaml.SequenceNode)
			insertBefore(seq, w.volume, func(el *yaml.Node) bool { return later.volumes[str(el, "name")] })
			e.Volumes = append(e.Volumes, w.name)
		}
		if w.template != nil {
			seq := ensure(lookup(t.Resource.YNode(), "spec"), "volumeClaimTemplates", yaml.SequenceNode)
			insertBefore(seq, w.template, func(el *yaml.Node) bool { return later.templates[str(lookup(el, "metadata"), "name")] })
			e.ClaimTemplates = append(e.ClaimTemplates, w.name)
		}
	}
	for _, m := range mounts {
		seq := ensure(m.container, "volumeMounts", yaml.SequenceNode)
		insertBefore(seq, m.mount, func(el *yaml.Node) bool { return later.mounts[m.cname+":"+str(el, "mountPath")] })
		e.Mounts = append(e.Mounts, m.cname+":"+m.mountPath)
	}
	e.Generated = append(e.Generated, generated...)
	rec.Save(t)
}

// plan builds the volume (or claim template) for this pod template and
// checks it against what the pod already has. A volume that is already
// there with the same source is used as it is and not recorded, so that
// removal leaves it.
func (f Volumes) plan(t Template, spec *yaml.Node, rec Record, v GraftVolume, errs *ErrorList) (volumeWrite, bool) {
	node := plain(v.Node)
	switch {
	case v.Files != nil:
		name := v.Files.Name(f.Graft, v.Name)
		src := newNode(yaml.MappingNode)
		if v.Files.Secret {
			setString(src, "secretName", name)
			setNode(node, "secret", src)
		} else {
			setString(src, "name", name)
			setNode(node, "configMap", src)
		}
	case lookup(node, "hostPath") != nil:
		if !f.hostPath(t, node, v, errs) {
			return volumeWrite{}, false
		}
	}
	if v.Claim != nil && v.Claim.PerReplica {
		return f.planClaimTemplate(t, spec, rec, v, errs)
	}
	w := volumeWrite{volume: node, name: v.Name}
	vols := lookup(spec, "volumes")
	if i := indexByName(vols, v.Name); i >= 0 {
		owner := otherOwner(rec, f.Graft, func(e *Entry) []string { return e.Volumes }, v.Name)
		if sameVolume(vols.Content[i], node) && owner == "" {
			return volumeWrite{}, true // the pod's own volume, used as it is
		}
		errs.Addf(t.Resource, t.Field("spec", "volumes["+strconv.Itoa(i)+"]"),
			"%s: volume %q (%s, %s) clashes with %s volume %q (%s); rename one of them",
			f.Graft, v.Name, v.Source, volumeSource(node), whose(owner), v.Name, volumeSource(vols.Content[i]))
		return volumeWrite{}, false
	}
	if resSpec := lookup(t.Resource.YNode(), "spec"); t.Node != t.Resource {
		if i := claimTemplateIndex(lookup(resSpec, "volumeClaimTemplates"), v.Name); i >= 0 {
			errs.Addf(t.Resource, FieldPath("spec", "volumeClaimTemplates["+strconv.Itoa(i)+"]"),
				"%s: volume %q (%s, %s) clashes with the volumeClaimTemplates entry %q; rename one of them",
				f.Graft, v.Name, v.Source, volumeSource(node), v.Name)
			return volumeWrite{}, false
		}
	}
	return w, true
}

// planClaimTemplate turns a perReplica claim into a volumeClaimTemplates
// entry named after the volume. Only a StatefulSet has them.
func (f Volumes) planClaimTemplate(t Template, spec *yaml.Node, rec Record, v GraftVolume, errs *ErrorList) (volumeWrite, bool) {
	if t.Resource.GetKind() != "StatefulSet" || apiGroup(t.Resource.GetApiVersion()) != "apps" {
		errs.Addf(t.Resource, "", "%s: %s.claim.perReplica adds a volumeClaimTemplates entry, which only a StatefulSet has; target StatefulSets only with this volume, or drop perReplica to share one claim",
			f.Graft, v.Source)
		return volumeWrite{}, false
	}
	if i := indexByName(lookup(spec, "volumes"), v.Name); i >= 0 {
		errs.Addf(t.Resource, t.Field("spec", "volumes["+strconv.Itoa(i)+"]"),
			"%s: volume %q (%s, a per-replica claim) clashes with the pod's volume %q (%s); rename one of them",
			f.Graft, v.Name, v.Source, v.Name, volumeSource(lookup(spec, "volumes").Content[i]))
		return volumeWrite{}, false
	}
	tmpl := v.Claim.template(v.Name)
	resSpec := lookup(t.Resource.YNode(), "spec")
	if seq := lookup(resSpec, "volumeClaimTemplates"); seq != nil {
		if i := claimTemplateIndex(seq, v.Name); i >= 0 {
			owner := otherOwner(rec, f.Graft, func(e *Entry) []string { return e.ClaimTemplates }, v.Name)
			if sameVolume(lookup(seq.Content[i], "spec"), lookup(tmpl, "spec")) && owner == "" {
				return volumeWrite{}, true // the StatefulSet's own, used as it is
			}
			errs.Addf(t.Resource, FieldPath("spec", "volumeClaimTemplates["+strconv.Itoa(i)+"]"),
				"%s: the per-replica claim of volume %q (%s) clashes with %s volumeClaimTemplates entry %q; rename one of them",
				f.Graft, v.Name, v.Source, whose(owner), v.Name)
			return volumeWrite{}, false
		}
	}
	return volumeWrite{template: tmpl, name: v.Name}, true
}

// hostPath applies isolation and the allowed-path policy to the volume's
// hostPath.path, in place.
func (f Volumes) hostPath(t Template, node *yaml.Node, v GraftVolume, errs *ErrorList) bool {
	hp := lookup(node, "hostPath")
	base := str(hp, "path")
	final := path.Clean(base)
	segments := []string{}
	switch v.Isolate {
	case IsolateNamespace:
		segments = append(segments, t.Resource.GetNamespace())
	case IsolateWorkload:
		segments = append(segments, t.Resource.GetNamespace(), t.Resource.GetName())
	}
	if len(segments) > 0 && segments[0] == "" {
		errs.Addf(t.Resource, "metadata.namespace",
			"%s: %s isolates its hostPath per namespace (isolate: %s), but the workload has no namespace; set metadata.namespace (helm template --namespace, kustomize namespace:) so that tenants never share a directory",
			f.Graft, v.Source, v.Isolate)
		return false
	}
	for _, s := range segments {
		if s == "." || s == ".." || strings.ContainsAny(s, `/\`) {
			errs.Addf(t.Resource, "metadata", "%s: %s: cannot isolate the hostPath under %q: not a single path segment", f.Graft, v.Source, s)
			return false
		}
		final = path.Join(final, s)
	}
	if !allowedHostPath(final, f.AllowedHostPaths) {
		errs.Addf(t.Resource, "", "%s: %s.hostPath.path: %q is outside spec.policy.allowedHostPaths (%s)",
			f.Graft, v.Source, final, strings.Join(f.AllowedHostPaths, ", "))
		return false
	}
	if final != base {
		setString(hp, "path", final)
	}
	return true
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
func (f Volumes) planMounts(t Template, spec *yaml.Node, rec Record, errs *ErrorList) []mountWrite {
	var out []mountWrite
	taken := map[string]string{} // "<container>:<mountPath>" -> the config mount that takes it
	for _, v := range f.Items {
		for _, m := range v.Mounts {
			targets, missing := mountTargets(spec, m.Containers)
			for _, name := range missing {
				errs.Addf(t.Resource, t.Field("spec"), "%s: %s.containers names %q, but the pod has no such container",
					f.Graft, m.Source, name)
			}
			if len(targets) == 0 && len(missing) == 0 {
				errs.Addf(t.Resource, t.Field("spec"), "%s: %s.containers (%s) matches no container of the pod",
					f.Graft, m.Source, strings.Join(m.Containers, ", "))
			}
			for _, c := range targets {
				cname := str(c.node, "name")
				mount := newNode(yaml.MappingNode)
				setString(mount, "name", v.Name)
				mount.Content = append(mount.Content, plain(m.Node).Content...)
				key := cname + ":" + m.MountPath
				if other, dup := taken[key]; dup {
					errs.Addf(t.Resource, t.Field("spec", c.field),
						"%s: %s and %s both mount at %q in container %q", f.Graft, other, m.Source, m.MountPath, cname)
					continue
				}
				taken[key] = m.Source
				if i, existing := mountAt(c.node, m.MountPath); existing != nil {
					owner := otherOwner(rec, f.Graft, func(e *Entry) []string { return e.Mounts }, cname+":"+str(existing, "mountPath"))
					if sameVolume(existing, mount) && owner == "" {
						continue // the container's own mount, used as it is
					}
					errs.Addf(t.Resource, t.Field("spec", c.field, "volumeMounts["+strconv.Itoa(i)+"]"),
						"%s: %s mounts volume %q at %q in container %q, but %s mount of volume %q is already there",
						f.Graft, m.Source, v.Name, m.MountPath, cname, whose(owner), str(existing, "name"))
					continue
				}
				out = append(out, mountWrite{container: c.node, cname: cname, mount: mount, mountPath: m.MountPath})
			}
		}
	}
	return out
}

// containerRef is a container of a pod spec and where it sits.
type containerRef struct {
	node  *yaml.Node
	field string // "containers[0]"
}

// mountTargets returns the containers the patterns select, in pod order
// (init containers first), and the exact names that match nothing.
func mountTargets(spec *yaml.Node, patterns []string) (targets []containerRef, missing []string) {
	found := map[string]bool{}
	for _, list := range []string{"initContainers", "containers"} {
		seq := lookup(spec, list)
		if seq == nil {
			continue
		}
		for i, c := range seq.Content {
			name := str(c, "name")
			lifetime := list == "containers" || str(c, "restartPolicy") == "Always"
			selected := false
			for _, p := range patterns {
				if p == name {
					selected, found[p] = true, true
				} else if ok, _ := path.Match(p, name); ok && lifetime && isGlob(p) {
					selected = true
				}
			}
			if selected {
				targets = append(targets, containerRef{node: c, field: list + "[" + strconv.Itoa(i) + "]"})
			}
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
	vm := lookup(c, "volumeMounts")
	if vm == nil {
		return -1, nil
	}
	for i, m := range vm.Content {
		if path.Clean(str(m, "mountPath")) == path.Clean(mountPath) {
			return i, m
		}
	}
	return -1, nil
}

// sameVolume compares two YAML trees by content, ignoring key order,
// comments and styles.
func sameVolume(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	ja, err := yaml.NewRNode(a).MarshalJSON()
	if err != nil {
		return false
	}
	jb, err := yaml.NewRNode(b).MarshalJSON()
	return err == nil && bytes.Equal(ja, jb)
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
func claimName(v GraftVolume) string {
	return str(lookup(v.Node, "persistentVolumeClaim"), "claimName")
}

// template renders the claim as a volumeClaimTemplates entry.
func (c *Claim) template(name string) *yaml.Node {
	tmpl := newNode(yaml.MappingNode)
	meta := ensure(tmpl, "metadata", yaml.MappingNode)
	setString(meta, "name", name)
	setNode(tmpl, "spec", c.spec())
	return tmpl
}

// spec renders the claim's PersistentVolumeClaimSpec.
func (c *Claim) spec() *yaml.Node {
	spec := newNode(yaml.MappingNode)
	modes := ensure(spec, "accessModes", yaml.SequenceNode)
	for _, m := range c.AccessModes {
		modes.Content = append(modes.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m})
	}
	if c.StorageClassName != "" {
		setString(spec, "storageClassName", c.StorageClassName)
	}
	requests := ensure(ensure(spec, "resources", yaml.MappingNode), "requests", yaml.MappingNode)
	setString(requests, "storage", c.Storage)
	return spec
}

// claimTemplateIndex returns the index of the volumeClaimTemplates entry
// whose metadata.name is name.
func claimTemplateIndex(seq *yaml.Node, name string) int {
	if seq == nil {
		return -1
	}
	for i, el := range seq.Content {
		if str(lookup(el, "metadata"), "name") == name {
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
		if !names[str(lookup(el, "metadata"), "name")] {
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

// insertBefore inserts node into seq before the first element that
// isLater, or at the end.
func insertBefore(seq, node *yaml.Node, isLater func(*yaml.Node) bool) {
	i := len(seq.Content)
	for j, el := range seq.Content {
		if isLater(el) {
			i = j
			break
		}
	}
	seq.Content = append(seq.Content, nil)
	copy(seq.Content[i+1:], seq.Content[i:])
	seq.Content[i] = node
}

// otherOwner names a graft other than self whose record lists item, or "".
// What another graft added is never shared: removing that graft would take
// it away from under this one.
func otherOwner(rec Record, self string, items func(*Entry) []string, item string) string {
	var owners []string
	for graft, e := range rec {
		if graft == self {
			continue
		}
		for _, it := range items(e) {
			if it == item {
				owners = append(owners, graft)
			}
		}
	}
	sort.Strings(owners)
	return strings.Join(owners, ", ")
}

// whose says who added a pod's item, for messages.
func whose(owner string) string {
	if owner == "" {
		return "the pod's own"
	}
	return owner + "'s"
}
