package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// readiness is the check that runs after every graft is applied to a
// resource: it reports each app container that declares ports but has no
// readinessProbe, since such a container receives traffic before it is
// ready. It looks at every workload a graft targets, also those whose
// record is current and were not grafted again, so that re-runs report
// the same. A container is reported once, at the strictest severity of the
// grafts that target its workload (requireReadinessProbe); error severity
// fails the run. targeting are the grafts that target r.
func readiness(r *yaml.RNode, targeting []*Graft) framework.Results {
	var (
		severity framework.Severity
		grafts   []string
		locator  Locator
	)
	for _, g := range targeting {
		if g.readiness == "" {
			continue
		}
		grafts = append(grafts, g.Name)
		locator = g.locator
		if severity != framework.Error {
			severity = g.readiness
		}
	}
	if len(grafts) == 0 {
		return nil
	}
	tmpls, err := locator.Templates(r)
	if err != nil {
		return framework.Results{errorResult(err)}
	}
	var out framework.Results
	for _, t := range tmpls {
		rec, err := LoadRecord(t)
		if err != nil {
			return append(out, errorResult(err))
		}
		grafted := rec.containers()
		for _, c := range containers(node.Lookup(t.Node.YNode(), "spec"), "containers") {
			if grafted[c.name()] != "" || !hasPorts(c.node) {
				continue
			}
			if p := node.Lookup(c.node, probeField("readiness")); p != nil && !node.IsNull(p) {
				continue
			}
			out = append(out, newResult(severity, r, t.Field("spec", c.field(), probeField("readiness")),
				"container %q declares ports but has no readinessProbe, so it receives traffic before it is ready; add one under spec.probes (requireReadinessProbe: %s in %s)",
				c.name(), severity, strings.Join(grafts, ", ")))
		}
	}
	return out
}
