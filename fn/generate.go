package fn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Generate returns, as a YAML stream, the ConfigMaps, Secrets and
// PersistentVolumeClaims the configs generate in each namespace: exactly
// what the stream mode appends for a targeted workload there, with the
// same deterministic names. It is `podgraft generate`, for the webhook,
// which mounts them but cannot create them. A namespace outside a graft's
// spec.targets.namespaces (or inside its exclude) gets nothing from that
// graft, and a warning says so.
func Generate(configs []*Config, namespaces []string) ([]byte, framework.Results, error) {
	if len(namespaces) == 0 {
		return nil, nil, errors.New("--namespace: name at least one namespace to generate the resources in")
	}
	for _, ns := range namespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return nil, nil, fmt.Errorf("--namespace %q: not a namespace name: %s", ns, strings.Join(msgs, "; "))
		}
	}
	if _, err := NewProcessor(configs, false); err != nil {
		return nil, nil, err // the same checks as a run (two PodGrafts of one name)
	}
	configs = slices.Clone(configs)
	slices.SortStableFunc(configs, func(a, b *Config) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	results := &transformers.Results{}
	var docs []document
	for _, c := range configs {
		volumes, err := graftVolumes(c)
		if err != nil {
			return nil, nil, err
		}
		sel := transformers.Select{
			Graft:   c.Metadata.Name,
			Targets: transformers.Match{Namespaces: c.Spec.Targets.Namespaces},
			Exclude: transformers.Match{Namespaces: c.Spec.Exclude.Namespaces},
		}
		plan := &transformers.Plan{Graft: c.Metadata.Name, Select: sel, Volumes: volumes, Results: &transformers.Results{}, Touched: &transformers.Touched{}}
		if !plan.Generates() {
			continue
		}
		// One stand-in Pod per namespace, which every other targets field
		// would match too: what a namespace gets depends on nothing else.
		var pods []*yaml.RNode
		for _, ns := range namespaces {
			pod, err := yaml.Parse("apiVersion: v1\nkind: Pod\nmetadata: {name: podgraft-generate, namespace: " + ns + "}\nspec: {containers: []}\n")
			if err != nil {
				return nil, nil, err
			}
			pods = append(pods, pod)
		}
		if _, err := plan.Collect().Filter(pods); err != nil {
			return nil, nil, err
		}
		out := transformers.Outcome{Drop: map[*yaml.RNode]bool{}}
		plan.Finish(nil, &out)
		covered := map[string]bool{}
		for _, r := range out.Added {
			covered[r.GetNamespace()] = true
			docs = append(docs, document{doc: &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{r.YNode()}}, node: r})
		}
		for _, ns := range namespaces {
			if !covered[ns] {
				results.Add(framework.Warning, nil, "", "PodGraft %s does not target namespace %s (spec.targets.namespaces, spec.exclude.namespaces): nothing generated there", c.Metadata.Name, ns)
			}
		}
	}
	out, err := encodeStream(docs)
	return out, results.Items, err
}
