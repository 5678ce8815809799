package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TemplateKind says where a kind keeps its pod template.
type TemplateKind struct {
	Group string
	Kind  string
	// Path is the field path to the pod template; empty means the
	// resource itself is the pod (kind Pod).
	Path []string
}

// builtinTemplates are the Kubernetes kinds that carry a pod template.
var builtinTemplates = map[string]TemplateKind{
	"Pod":                   {Group: "", Kind: "Pod"},
	"PodTemplate":           {Group: "", Kind: "PodTemplate", Path: []string{"template"}},
	"ReplicationController": {Group: "", Kind: "ReplicationController", Path: []string{"spec", "template"}},
	"Deployment":            {Group: "apps", Kind: "Deployment", Path: []string{"spec", "template"}},
	"ReplicaSet":            {Group: "apps", Kind: "ReplicaSet", Path: []string{"spec", "template"}},
	"StatefulSet":           {Group: "apps", Kind: "StatefulSet", Path: []string{"spec", "template"}},
	"DaemonSet":             {Group: "apps", Kind: "DaemonSet", Path: []string{"spec", "template"}},
	"Job":                   {Group: "batch", Kind: "Job", Path: []string{"spec", "template"}},
	"CronJob":               {Group: "batch", Kind: "CronJob", Path: []string{"spec", "jobTemplate", "spec", "template"}},
}

// Template is one pod template inside a resource: a mapping with metadata
// and spec (for a Pod, the resource itself).
type Template struct {
	Resource *yaml.RNode
	Node     *yaml.RNode
	// Path is the template's field path, "spec.template"; "" for a Pod.
	Path string
}

// Field prefixes a path inside the template with the template's path, for
// messages: "spec.template.spec.containers[0]".
func (t Template) Field(parts ...string) string {
	return FieldPath(append([]string{t.Path}, parts...)...)
}

// Spec is the template's pod spec, created on demand when create is true.
func (t Template) Spec() *yaml.RNode {
	return t.Node.Field("spec").Value
}

// Locator finds pod templates in resources: the built-in workload kinds
// plus the custom kinds a PodGraft declares.
type Locator struct {
	Custom []TemplateKind
}

// Kind returns where r keeps its pod template, or ok=false when r is not a
// workload. It only looks at apiVersion and kind, so non-workloads are
// rejected cheaply.
func (l Locator) Kind(r *yaml.RNode) (TemplateKind, bool) {
	kind := r.GetKind()
	group := apiGroup(r.GetApiVersion())
	for _, c := range l.Custom {
		if c.Kind == kind && c.Group == group {
			return c, true
		}
	}
	tk, ok := builtinTemplates[kind]
	if !ok || !groupMatches(tk, group) {
		return TemplateKind{}, false
	}
	return tk, true
}

// groupMatches accepts the kind's group and, for the apps kinds, the old
// extensions group, so a CRD that happens to be named Deployment in another
// group is not mistaken for one.
func groupMatches(tk TemplateKind, group string) bool {
	if tk.Group == group {
		return true
	}
	return group == "extensions" && tk.Group == "apps"
}

// Templates returns r's pod templates. A workload without a template at its
// path returns none; a template path that reaches something other than a
// mapping is an error naming the field.
func (l Locator) Templates(r *yaml.RNode) ([]Template, error) {
	tk, ok := l.Kind(r)
	if !ok {
		return nil, nil
	}
	if err := CheckMetadata(r.YNode(), ""); err != nil {
		return nil, shapeError(r, err)
	}
	if len(tk.Path) == 0 {
		return []Template{{Resource: r, Node: r}}, nil
	}
	node := r
	for i, seg := range tk.Path {
		f := node.Field(seg)
		if f == nil || f.Value.IsNil() {
			return nil, nil
		}
		node = f.Value
		if node.YNode().Kind != yaml.MappingNode {
			at := strings.Join(tk.Path[:i+1], ".")
			return nil, &ResourceError{Ref: Ref(r), Field: at, Msg: at + " must be a mapping, not a " + NodeKind(node.YNode())}
		}
	}
	path := strings.Join(tk.Path, ".")
	if err := CheckMetadata(node.YNode(), path); err != nil {
		return nil, shapeError(r, err)
	}
	return []Template{{Resource: r, Node: node, Path: path}}, nil
}

func apiGroup(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// NodeKind names a node's kind for messages: "mapping", "list", "scalar", "null".
func NodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar"
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// eachPod calls graft with every pod template of nodes, its pod spec and its
// graft record, and returns nodes, or every error the grafts found. A
// template whose spec or record cannot be read is reported, naming the
// field, and not grafted.
func (l Locator) eachPod(nodes []*yaml.RNode, graft func(t Template, spec *yaml.Node, rec Record, errs *ErrorList)) ([]*yaml.RNode, error) {
	var errs ErrorList
	for _, r := range nodes {
		tmpls, err := l.Templates(r)
		if err != nil {
			return nil, err
		}
		for _, t := range tmpls {
			spec, ok := podSpec(t, &errs)
			if !ok {
				continue
			}
			rec, err := LoadRecord(t)
			if err != nil {
				errs.Addf(t.Resource, t.Field("metadata", "annotations"), "%v", err)
				continue
			}
			graft(t, spec, rec, &errs)
		}
	}
	return nodes, errs.Err()
}
