package fn

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Processor applies a set of PodGrafts. It turns each config into one
// chain of transformers and runs the chains in the order of the PodGraft
// names, whatever the order of the configs: -c a -c b and -c b -c a give
// the same output.
type Processor struct {
	Results *transformers.Results
	// Touched collects the resources the grafts changed.
	Touched *transformers.Touched
	grafts  []graftChain
	// check makes every chain a drift report (see NewCheck).
	check bool
	// readiness runs once after every graft, over every resource.
	readiness transformers.RequireReadiness
}

type graftChain struct {
	name    string
	filters []kio.Filter
	// plan is the graft's cross-document part (generated resources,
	// fronted Services), finished once the whole input was seen.
	plan *transformers.Plan
}

// NewProcessor compiles the configs. With remove, every graft is taken out
// instead of applied, as is any graft whose spec says remove: true.
func NewProcessor(configs []*Config, remove bool) (*Processor, error) {
	return newProcessor(configs, remove, false)
}

// NewCheck compiles the configs into a drift report: running it changes
// nothing and adds an error result for every workload whose graft is
// missing or out of date (with remove: still present), and an info result
// for every workload whose graft is current.
func NewCheck(configs []*Config, remove bool) (*Processor, error) {
	return newProcessor(configs, remove, true)
}

func newProcessor(configs []*Config, remove, check bool) (*Processor, error) {
	p := &Processor{Results: &transformers.Results{}, Touched: &transformers.Touched{}, check: check}
	p.readiness.Results = p.Results
	seen := map[string]string{}
	configs = slices.Clone(configs)
	slices.SortStableFunc(configs, func(a, b *Config) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	for _, c := range configs {
		if first, dup := seen[c.Metadata.Name]; dup {
			return nil, fmt.Errorf("%s: metadata.name: Duplicate value: %q is also the name of the PodGraft in %s; each PodGraft needs its own name, since the graft record is keyed by it",
				c.Source, c.Metadata.Name, first)
		}
		seen[c.Metadata.Name] = c.Source
		chain, err := p.compile(c, remove || c.Spec.Remove)
		if err != nil {
			return nil, err
		}
		p.grafts = append(p.grafts, chain)
	}
	return p, nil
}

// Transform grafts every config onto nodes, in place. It returns an error,
// a framework.Results, when any graft cannot be applied. A graft that
// fails stops there, and the grafts after it still run, so that one run
// reports every problem of every graft; the output is then discarded.
func (p *Processor) Transform(nodes []*yaml.RNode) error {
	var failed framework.Results
	for _, g := range p.grafts {
		targets := nodes
		for _, f := range g.filters {
			var err error
			if targets, err = f.Filter(targets); err != nil {
				failed = append(failed, resultsError(err)...)
				break
			}
			if len(targets) == 0 {
				break
			}
		}
	}
	if len(failed) > 0 {
		return failed
	}
	if len(p.readiness.Rules) > 0 {
		if _, err := p.readiness.Filter(nodes); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) compile(c *Config, remove bool) (graftChain, error) {
	name := c.Metadata.Name
	locator := transformers.Locator{}
	for _, pt := range c.Spec.PodTemplates {
		locator.Custom = append(locator.Custom, transformers.TemplateKind{Group: pt.Group, Kind: pt.Kind, Path: strings.Split(pt.Path, "/")})
	}
	sel := transformers.Select{
		Graft:     name,
		Locator:   locator,
		Targets:   match(c.Spec.Targets),
		Exclude:   match(c.Spec.Exclude),
		HelmHooks: c.Spec.Targets.HelmHooks != nil && *c.Spec.Targets.HelmHooks,
		Results:   p.Results,
	}
	reconcile := transformers.Reconcile{Graft: name, Hash: c.Hash, Select: sel, Remove: remove, Check: p.check, Results: p.Results, Touched: p.Touched}
	volumes, err := graftVolumes(c)
	if err != nil {
		return graftChain{}, err
	}
	plan := &transformers.Plan{Graft: name, Select: sel, Volumes: volumes, Fronts: graftFronts(c), Remove: remove, Check: p.check, Results: p.Results, Touched: p.Touched}
	if remove || p.check {
		return graftChain{name: name, plan: plan, filters: []kio.Filter{plan.Collect(), reconcile}}, nil
	}
	containers, err := graftContainers(c)
	if err != nil {
		return graftChain{}, err
	}
	probes, err := probeSets(c)
	if err != nil {
		return graftChain{}, err
	}
	if sev, on := readinessSeverity(c.Spec.RequireReadinessProbe); on {
		p.readiness.Rules = append(p.readiness.Rules, transformers.ReadinessRule{Graft: name, Select: sel, Severity: sev})
	}
	return graftChain{name: name, plan: plan, filters: []kio.Filter{
		plan.Collect(),
		reconcile,
		transformers.Conflicts{Graft: name, Items: containers, Locator: locator},
		transformers.Containers{Graft: name, Items: containers, Locator: locator, Results: p.Results},
		transformers.Volumes{Graft: name, Items: volumes, AllowedHostPaths: c.Spec.Policy.AllowedHostPaths, Locator: locator, Results: p.Results},
		transformers.Security{Graft: name, Profile: c.Spec.SecurityProfile, Locator: locator, Results: p.Results},
		transformers.Probes{Graft: name, Items: probes, Locator: locator, Results: p.Results},
		transformers.Stamp{Graft: name, Hash: c.Hash, Locator: locator, Results: p.Results},
	}}, nil
}

// match turns a validated config selector into a transformers.Match.
func match(s Selector) transformers.Match {
	m := transformers.Match{Kinds: s.Kinds, Names: s.Names, Namespaces: s.Namespaces, Annotations: s.Annotations}
	if s.LabelSelector != "" {
		m.Labels, _ = labels.Parse(s.LabelSelector) // validated already
	}
	return m
}

// podgraftKeys are config fields that are not Kubernetes container fields.
var podgraftKeys = []string{"native", "placement", "fronts", "imageFrom"}

// graftContainers takes the containers from the config's own YAML, so that
// the output carries exactly the fields the user wrote, in their order.
// Sidecars come before init containers that share a placement, so that a
// proxy sidecar is up before an init container that needs the network.
func graftContainers(c *Config) ([]transformers.GraftContainer, error) {
	var out []transformers.GraftContainer
	sidecars, err := configList(c, "sidecars", len(c.Spec.Sidecars))
	if err != nil {
		return nil, err
	}
	for i, sc := range c.Spec.Sidecars {
		role := transformers.NativeSidecar
		if !sc.IsNative() {
			role = transformers.RegularSidecar
		}
		out = append(out, transformers.GraftContainer{
			Name: sc.Name, Node: withoutKeys(sidecars[i], podgraftKeys...), Role: role, Placement: sc.Placement,
		})
	}
	inits, err := configList(c, "initContainers", len(c.Spec.InitContainers))
	if err != nil {
		return nil, err
	}
	for i, ic := range c.Spec.InitContainers {
		out = append(out, transformers.GraftContainer{
			Name: ic.Name, Node: withoutKeys(inits[i], podgraftKeys...), Role: transformers.InitContainer,
			Placement: ic.Placement, ImageFrom: ic.ImageFrom,
		})
	}
	return out, nil
}

// configList returns the YAML elements of spec.<key>.
func configList(c *Config, key string, want int) ([]*yaml.Node, error) {
	if want == 0 {
		return nil, nil
	}
	list, err := c.Node.Pipe(yaml.Lookup("spec", key))
	if err != nil || list == nil || len(list.Content()) != want {
		return nil, fmt.Errorf("%s: spec.%s: cannot read the list back from the config", c.Source, key)
	}
	return list.Content(), nil
}

// withoutKeys copies a config mapping without podgraft's own keys.
func withoutKeys(n *yaml.Node, keys ...string) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := *n
	c.Content = nil
	skip := map[string]bool{}
	for _, k := range keys {
		skip[k] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !skip[n.Content[i].Value] {
			c.Content = append(c.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &c
}
