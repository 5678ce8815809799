package transformers

import (
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// DefaultContainerAnnotation names the container kubectl logs, exec and
// attach reach when none is given; without it, kubectl takes the first
// of spec.containers.
const DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// podMeta is the step that sets spec.pod on the pod template: labels and
// annotations onto its metadata (never the workload's or its selector),
// imagePullSecrets onto its spec, by name and without duplicates. When
// the graft puts a regular sidecar in front of the app's containers, it
// also sets kubectl.kubernetes.io/default-container to the app's first
// container, unless the template has it, so that kubectl logs and exec
// keep reaching the app. A label or annotation the template has with
// another value is a conflict unless spec.pod.override; the replaced
// value is kept in the record, as written, and put back on removal.
// Another graft's label or annotation is always a conflict.
func (g *Graft) podMeta(p *pod) bool {
	pf := g.spec.Pod
	defaultTo := g.defaultContainer(p)
	if pf.IsEmpty() && defaultTo == "" {
		return true
	}
	if pf == nil {
		pf = &v1alpha1.PodFields{}
	}
	meta := node.Lookup(p.t.Node.YNode(), "metadata")
	for _, key := range []string{"labels", "annotations"} {
		if v := node.Lookup(meta, key); v != nil && v.Kind != yaml.MappingNode && !node.IsNull(v) {
			p.fail(p.t.Field("metadata", key), "must be a mapping, not a %s", node.Kind(v))
		}
	}
	if v := node.Lookup(p.spec, "imagePullSecrets"); v != nil && v.Kind != yaml.SequenceNode && !node.IsNull(v) {
		p.fail(p.t.Field("spec", "imagePullSecrets"), "must be a list, not a %s", node.Kind(v))
	}
	if p.failed() {
		return false
	}
	var writes []metaWrite
	for _, kind := range []struct {
		field string
		want  map[string]string
		items func(*Entry) []string
	}{
		{"labels", pf.Labels, func(e *Entry) []string { return e.Labels }},
		{"annotations", pf.Annotations, func(e *Entry) []string { return e.Annotations }},
	} {
		have := node.Lookup(meta, kind.field)
		selector := workloadSelector(p)
		for _, k := range sortedKeys(kind.want) {
			v := kind.want[k]
			src := "spec.pod." + kind.field + "[" + k + "]"
			field := p.t.Field("metadata", kind.field)
			if owner := p.rec.owner(g.Name, kind.items, k); owner != "" {
				p.fail(field, "%s: %s sets %s %q, but %s set it; two grafts cannot own one %s", g.Name, src, singular(kind.field), k, owner, singular(kind.field))
				continue
			}
			cur := node.Value(have, k)
			switch {
			case cur == nil:
				writes = append(writes, metaWrite{field: kind.field, key: k, value: v})
			case cur.Kind == yaml.ScalarNode && cur.Value == v:
				// the template's own, with the same value: used as it is
			case !pf.Override:
				p.fail(field, "%s: %s is %q, but the pod template has %s %q with the value %q; set spec.pod.override: true to replace it",
					g.Name, src, v, singular(kind.field), k, node.Scalar(cur))
			case kind.field == "labels" && selector[k] != "":
				p.fail(field, "%s: %s would replace label %q (%q), which the workload's selector matches; the API server would reject the template",
					g.Name, src, k, node.Scalar(cur))
			default:
				writes = append(writes, metaWrite{field: kind.field, key: k, value: v, replace: true})
			}
		}
	}
	if defaultTo != "" {
		have := node.Lookup(meta, "annotations")
		owner := p.rec.owner(g.Name, func(e *Entry) []string { return e.Annotations }, DefaultContainerAnnotation)
		switch {
		case owner != "":
			writes = append(writes, metaWrite{field: "annotations", key: DefaultContainerAnnotation, shared: true})
		case node.Value(have, DefaultContainerAnnotation) == nil && pf.Annotations[DefaultContainerAnnotation] == "":
			writes = append(writes, metaWrite{field: "annotations", key: DefaultContainerAnnotation, value: defaultTo})
		}
	}
	if p.failed() {
		return false
	}
	for _, w := range writes {
		p.writeMeta(g.Name, w)
	}
	g.imagePullSecrets(p)
	p.changed = true
	return true
}

// metaWrite is one label or annotation to set, found valid before
// anything is written.
type metaWrite struct {
	field, key, value string
	// replace: an override of the template's own value, which the record
	// keeps; shared: another graft set the same, so it is only recorded.
	replace, shared bool
}

func (p *pod) writeMeta(graft string, w metaWrite) {
	e := p.entry
	items := &e.Labels
	if w.field == "annotations" {
		items = &e.Annotations
	}
	*items = append(*items, w.key)
	if w.shared {
		return
	}
	meta := templateMeta(p.t)
	if w.field == "labels" && node.Lookup(meta, "labels") == nil {
		// Labels made before annotations, where the record may have made
		// them already: the same whichever graft came first.
		if i := slices.IndexFunc(meta.Content, func(k *yaml.Node) bool { return k.Value == "annotations" }); i >= 0 && i%2 == 0 {
			node.Insert(meta, i/2, "labels", node.New(yaml.MappingNode))
		}
	}
	m := node.Ensure(meta, w.field, yaml.MappingNode)
	if w.replace {
		i := slices.IndexFunc(m.Content, func(k *yaml.Node) bool { return k.Value == w.key })
		if e.Original == nil {
			e.Original = map[string]string{}
		}
		e.Original[w.field+":"+w.key] = yamlText(m.Content[i+1])
		m.Content[i+1] = node.String(w.value)
		return
	}
	// Before what grafts sorting later set, and before the record, so
	// that the keys read the same whichever graft came first.
	later := laterKeys(p.rec, graft, func(e *Entry) []string {
		if w.field == "annotations" {
			return e.Annotations
		}
		return e.Labels
	})
	at := len(m.Content) / 2
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i].Value; later[k] || k == RecordAnnotation {
			at = i / 2
			break
		}
	}
	node.Insert(m, at, w.key, node.String(w.value))
}

// templateMeta returns the template's metadata mapping, made when it has
// none (above spec, where Kubernetes prints it).
func templateMeta(t Template) *yaml.Node {
	tmpl := t.Node.YNode()
	m := node.Lookup(tmpl, "metadata")
	switch {
	case m != nil && node.IsNull(m):
		*m = *node.New(yaml.MappingNode)
	case m == nil:
		m = node.New(yaml.MappingNode)
		node.Insert(tmpl, 0, "metadata", m)
	}
	return m
}

// imagePullSecrets adds spec.pod.imagePullSecrets the pod does not have.
// One another graft added is recorded by this graft too, so that it
// stays while either wants it; the pod's own is used as it is.
func (g *Graft) imagePullSecrets(p *pod) {
	if g.spec.Pod == nil || len(g.spec.Pod.ImagePullSecrets) == 0 {
		return
	}
	later := laterKeys(p.rec, g.Name, func(e *Entry) []string { return e.ImagePullSecrets })
	for _, s := range g.spec.Pod.ImagePullSecrets {
		owned := p.rec.owner(g.Name, func(e *Entry) []string { return e.ImagePullSecrets }, s.Name) != ""
		seq := node.Lookup(p.spec, "imagePullSecrets")
		switch {
		case owned:
		case node.IndexByName(seq, s.Name) >= 0:
			continue // the pod's own
		default:
			ref := node.New(yaml.MappingNode)
			node.SetString(ref, "name", s.Name)
			insertBefore(ensurePullSecrets(p.spec, p.rec), ref,
				func(el *yaml.Node) bool {
					return later[node.Str(el, "name")] && !earlier(p.rec, g.Name, node.Str(el, "name"))
				})
		}
		p.entry.ImagePullSecrets = append(p.entry.ImagePullSecrets, s.Name)
	}
}

// earlier reports whether a graft sorting before graft lists secret name.
func earlier(rec Record, graft, name string) bool {
	for g, e := range rec {
		if g < graft && slices.Contains(e.ImagePullSecrets, name) {
			return true
		}
	}
	return false
}

// defaultContainer returns the app container kubectl should default to
// when this graft puts a regular sidecar in front of the app's
// containers (placement first, or before the app's first container), or
// "".
func (g *Graft) defaultContainer(p *pod) string {
	grafted := p.rec.containers()
	app := ""
	for _, c := range containers(p.spec, "containers") {
		if grafted[c.name()] == "" {
			app = c.name()
			break
		}
	}
	if app == "" {
		return ""
	}
	for _, it := range g.items {
		if it.role == regularSidecar && (it.placement == v1alpha1.PlaceFirst || it.placement == v1alpha1.PlaceBefore+app) {
			return app
		}
	}
	return ""
}

// workloadSelector is the workload's label selector (matchLabels, or a
// ReplicationController's map), whose labels the template must keep.
func workloadSelector(p *pod) map[string]string {
	if p.t.Node == p.t.Resource {
		return nil
	}
	sel := node.Lookup(node.Lookup(p.res().YNode(), "spec"), "selector")
	if ml := node.Lookup(sel, "matchLabels"); ml != nil {
		sel = ml
	}
	out := map[string]string{}
	if sel == nil || sel.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(sel.Content); i += 2 {
		if sel.Content[i+1].Kind == yaml.ScalarNode {
			out[sel.Content[i].Value] = sel.Content[i+1].Value
		}
	}
	return out
}

// unmeta takes out of t the labels, annotations and imagePullSecrets e
// set that no other entry of rec lists, and puts back what e's overrides
// replaced, as written.
func unmeta(t Template, e *Entry, rec Record) {
	tmpl := t.Node.YNode()
	meta := node.Lookup(tmpl, "metadata")
	for _, kind := range []struct {
		field string
		keys  []string
		items func(*Entry) []string
	}{
		{"labels", e.Labels, func(e *Entry) []string { return e.Labels }},
		{"annotations", e.Annotations, func(e *Entry) []string { return e.Annotations }},
	} {
		m := node.Lookup(meta, kind.field)
		if m == nil || len(kind.keys) == 0 {
			continue
		}
		for _, k := range kind.keys {
			if rec.owner("", kind.items, k) != "" {
				continue // shared: another graft still wants it
			}
			if text, ok := e.Original[kind.field+":"+k]; ok {
				if own := fromYAMLText(text); own != nil {
					node.Set(m, k, own)
					continue
				}
			}
			node.Remove(m, k)
		}
		node.RemoveIfEmpty(meta, kind.field)
	}
	if len(e.ImagePullSecrets) > 0 {
		spec := node.Lookup(tmpl, "spec")
		drop := map[string]bool{}
		for _, name := range e.ImagePullSecrets {
			if rec.owner("", func(e *Entry) []string { return e.ImagePullSecrets }, name) == "" {
				drop[name] = true
			}
		}
		node.RemoveByName(node.Lookup(spec, "imagePullSecrets"), drop)
		node.RemoveIfEmpty(spec, "imagePullSecrets")
	}
	if t.Node != t.Resource && len(e.Labels)+len(e.Annotations) > 0 {
		node.RemoveIfEmpty(tmpl, "metadata")
	}
}

func singular(field string) string { return strings.TrimSuffix(field, "s") }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ensurePullSecrets returns the pod's imagePullSecrets, made when it has
// none: before a volumes list made only of grafted volumes, so that the
// spec reads the same whichever graft came first.
func ensurePullSecrets(spec *yaml.Node, rec Record) *yaml.Node {
	if node.Lookup(spec, "imagePullSecrets") == nil {
		if vols := node.Lookup(spec, "volumes"); vols != nil && vols.Kind == yaml.SequenceNode && len(vols.Content) > 0 {
			grafted := map[string]bool{}
			for _, e := range rec {
				for _, v := range e.Volumes {
					grafted[v] = true
				}
			}
			only := true
			for _, v := range vols.Content {
				only = only && grafted[node.Str(v, "name")]
			}
			if only {
				i := slices.IndexFunc(spec.Content, func(k *yaml.Node) bool { return k.Value == "volumes" })
				seq := node.New(yaml.SequenceNode)
				node.Insert(spec, i/2, "imagePullSecrets", seq)
				return seq
			}
		}
	}
	return node.Ensure(spec, "imagePullSecrets", yaml.SequenceNode)
}
