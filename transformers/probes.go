package transformers

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ProbeKind names one of a container's probes.
type ProbeKind string

// Probe kinds, as the graft record writes them ("web:readiness").
const (
	Liveness  ProbeKind = "liveness"
	Readiness ProbeKind = "readiness"
	Startup   ProbeKind = "startup"
)

// ProbeKinds is the order probes are added in: the order Kubernetes
// prints them.
var ProbeKinds = []ProbeKind{Liveness, Readiness, Startup}

// Field is the container field that holds the probe: "readinessProbe".
func (k ProbeKind) Field() string { return string(k) + "Probe" }

// ProbeSet is one entry of spec.probes.
type ProbeSet struct {
	// Source names the entry in messages: "spec.probes[0]".
	Source string
	// Containers are names or shell globs. Empty selects the app
	// containers (not grafted by podgraft) that declare ports.
	Containers []string
	// Probes holds the probe bodies as the user wrote them in the config.
	Probes map[ProbeKind]*yaml.Node
	// Override replaces probes the containers already have; without it
	// only missing probes are filled.
	Override bool
}

// Probes is the filter that sets startup, liveness and readiness probes on
// the selected containers of every pod template. App containers and native
// sidecars (restartPolicy: Always) may be selected; an init container that
// runs to completion may not, since Kubernetes rejects probes on it. What
// it sets is recorded as "<container>:<kind>", and a probe it replaced is
// kept in the record so that removal puts it back.
type Probes struct {
	Graft   string
	Items   []ProbeSet
	Locator Locator
	Results *Results
}

var _ kio.Filter = Probes{}

// Filter sets the probes on every pod template of nodes.
func (f Probes) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if len(f.Items) == 0 {
		return nodes, nil
	}
	return f.Locator.eachPod(nodes, f.probe)
}

// podContainer is a container of a pod template, with where it sits.
type podContainer struct {
	list  string // containers | initContainers
	index int
	node  *yaml.Node
}

func (c podContainer) name() string { return str(c.node, "name") }

// field is the container's path inside the pod spec: "containers[0]".
func (c podContainer) field() string { return c.list + "[" + strconv.Itoa(c.index) + "]" }

// probePlan is one probe to set, found valid before anything is written.
type probePlan struct {
	c    podContainer
	kind ProbeKind
	body *yaml.Node
}

func (f Probes) probe(t Template, spec *yaml.Node, rec Record, errs *ErrorList) {
	// Plan and check everything first, so that an error leaves the
	// template as it was.
	mark := len(errs.Results)
	grafted := graftedContainers(rec)
	var plans []probePlan
	planned := map[string]bool{}
	for _, item := range f.Items {
		before := len(errs.Results)
		targets := f.selectContainers(t, spec, item, grafted, errs)
		if len(targets) == 0 && len(errs.Results) == before {
			f.Results.Add(framework.Warning, t.Resource, t.Field("spec", "containers"),
				"%s: %s matches no container of this pod (%s); no probe set", f.Graft, item.Source, describeSelection(item.Containers))
			continue
		}
		for _, c := range targets {
			for _, kind := range ProbeKinds {
				body := item.Probes[kind]
				if body == nil {
					continue
				}
				key := c.name() + ":" + string(kind)
				if owner := probeOwner(rec, f.Graft, key); owner != "" {
					// Also without override: were the probe left to whichever
					// graft came first, the pod would depend on the order the
					// grafts were applied in.
					format := "%s: %s.%s would fill the %s probe of container %q, but %s set it; two grafts cannot own one probe, or the pod would depend on which was applied first"
					if item.Override {
						format = "%s: %s.%s has override: true, but the %s probe of container %q was set by %s; two grafts cannot own one probe"
					}
					errs.Addf(t.Resource, t.Field("spec", c.field(), kind.Field()), format, f.Graft, item.Source, kind, kind, c.name(), owner)
					continue
				}
				existing := lookup(c.node, kind.Field())
				if !item.Override && (planned[key] || existing != nil && !isNull(existing)) {
					continue // only missing probes are filled
				}
				f.checkPorts(t, c, kind, body, item, errs)
				plans = append(plans, probePlan{c: c, kind: kind, body: body})
				planned[key] = true
			}
		}
	}
	if len(errs.Results) > mark {
		return
	}
	e := rec.Entry(f.Graft)
	for _, p := range plans {
		setProbe(rec, e, p)
	}
	rec.Save(t)
}

// setProbe sets one planned probe and records it. A probe that was there
// before (the user's, or an explicit null) is kept in the record so that
// removal puts it back; one this graft set earlier in the run is simply
// replaced by a later entry's override.
func setProbe(rec Record, e *Entry, p probePlan) {
	key := p.c.name() + ":" + string(p.kind)
	for _, k := range e.Probes {
		if k == key {
			setNode(p.c.node, p.kind.Field(), plain(p.body))
			return
		}
	}
	if existing := lookup(p.c.node, p.kind.Field()); existing != nil {
		if e.Replaced == nil {
			e.Replaced = map[string]json.RawMessage{}
		}
		e.Replaced[key] = nodeJSON(existing)
		setNode(p.c.node, p.kind.Field(), plain(p.body))
	} else {
		insertProbe(p.c.node, p.kind, plain(p.body), rec)
	}
	e.Probes = append(e.Probes, key)
}

// insertProbe adds a probe the container does not have: at the end, but
// before any key another graft added that comes later in the canonical
// order of grafted keys (livenessProbe, readinessProbe, startupProbe,
// then a volumeMounts list made only of grafted mounts), so that grafts
// filling different probes or mounting volumes leave the same container
// whichever goes first. The user's own keys do not move.
func insertProbe(c *yaml.Node, kind ProbeKind, body *yaml.Node, rec Record) {
	name := str(c, "name")
	later := map[string]bool{}
	mounts := map[string]bool{}
	for _, e := range rec {
		for _, key := range e.Probes {
			cname, k, _ := strings.Cut(key, ":")
			if cname == name && slices.Index(ProbeKinds, ProbeKind(k)) > slices.Index(ProbeKinds, kind) {
				later[ProbeKind(k).Field()] = true
			}
		}
		for _, m := range e.Mounts {
			mounts[m] = true
		}
	}
	if vm := lookup(c, "volumeMounts"); vm != nil && vm.Kind == yaml.SequenceNode {
		later["volumeMounts"] = len(vm.Content) > 0
		for _, m := range vm.Content {
			later["volumeMounts"] = later["volumeMounts"] && mounts[name+":"+str(m, "mountPath")]
		}
	}
	at := len(c.Content)
	for i := 0; i+1 < len(c.Content); i += 2 {
		if later[c.Content[i].Value] {
			at = i
			break
		}
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kind.Field()}
	c.Content = append(c.Content[:at], append([]*yaml.Node{key, body}, c.Content[at:]...)...)
}

// selectContainers returns the containers item selects in this pod. An init
// container that runs to completion, named exactly, is an error; globs pass
// over it.
func (f Probes) selectContainers(t Template, spec *yaml.Node, item ProbeSet, grafted map[string]string, errs *ErrorList) []podContainer {
	var out []podContainer
	if len(item.Containers) == 0 {
		for _, c := range listContainers(spec, "containers") {
			if grafted[c.name()] == "" && hasPorts(c.node) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, c := range listContainers(spec, "initContainers") {
		exact, matched := matchName(item.Containers, c.name())
		switch {
		case !matched:
		case isNativeSidecar(c.node):
			out = append(out, c)
		case exact:
			errs.Addf(t.Resource, t.Field("spec", c.field()),
				"%s: %s selects init container %q, which runs to completion: Kubernetes rejects probes on it (only native sidecars, with restartPolicy: Always, take probes)",
				f.Graft, item.Source, c.name())
		}
	}
	for _, c := range listContainers(spec, "containers") {
		if _, matched := matchName(item.Containers, c.name()); matched {
			out = append(out, c)
		}
	}
	return out
}

// checkPorts reports named ports in the probe's handler that the container
// does not declare: Kubernetes resolves them against the container's own
// ports.
func (f Probes) checkPorts(t Template, c podContainer, kind ProbeKind, body *yaml.Node, item ProbeSet, errs *ErrorList) {
	for _, handler := range []string{"httpGet", "tcpSocket"} {
		port := lookup(lookup(body, handler), "port")
		if port == nil || port.Kind != yaml.ScalarNode || port.Tag == "!!int" {
			continue
		}
		if !hasPortName(c.node, port.Value) {
			errs.Addf(t.Resource, t.Field("spec", c.field(), kind.Field(), handler, "port"),
				"%s: container %q has no port named %q (used by %s.%s.%s.port)",
				f.Graft, c.name(), port.Value, item.Source, kind, handler)
		}
	}
}

// ReadinessRule is one PodGraft's requireReadinessProbe policy.
type ReadinessRule struct {
	Graft string
	// Select picks the workloads the graft targets.
	Select Select
	// Severity is framework.Warning or framework.Error.
	Severity framework.Severity
}

// RequireReadiness is the check that runs after every graft is applied: it
// reports each app container that declares ports but has no
// readinessProbe, since such a container receives traffic before it is
// ready. It looks at every workload a graft targets, also those whose
// record is current and were not grafted again, so that re-runs report
// the same. A container is reported once, at the strictest severity of the
// grafts that target its workload; error severity fails the run.
type RequireReadiness struct {
	Rules   []ReadinessRule
	Results *Results
}

var _ kio.Filter = RequireReadiness{}

// Filter reports readiness gaps; it changes nothing.
func (f RequireReadiness) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	var errs ErrorList
	for _, r := range nodes {
		var (
			severity framework.Severity
			grafts   []string
			locator  Locator
		)
		for _, rule := range f.Rules {
			sel := rule.Select
			sel.Results = nil // Select already reported its skips
			if !sel.selected(r) {
				continue
			}
			grafts = append(grafts, rule.Graft)
			locator = rule.Select.Locator
			if severity != framework.Error {
				severity = rule.Severity
			}
		}
		if len(grafts) == 0 {
			continue
		}
		tmpls, err := locator.Templates(r)
		if err != nil {
			return nil, err
		}
		for _, t := range tmpls {
			spec := lookup(t.Node.YNode(), "spec")
			rec, err := LoadRecord(t)
			if err != nil {
				return nil, err
			}
			grafted := graftedContainers(rec)
			for _, c := range listContainers(spec, "containers") {
				if grafted[c.name()] != "" || !hasPorts(c.node) {
					continue
				}
				if p := lookup(c.node, Readiness.Field()); p != nil && !isNull(p) {
					continue
				}
				format := "container %q declares ports but has no readinessProbe, so it receives traffic before it is ready; add one under spec.probes (requireReadinessProbe: %s in %s)"
				field := t.Field("spec", c.field(), Readiness.Field())
				if severity == framework.Error {
					errs.Addf(r, field, format, c.name(), severity, strings.Join(grafts, ", "))
				} else {
					f.Results.Add(framework.Warning, r, field, format, c.name(), severity, strings.Join(grafts, ", "))
				}
			}
		}
	}
	return nodes, errs.Err()
}

// listContainers returns the mapping elements of spec.<list>.
func listContainers(spec *yaml.Node, list string) []podContainer {
	seq := lookup(spec, list)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []podContainer
	for i, c := range seq.Content {
		if c.Kind == yaml.MappingNode {
			out = append(out, podContainer{list: list, index: i, node: c})
		}
	}
	return out
}

// graftedContainers maps the name of every container a graft added to the
// graft that added it.
func graftedContainers(rec Record) map[string]string {
	out := map[string]string{}
	for graft, e := range rec {
		for _, list := range [][]string{e.InitContainers, e.Sidecars, e.Containers} {
			for _, n := range list {
				out[n] = graft
			}
		}
	}
	return out
}

// probeOwner names another graft that set the probe key, or "".
func probeOwner(rec Record, self, key string) string {
	for graft, e := range rec {
		if graft == self {
			continue
		}
		for _, k := range e.Probes {
			if k == key {
				return graft
			}
		}
	}
	return ""
}

// matchName reports whether name matches one of the patterns, and whether
// one matched it exactly rather than as a glob.
func matchName(patterns []string, name string) (exact, matched bool) {
	for _, p := range patterns {
		if p == name {
			return true, true
		}
		if ok, _ := path.Match(p, name); ok {
			matched = true
		}
	}
	return false, matched
}

func describeSelection(patterns []string) string {
	if len(patterns) == 0 {
		return "by default the app containers that declare ports"
	}
	return "containers: " + strings.Join(patterns, ", ")
}

func isNativeSidecar(c *yaml.Node) bool { return str(c, "restartPolicy") == "Always" }

func hasPorts(c *yaml.Node) bool {
	ports := lookup(c, "ports")
	return ports != nil && ports.Kind == yaml.SequenceNode && len(ports.Content) > 0
}

func hasPortName(c *yaml.Node, name string) bool {
	ports := lookup(c, "ports")
	if ports == nil {
		return false
	}
	for _, p := range ports.Content {
		if str(p, "name") == name {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// nodeJSON renders a YAML node as JSON, keeping the key order, so that a
// replaced probe fits in the graft record and comes back as it was.
func nodeJSON(n *yaml.Node) json.RawMessage {
	var b bytes.Buffer
	writeJSON(&b, n)
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, n *yaml.Node) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value) // strings always marshal
			b.Write(k)
			b.WriteByte(':')
			writeJSON(b, n.Content[i+1])
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, el := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, el)
		}
		b.WriteByte(']')
	default:
		b.Write(scalarJSON(n))
	}
}

// scalarJSON keeps numbers, booleans and null typed; everything else is a
// string.
func scalarJSON(n *yaml.Node) []byte {
	switch n.Tag {
	case "!!int", "!!float", "!!bool", "!!null":
		var v any
		if err := n.Decode(&v); err == nil {
			if out, err := json.Marshal(v); err == nil {
				return out
			}
		}
	}
	out, _ := json.Marshal(n.Value) // strings always marshal
	return out
}

// fromJSON turns a node parsed from the record's JSON back into block
// YAML: no flow style, and strings unquoted where YAML reads them as
// strings anyway (the encoder quotes the rest).
func fromJSON(n *yaml.Node) *yaml.Node {
	c := plain(n)
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && !yaml.IsYaml1_1NonString(n) && !yaml.IsIdxNumber(n.Value) {
			n.Style = 0
		}
		for _, ch := range n.Content {
			walk(ch)
		}
	}
	walk(c)
	return c
}
