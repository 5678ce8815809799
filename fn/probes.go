package fn

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// probeSets takes spec.probes from the config's own YAML, so that the
// probes carry exactly the fields the user wrote, in their order.
func probeSets(c *Config) ([]transformers.ProbeSet, error) {
	items, err := configList(c, "probes", len(c.Spec.Probes))
	if err != nil {
		return nil, err
	}
	out := make([]transformers.ProbeSet, 0, len(items))
	for i, ps := range c.Spec.Probes {
		item := items[i]
		if item.Kind == yaml.AliasNode && item.Alias != nil {
			item = item.Alias
		}
		set := transformers.ProbeSet{
			Source:     fmt.Sprintf("spec.probes[%d]", i),
			Containers: ps.Containers,
			Probes:     map[transformers.ProbeKind]*yaml.Node{},
			Override:   ps.Override,
		}
		for _, kind := range transformers.ProbeKinds {
			body, err := yaml.NewRNode(item).Pipe(yaml.Lookup(string(kind)))
			if err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %w", c.Source, set.Source, kind, err)
			}
			if !body.IsNilOrEmpty() {
				set.Probes[kind] = body.YNode()
			}
		}
		out = append(out, set)
	}
	return out, nil
}

// readinessSeverity maps requireReadinessProbe to a result severity; ok is
// false for "off".
func readinessSeverity(policy string) (framework.Severity, bool) {
	switch policy {
	case ReadinessError:
		return framework.Error, true
	case ReadinessWarning:
		return framework.Warning, true
	}
	return "", false
}
