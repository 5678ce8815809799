package fn

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/filters"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/transformers"
)

// localConfig is the annotation that keeps a resource out of what kpt and
// kustomize write, and out of kpt live apply.
const localConfig = filters.LocalConfigAnnotation

// isPodGraft says r is a PodGraft, of any podgraft apiVersion.
func isPodGraft(r *yaml.RNode) bool {
	n := r.YNode() // any shape: items are checked after this
	return n.Kind == yaml.MappingNode && node.Str(n, "kind") == v1alpha1.Kind && strings.HasPrefix(node.Str(n, "apiVersion"), "podgraft.dev/")
}

// misplacedConfig warns about a PodGraft among the resources that is not
// marked local config: kpt renders a package's graft.yaml as a resource,
// and kpt live apply or kubectl apply of the output then fails with
// `no matches for kind "PodGraft"`.
func misplacedConfig(r *yaml.RNode) *framework.Result {
	annos := node.Lookup(node.Lookup(r.YNode(), "metadata"), "annotations")
	if v := node.Lookup(annos, localConfig); !isPodGraft(r) || v != nil && node.Scalar(v) != "false" {
		return nil // any other value is local config to kustomize (kio/filters) and kpt alike
	}
	return &framework.Result{Severity: framework.Warning, ResourceRef: transformers.Ref(r), Message: fmt.Sprintf(
		"a PodGraft among the resources is applied with them, and kpt live apply and kubectl apply fail on it (no matches for kind %q): "+
			"annotate it %s: \"true\" so that kpt and kustomize leave it out of their output, or take it out of the resources", v1alpha1.Kind, localConfig)}
}

// generatorInput warns when a ResourceList holds nothing but PodGrafts:
// kustomize gives a function listed under generators: only its own config,
// so a PodGraft there grafts nothing.
func generatorInput(items []*yaml.RNode) *framework.Result {
	if len(items) == 0 || slices.ContainsFunc(items, func(r *yaml.RNode) bool { return !isPodGraft(r) }) {
		return nil
	}
	return &framework.Result{Severity: framework.Warning, Message: "the ResourceList holds only PodGraft configs, nothing to graft: " +
		"kustomize gives a function listed under generators: no other resources; list graft.yaml under transformers: in the kustomization"}
}
