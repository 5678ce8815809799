package transformers

import (
	"path"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Annotations podgraft reads on workloads.
const (
	// InjectAnnotation set to "false" on a workload or its pod template opts out.
	InjectAnnotation = "podgraft.dev/inject"
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

// Select is the filter that keeps the workloads a PodGraft targets and
// drops everything else. Workloads that match but opt out, or are Helm hooks
// while hooks are not targeted, are dropped with a warning.
type Select struct {
	Graft     string
	Locator   Locator
	Targets   Match // every given field must match
	Exclude   Match // any given field that matches excludes
	HelmHooks bool
	Results   *Results
}

var _ kio.Filter = Select{}

// Filter returns the targeted workloads.
func (s Select) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	for _, r := range nodes {
		if s.selected(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s Select) selected(r *yaml.RNode) bool {
	tk, ok := s.Locator.Kind(r)
	if !ok {
		return false
	}
	if !s.Targets.matchesAll(r, tk) || s.Exclude.matchesAny(r, tk) {
		return false
	}
	if r.GetAnnotations(HelmHookAnnotation)[HelmHookAnnotation] != "" && !s.HelmHooks {
		s.Results.Add(framework.Warning, r, "metadata.annotations",
			"skipped by %s: a Helm hook (%s); set spec.targets.helmHooks: true to graft hooks", s.Graft, HelmHookAnnotation)
		return false
	}
	if s.Locator.optedOut(r) {
		s.Results.Add(framework.Warning, r, "metadata.annotations",
			"skipped by %s: annotated %s: \"false\"", s.Graft, InjectAnnotation)
		return false
	}
	return true
}

// optedOut looks for the opt-out annotation on the workload and on its pod
// template.
func (l Locator) optedOut(r *yaml.RNode) bool {
	if r.GetAnnotations(InjectAnnotation)[InjectAnnotation] == "false" {
		return true
	}
	tmpls, _ := l.Templates(r)
	for _, t := range tmpls {
		if t.Node != r && t.Node.GetAnnotations(InjectAnnotation)[InjectAnnotation] == "false" {
			return true
		}
	}
	return false
}

func (m Match) matchesAll(r *yaml.RNode, tk TemplateKind) bool {
	if len(m.Kinds) > 0 && !matchKind(m.Kinds, tk) {
		return false
	}
	if len(m.Names) > 0 && !matchGlob(m.Names, r.GetName()) {
		return false
	}
	if len(m.Namespaces) > 0 && !matchGlob(m.Namespaces, r.GetNamespace()) {
		return false
	}
	if m.Labels != nil && !m.Labels.Empty() && !m.Labels.Matches(labels.Set(r.GetLabels())) {
		return false
	}
	if len(m.Annotations) > 0 && !matchAnnotations(m.Annotations, r) {
		return false
	}
	return true
}

func (m Match) matchesAny(r *yaml.RNode, tk TemplateKind) bool {
	return (len(m.Kinds) > 0 && matchKind(m.Kinds, tk)) ||
		(len(m.Names) > 0 && matchGlob(m.Names, r.GetName())) ||
		(len(m.Namespaces) > 0 && matchGlob(m.Namespaces, r.GetNamespace())) ||
		(m.Labels != nil && !m.Labels.Empty() && m.Labels.Matches(labels.Set(r.GetLabels()))) ||
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
	have := r.GetAnnotations()
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
