package transformers

import (
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// Annotations podgraft reads on workloads.
const (
	// InjectAnnotation set to "false" on a workload or its pod template opts out.
	InjectAnnotation = "podgraft.dev/inject"
	// SkipAnnotation on a workload or its pod template lists, comma
	// separated, the grafts that skip it: "cache,otel".
	SkipAnnotation = "podgraft.dev/skip"
	// HelmHookAnnotation marks Helm hook resources.
	HelmHookAnnotation = "helm.sh/hook"
)

// Match is a parsed selector. Empty fields match everything.
type Match struct {
	Kinds       []string // Kind or group/Kind
	Names       []string // globs
	Namespaces  []string // globs
	Labels      labels.Selector
	Annotations map[string]string
}

// NewMatch parses a validated config selector.
func NewMatch(s v1alpha1.Selector) Match {
	m := Match{Kinds: s.Kinds, Names: s.Names, Namespaces: s.Namespaces, Annotations: s.Annotations}
	if s.LabelSelector != "" {
		m.Labels, _ = labels.Parse(s.LabelSelector) // validated already
	}
	return m
}

// Selector picks the workloads a PodGraft targets.
type Selector struct {
	Graft     string
	Targets   Match // every given field must match
	Exclude   Match // any given field that matches excludes
	HelmHooks bool
	// Namespace is the namespace of a resource without one.
	Namespace string
}

// Selects reports whether the selector targets workload r, whose template
// kind is tk. A workload that matches but is a Helm hook (while hooks are
// not targeted) or opts out is not targeted, and skip says why.
func (s Selector) Selects(r *yaml.RNode, tk TemplateKind) (targeted bool, skip *framework.Result) {
	ns := r.GetNamespace()
	if ns == "" {
		ns = s.Namespace
	}
	if !s.Targets.matchesAll(r, tk, ns) || s.Exclude.matchesAny(r, tk, ns) {
		return false, nil
	}
	if metaMap(r, "annotations")[HelmHookAnnotation] != "" && !s.HelmHooks {
		return false, newResult(framework.Warning, r, "metadata.annotations",
			"skipped by %s: a Helm hook (%s); set spec.targets.helmHooks: true to graft hooks", s.Graft, HelmHookAnnotation)
	}
	if optedOut(r, tk) {
		return false, newResult(framework.Warning, r, "metadata.annotations",
			"skipped by %s: annotated %s: \"false\"", s.Graft, InjectAnnotation)
	}
	if skip, ok := skips(r, tk, s.Graft); ok {
		return false, newResult(framework.Warning, r, "metadata.annotations",
			"skipped by %s: annotated %s: %q", s.Graft, SkipAnnotation, skip)
	}
	return true, nil
}

// skips looks on the workload and its pod template for a skip annotation
// that names graft, and returns it.
func skips(r *yaml.RNode, tk TemplateKind, graft string) (string, bool) {
	values := []string{metaMap(r, "annotations")[SkipAnnotation]}
	tmpls, _ := templates(r, tk)
	for _, t := range tmpls {
		if t.Node != r {
			values = append(values, node.Str(node.Lookup(node.Lookup(t.Node.YNode(), "metadata"), "annotations"), SkipAnnotation))
		}
	}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if strings.TrimSpace(name) == graft {
				return v, true
			}
		}
	}
	return "", false
}

// optedOut looks for the opt-out annotation on the workload and on its pod
// template.
func optedOut(r *yaml.RNode, tk TemplateKind) bool {
	if metaMap(r, "annotations")[InjectAnnotation] == "false" {
		return true
	}
	tmpls, _ := templates(r, tk)
	for _, t := range tmpls {
		if t.Node != r && node.Str(node.Lookup(node.Lookup(t.Node.YNode(), "metadata"), "annotations"), InjectAnnotation) == "false" {
			return true
		}
	}
	return false
}

func (m Match) matchesAll(r *yaml.RNode, tk TemplateKind, ns string) bool {
	if len(m.Kinds) > 0 && !matchKind(m.Kinds, tk) {
		return false
	}
	if len(m.Names) > 0 && !matchGlob(m.Names, r.GetName()) {
		return false
	}
	if len(m.Namespaces) > 0 && !matchGlob(m.Namespaces, ns) {
		return false
	}
	if m.Labels != nil && !m.Labels.Empty() && !m.Labels.Matches(labels.Set(metaMap(r, "labels"))) {
		return false
	}
	if len(m.Annotations) > 0 && !matchAnnotations(m.Annotations, r) {
		return false
	}
	return true
}

func (m Match) matchesAny(r *yaml.RNode, tk TemplateKind, ns string) bool {
	return (len(m.Kinds) > 0 && matchKind(m.Kinds, tk)) ||
		(len(m.Names) > 0 && matchGlob(m.Names, r.GetName())) ||
		(len(m.Namespaces) > 0 && matchGlob(m.Namespaces, ns)) ||
		(m.Labels != nil && !m.Labels.Empty() && m.Labels.Matches(labels.Set(metaMap(r, "labels")))) ||
		(len(m.Annotations) > 0 && matchAnnotations(m.Annotations, r))
}

func matchKind(kinds []string, tk TemplateKind) bool {
	for _, k := range kinds {
		if k == tk.Kind || k == tk.Group+"/"+tk.Kind {
			return true
		}
	}
	return false
}

func matchGlob(globs []string, value string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, value); ok {
			return true
		}
	}
	return false
}

func matchAnnotations(want map[string]string, r *yaml.RNode) bool {
	have := metaMap(r, "annotations")
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
