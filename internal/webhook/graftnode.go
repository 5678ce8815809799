package webhook

// graftnode.go grafts a Pod without leaving the node tree: the request's
// JSON is read into nodes, wrapped as its workload, grafted by
// fn.GraftResource, and the grafted pod template written back as JSON.
// Whatever that path does not handle itself (see errNotPlainJSON) goes
// the slow way, through a YAML stream (engine.graft), which gives the
// same answer at several times the cost.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
)

// graftPod grafts the Pod (podJSON, and root, its node tree, or nil when
// readPod left it to the slow path) as the workload w in namespace. The
// result holds the JSONPatch to the grafted Pod, or the grafted Pod itself
// (from the slow path), or neither when nothing changed. It edits root.
func (e *engine) graftPod(root *yaml.Node, podJSON []byte, w workload, namespace string) (graftResult, error) {
	if root != nil {
		res, err := e.graftNodes(root, w, namespace)
		if !errors.Is(err, errNotPlainJSON) {
			return res, err
		}
	}
	var pod object
	if err := json.Unmarshal(podJSON, &pod); err != nil {
		return graftResult{}, fmt.Errorf("the request's object is not a JSON object: %w", err)
	}
	return e.graftPodSlowly(pod, w, namespace)
}

// graftPodSlowly is graftPod through a YAML stream, as the stream mode
// grafts a document.
func (e *engine) graftPodSlowly(pod object, w workload, namespace string) (graftResult, error) {
	doc, err := wrap(pod, w, namespace)
	if err != nil {
		return graftResult{}, err
	}
	res, err := e.graft(doc)
	if err != nil || res.doc == nil {
		return res, err
	}
	res.doc, err = unwrap(pod, res.doc, w)
	return res, err
}

// graftNodes is graftPod on the node tree, which it edits. errNotPlainJSON
// sends the Pod the slow way, which also words the errors of malformed
// Pods.
func (e *engine) graftNodes(root *yaml.Node, w workload, namespace string) (graftResult, error) {
	var res graftResult
	if root.Kind != yaml.MappingNode {
		return res, errNotPlainJSON
	}
	pristine := deepCopy(root) // the graft edits root
	doc, tmpl, ok := wrapNode(root, w, namespace)
	if !ok {
		return res, errNotPlainJSON
	}
	g, err := fn.GraftResource(fn.Options{}, e.compiled.Fresh(), yaml.NewRNode(doc))
	for _, r := range g.Results {
		if r.Severity == framework.Warning {
			res.warnings = append(res.warnings, message(r))
		}
	}
	if err != nil {
		return res, graftError(g.Results, &fn.DocError{File: "admission", Doc: 1, Err: err})
	}
	if g.Results.ExitCode() != 0 {
		return res, graftError(g.Results, nil)
	}
	for _, r := range g.Generated {
		res.generated = append(res.generated, r.GetKind()+" "+r.GetNamespace()+"/"+r.GetName())
	}
	if !g.Changed {
		return res, nil
	}
	after, ok := podAfter(pristine, tmpl)
	if !ok {
		return res, errNotPlainJSON
	}
	if res.patch, err = nodePatch(pristine, after); err != nil {
		return graftResult{}, err
	}
	return res, nil
}

// wrapNode is wrap on the node tree: the document to graft, and the
// mapping in it that holds the pod template's metadata and spec (the
// Pod's own, when it is grafted as itself). ok is false for a Pod whose
// metadata is not a mapping.
func wrapNode(root *yaml.Node, w workload, namespace string) (doc, tmpl *yaml.Node, ok bool) {
	meta := lookup(root, "metadata")
	if meta != nil && meta.Kind != yaml.MappingNode && !isNull(meta) {
		return nil, nil, false
	}
	if w.path == nil {
		if meta == nil || isNull(meta) {
			meta = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
			set(root, "metadata", meta)
		}
		set(meta, "namespace", jsonString(namespace))
		return root, root, true
	}
	// The workload's metadata: its name, the request's namespace, and the
	// Pod's labels and annotations (copies: the template keeps its own).
	wmeta := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
	for _, k := range []string{"annotations", "labels"} {
		if v := lookup(meta, k); v != nil {
			set(wmeta, k, deepCopy(v))
		}
	}
	set(wmeta, "name", jsonString(w.Name))
	set(wmeta, "namespace", jsonString(namespace))
	tmpl = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
	if meta == nil {
		meta = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	set(tmpl, "metadata", meta)
	if spec := lookup(root, "spec"); spec != nil {
		set(tmpl, "spec", spec)
	}
	inner := tmpl
	for i := len(w.path) - 1; i >= 1; i-- {
		m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
		set(m, w.path[i], inner)
		inner = m
	}
	doc = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
	set(doc, "apiVersion", jsonString(w.APIVersion))
	set(doc, "kind", jsonString(w.Kind))
	set(doc, "metadata", wmeta)
	set(doc, w.path[0], inner)
	return doc, tmpl, true
}

// podAfter is unwrap on the node tree: the request's Pod (pristine, as
// parsed) with the grafted template's metadata and spec (tmpl holds them),
// and the Pod's own namespace (or its absence) rather than the request's.
// It shares the nodes it does not change with pristine.
func podAfter(pristine, tmpl *yaml.Node) (*yaml.Node, bool) {
	grafted := lookup(tmpl, "metadata")
	if grafted != nil && grafted.Kind != yaml.MappingNode && !isNull(grafted) {
		return nil, false
	}
	meta := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
	if grafted != nil && grafted.Kind == yaml.MappingNode {
		meta.Content = make([]*yaml.Node, 0, len(grafted.Content))
		for i := 0; i+1 < len(grafted.Content); i += 2 {
			if grafted.Content[i].Value != "namespace" {
				meta.Content = append(meta.Content, grafted.Content[i], grafted.Content[i+1])
			}
		}
	}
	if ns := lookup(lookup(pristine, "metadata"), "namespace"); ns != nil {
		set(meta, "namespace", ns)
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map", Content: append([]*yaml.Node(nil), pristine.Content...)}
	set(out, "metadata", meta)
	if spec := lookup(tmpl, "spec"); spec != nil {
		set(out, "spec", spec)
	}
	return out, true
}

// lookup is the value under key k of mapping m, or nil.
func lookup(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

// set puts v under key k of mapping m, replacing the value there.
func set(m *yaml.Node, k string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, jsonString(k), v)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// jsonString is a string node as parsed from JSON.
func jsonString(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Tag: "!!str", Value: s}
}

// deepCopy copies the tree n into one allocation of nodes.
func deepCopy(n *yaml.Node) *yaml.Node {
	var count func(n *yaml.Node) int
	count = func(n *yaml.Node) int {
		c := 1
		for _, ch := range n.Content {
			c += count(ch)
		}
		return c
	}
	slab := make([]yaml.Node, 0, count(n))
	var walk func(n *yaml.Node) *yaml.Node
	walk = func(n *yaml.Node) *yaml.Node {
		slab = append(slab, *n)
		c := &slab[len(slab)-1]
		if len(n.Content) > 0 {
			c.Content = make([]*yaml.Node, len(n.Content))
			for i, ch := range n.Content {
				c.Content[i] = walk(ch)
			}
		}
		return c
	}
	return walk(n)
}

// podMetaOf reads the podMeta of a Pod's node tree as encoding/json would
// decode it; ok is false for anything it does not read plainly (a field of
// another shape, a key that only matches case-insensitively), which
// readPod then decodes with encoding/json.
func podMetaOf(root *yaml.Node) (meta podMeta, ok bool) {
	m := lookup(root, "metadata")
	if m == nil || isNull(m) {
		return meta, !hasFoldedKey(root, "metadata")
	}
	if m.Kind != yaml.MappingNode || hasFoldedKey(m, "name", "labels", "annotations", "ownerReferences") {
		return meta, false
	}
	if meta.Name, ok = stringOf(lookup(m, "name")); !ok {
		return meta, false
	}
	if meta.Labels, ok = stringMap(lookup(m, "labels")); !ok {
		return meta, false
	}
	if meta.Annotations, ok = stringMap(lookup(m, "annotations")); !ok {
		return meta, false
	}
	refs := lookup(m, "ownerReferences")
	if refs == nil || isNull(refs) {
		return meta, true
	}
	if refs.Kind != yaml.SequenceNode {
		return meta, false
	}
	meta.OwnerReferences = make([]ownerReference, len(refs.Content))
	for i, r := range refs.Content {
		if r.Kind != yaml.MappingNode || hasFoldedKey(r, "apiVersion", "kind", "name", "controller") {
			return meta, false
		}
		ref := &meta.OwnerReferences[i]
		var ok1, ok2, ok3 bool
		ref.APIVersion, ok1 = stringOf(lookup(r, "apiVersion"))
		ref.Kind, ok2 = stringOf(lookup(r, "kind"))
		ref.Name, ok3 = stringOf(lookup(r, "name"))
		if !ok1 || !ok2 || !ok3 {
			return meta, false
		}
		if c := lookup(r, "controller"); c != nil && !isNull(c) {
			if c.Kind != yaml.ScalarNode || c.Tag != "!!bool" {
				return meta, false
			}
			controller := c.Value == "true"
			ref.Controller = &controller
		}
	}
	return meta, true
}

// stringOf is a JSON string's value; "" for a missing one or a null.
func stringOf(n *yaml.Node) (string, bool) {
	if n == nil || isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", false
	}
	return n.Value, true
}

// stringMap is a JSON object of strings.
func stringMap(n *yaml.Node) (map[string]string, bool) {
	if n == nil || isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		v := n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return nil, false // a null value is "" to encoding/json: let it say so
		}
		out[n.Content[i].Value] = v.Value
	}
	return out, true
}

// hasFoldedKey reports whether mapping m has a key that encoding/json
// would match to one of fields case-insensitively but not exactly.
func hasFoldedKey(m *yaml.Node, fields ...string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		for _, f := range fields {
			if k != f && strings.EqualFold(k, f) {
				return true
			}
		}
	}
	return false
}
