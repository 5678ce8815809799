package transformers

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
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
	return node.Path(append([]string{t.Path}, parts...)...)
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
	return templates(r, tk)
}

func templates(r *yaml.RNode, tk TemplateKind) ([]Template, error) {
	if err := guard.CheckMetadata(r.YNode(), ""); err != nil {
		return nil, shapeError(r, err)
	}
	if len(tk.Path) == 0 {
		return []Template{{Resource: r, Node: r}}, nil
	}
	n := r.YNode()
	for i, seg := range tk.Path {
		n = node.Lookup(n, seg)
		if n == nil {
			return nil, nil
		}
		if n.Kind != yaml.MappingNode {
			at := strings.Join(tk.Path[:i+1], ".")
			return nil, &Error{Ref: Ref(r), Field: at, Msg: at + " must be a mapping, not a " + node.Kind(n)}
		}
	}
	path := strings.Join(tk.Path, ".")
	if err := guard.CheckMetadata(n, path); err != nil {
		return nil, shapeError(r, err)
	}
	return []Template{{Resource: r, Node: yaml.NewRNode(n), Path: path}}, nil
}

func apiGroup(apiVersion string) string {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// shapeError turns a guard.ShapeError about r into an Error.
func shapeError(r *yaml.RNode, err error) error {
	var se *guard.ShapeError
	if errors.As(err, &se) {
		return &Error{Ref: Ref(r), Field: se.Field, Msg: se.Error()}
	}
	return fmt.Errorf("%s: %w", Describe(r), err)
}
