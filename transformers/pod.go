package transformers

import (
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// pod is one pod template being grafted: what every step reads and writes.
// Steps set changed through the write helpers and add their results here;
// nothing else carries state between them.
type pod struct {
	t    Template
	spec *yaml.Node // the pod spec, once checked
	// rec is the template's graft record, parsed once; entry is this
	// graft's new entry in it, which the steps fill.
	rec     Record
	entry   *Entry
	changed bool
	results framework.Results
	// waiting are warnings about containers the pod does not have, which
	// a graft that runs later may add: they are reported only if it does
	// not.
	waiting []waiting
	// renamed holds, by volume, the name a generated resource had before
	// the graft was applied again, when a tool renamed it (kustomize's
	// namePrefix): the graft follows the rename instead of undoing it.
	renamed map[string]rename
	// unchanged says the graft was applied again and the template found
	// as it was: its record is current.
	unchanged bool
	// lastFound is what the last graft taken out of the record found
	// empty or null (Entry.Found): the metadata and annotations get it
	// back when the record goes.
	lastFound map[string]string
}

// waiting is a warning about containers the pod does not have yet.
type waiting struct {
	result   *framework.Result
	t        Template
	patterns []string
	// inits select init containers that run to completion.
	inits []string
}

// wait adds a warning that holds only while no container of the pod
// matches patterns.
func (p *pod) wait(field string, patterns []string, format string, args ...any) {
	p.waiting = append(p.waiting, waiting{result: newResult(framework.Warning, p.res(), field, format, args...), t: p.t, patterns: patterns})
}

// waitInits is wait for a selection of containers and init containers.
func (p *pod) waitInits(field string, patterns, inits []string, format string, args ...any) {
	p.waiting = append(p.waiting, waiting{result: newResult(framework.Warning, p.res(), field, format, args...), t: p.t, patterns: patterns, inits: inits})
}

// still reports whether the pod still has no container the patterns match.
func (w waiting) still() bool {
	spec := node.Lookup(w.t.Node.YNode(), "spec")
	if len(w.inits) > 0 {
		r := Reach{Containers: w.patterns, InitContainers: w.inits}
		for _, c := range allContainers(spec) {
			if r.matches(c) {
				return false
			}
		}
		return true
	}
	return !anyMatch(spec, w.patterns)
}

// describeRefs names a selection for messages:
// "containers: a, b; initContainers: c".
func describeRefs(patterns, inits []string) string {
	var parts []string
	if len(patterns) > 0 {
		parts = append(parts, "containers: "+strings.Join(patterns, ", "))
	}
	if len(inits) > 0 {
		parts = append(parts, "initContainers: "+strings.Join(inits, ", "))
	}
	return strings.Join(parts, "; ")
}

// anyMatch reports whether a container of spec matches one of patterns:
// by its exact name, or by a glob for a container that runs for the
// pod's lifetime.
func anyMatch(spec *yaml.Node, patterns []string) bool {
	for _, c := range allContainers(spec) {
		if reachMatches(patterns, c) {
			return true
		}
	}
	return false
}

func newPod(t Template) (*pod, error) {
	rec, err := LoadRecord(t)
	if err != nil {
		return nil, err
	}
	return &pod{t: t, rec: rec}, nil
}

// res is the workload the template belongs to.
func (p *pod) res() *yaml.RNode { return p.t.Resource }

// add adds a result about the workload.
func (p *pod) add(sev framework.Severity, field, format string, args ...any) {
	p.results = append(p.results, newResult(sev, p.res(), field, format, args...))
}

// fail adds an error result about the workload.
func (p *pod) fail(field, format string, args ...any) {
	p.add(framework.Error, field, format, args...)
}

// failed reports whether the pod has an error result.
func (p *pod) failed() bool { return HasErrors(p.results) }

// saveRecord writes the record back into the template.
func (p *pod) saveRecord() {
	p.rec.save(p.t, p.lastFound)
	p.changed = true
}

// podSpec returns the template's pod spec after checking its shape.
func (p *pod) podSpec() (*yaml.Node, bool) {
	t := p.t
	spec := node.Lookup(t.Node.YNode(), "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		p.fail(t.Field("spec"), "the pod template has no spec mapping")
		return nil, false
	}
	for _, list := range []string{"containers", "initContainers", "volumes"} {
		v := node.Lookup(spec, list)
		if v != nil && v.Kind != yaml.SequenceNode && !node.IsNull(v) {
			p.fail(t.Field("spec", list), "must be a list, not a %s", node.Kind(v))
			return nil, false
		}
		if v != nil {
			for i, el := range v.Content {
				if el.Kind != yaml.MappingNode {
					p.fail(t.Field("spec", list+"["+strconv.Itoa(i)+"]"), "must be a mapping, not a %s", node.Kind(el))
					return nil, false
				}
			}
		}
	}
	return spec, true
}

// container is a container of the pod spec, with where it sits.
type container struct {
	list  string // containers | initContainers
	index int
	node  *yaml.Node
}

func (c container) name() string { return node.Str(c.node, "name") }

// field is the container's path inside the pod spec: "containers[0]".
func (c container) field() string { return c.list + "[" + strconv.Itoa(c.index) + "]" }

// lifetime: an app container or a native sidecar, which runs as long as
// the pod; not an init container that runs to completion.
func (c container) lifetime() bool { return c.list == "containers" || isNativeSidecar(c.node) }

// containers returns the mapping elements of spec.<list>.
func containers(spec *yaml.Node, list string) []container {
	seq := node.Lookup(spec, list)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]container, 0, len(seq.Content))
	for i, c := range seq.Content {
		if c.Kind == yaml.MappingNode {
			out = append(out, container{list: list, index: i, node: c})
		}
	}
	return out
}

// allContainers returns the pod's containers, init containers first.
func allContainers(spec *yaml.Node) []container {
	return append(containers(spec, "initContainers"), containers(spec, "containers")...)
}

// findContainer returns "containers[i]" or "initContainers[i]" where name is used.
func findContainer(spec *yaml.Node, name string) string {
	for _, list := range []string{"initContainers", "containers"} {
		if i := node.IndexByName(node.Lookup(spec, list), name); i >= 0 {
			return list + "[" + strconv.Itoa(i) + "]"
		}
	}
	return ""
}

func isNativeSidecar(c *yaml.Node) bool { return node.Str(c, "restartPolicy") == "Always" }

func hasPorts(c *yaml.Node) bool {
	ports := node.Lookup(c, "ports")
	return ports != nil && ports.Kind == yaml.SequenceNode && len(ports.Content) > 0
}
