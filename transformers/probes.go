package transformers

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// probeField is the container field that holds a probe: "readinessProbe".
func probeField(kind string) string { return kind + "Probe" }

// probes is the step that sets startup, liveness and readiness probes on
// the selected containers. App containers and native sidecars
// (restartPolicy: Always) may be selected; an init container that runs to
// completion may not, since Kubernetes rejects probes on it. What it sets
// is recorded as "<container>:<kind>", and a probe it replaced is kept in
// the record so that removal puts it back.
func (g *Graft) probes(p *pod) bool {
	if len(g.spec.Probes) == 0 {
		return true
	}
	// Plan and check everything first, so that an error leaves the
	// template as it was.
	grafted := p.rec.containers()
	var plans []probePlan
	planned := map[string]bool{}
	owners := p.rec.containers()
	for i := range g.spec.Probes {
		set := &g.spec.Probes[i]
		src := "spec.probes[" + strconv.Itoa(i) + "]"
		reaching := reaches(set.Containers, owners, g.Name) || len(set.Containers) > 0 && !anyMatch(p.spec, set.Containers)
		if reaching {
			r := Reach{Containers: set.Containers, Probes: map[string]json.RawMessage{}, Override: set.Override}
			for _, kind := range v1alpha1.ProbeKinds {
				if probe := set.ByKind(kind); probe != nil {
					r.Probes[kind] = g.probeParts[probe].record
				}
			}
			p.entry.Reach = append(p.entry.Reach, r)
		}
		before := len(p.results)
		targets := g.probeTargets(p, set, src, grafted)
		if len(targets) == 0 && len(p.results) == before {
			if len(set.Containers) > 0 {
				p.wait(p.t.Field("spec", "containers"), set.Containers,
					"%s: %s matches no container of this pod (%s); no probe set", g.Name, src, describeSelection(set.Containers))
			} else {
				p.add(framework.Warning, p.t.Field("spec", "containers"),
					"%s: %s matches no container of this pod (%s); no probe set", g.Name, src, describeSelection(set.Containers))
			}
			continue
		}
		for _, c := range targets {
			for _, kind := range v1alpha1.ProbeKinds {
				probe := set.ByKind(kind)
				if probe == nil {
					continue
				}
				key := c.name() + ":" + kind
				if owner := probeOwner(p.rec, g.Name, key); owner != "" {
					// Also without override: were the probe left to whichever
					// graft came first, the pod would depend on the order the
					// grafts were applied in.
					format := "%s: %s.%s would fill the %s probe of container %q, but %s set it; two grafts cannot own one probe, or the pod would depend on which was applied first"
					if set.Override {
						format = "%s: %s.%s has override: true, but the %s probe of container %q was set by %s; two grafts cannot own one probe"
					}
					p.fail(p.t.Field("spec", c.field(), probeField(kind)), format, g.Name, src, kind, kind, c.name(), owner)
					continue
				}
				existing := node.Lookup(c.node, probeField(kind))
				if !set.Override && (planned[key] || existing != nil && !node.IsNull(existing)) {
					continue // only missing probes are filled
				}
				g.checkProbePorts(p, c, kind, probe.Node, src)
				body := g.probeParts[probe].node(reaching)
				plans = append(plans, probePlan{c: c, kind: kind, body: body})
				planned[key] = true
			}
		}
	}
	if p.failed() {
		return false
	}
	for _, pl := range plans {
		setProbe(p.rec, p.entry, pl)
	}
	p.changed = p.changed || len(plans) > 0
	return true
}

// probePlan is one probe to set, found valid before anything is written.
type probePlan struct {
	c    container
	kind string
	body *yaml.Node
}

// setProbe sets one planned probe and records it. A probe that was there
// before (the user's, or an explicit null) is kept in the record so that
// removal puts it back; one this graft set earlier in the run is simply
// replaced by a later entry's override.
func setProbe(rec Record, e *Entry, pl probePlan) {
	key := pl.c.name() + ":" + pl.kind
	field := probeField(pl.kind)
	if slices.Contains(e.Probes, key) {
		node.Set(pl.c.node, field, pl.body)
		return
	}
	if existing := node.Lookup(pl.c.node, field); existing != nil {
		if e.Replaced == nil {
			e.Replaced = map[string]json.RawMessage{}
		}
		e.Replaced[key] = storeNode(existing)
		node.Set(pl.c.node, field, pl.body)
	} else {
		insertProbe(pl.c.node, pl.kind, pl.body, rec)
	}
	e.Probes = append(e.Probes, key)
}

// insertProbe adds a probe the container does not have: at the end, but
// before any key another graft added that comes later in the canonical
// order of grafted keys (livenessProbe, readinessProbe, startupProbe,
// then a volumeMounts list made only of grafted mounts), so that grafts
// filling different probes or mounting volumes leave the same container
// whichever goes first. The user's own keys do not move.
func insertProbe(c *yaml.Node, kind string, body *yaml.Node, rec Record) {
	name := node.Str(c, "name")
	later := map[string]bool{}
	mounts := map[string]bool{}
	for _, e := range rec {
		for _, key := range e.Probes {
			cname, k, _ := strings.Cut(key, ":")
			if cname == name && slices.Index(v1alpha1.ProbeKinds, k) > slices.Index(v1alpha1.ProbeKinds, kind) {
				later[probeField(k)] = true
			}
		}
		for _, m := range e.Mounts {
			mounts[m] = true
		}
	}
	if vm := node.Lookup(c, "volumeMounts"); vm != nil && vm.Kind == yaml.SequenceNode {
		later["volumeMounts"] = len(vm.Content) > 0
		for _, m := range vm.Content {
			later["volumeMounts"] = later["volumeMounts"] && mounts[name+":"+node.Str(m, "mountPath")]
		}
	}
	for _, key := range []string{"env", "envFrom"} {
		later[key] = graftedOnly(c, key, rec)
	}
	at := len(c.Content) / 2
	for i := 0; i+1 < len(c.Content); i += 2 {
		if later[c.Content[i].Value] {
			at = i / 2
			break
		}
	}
	node.Insert(c, at, probeField(kind), body)
}

// probeTargets returns the containers a probe set selects in this pod. An
// init container that runs to completion, named exactly, is an error;
// globs pass over it. No containers selects the app containers (not
// grafted by podgraft) that declare ports.
func (g *Graft) probeTargets(p *pod, set *v1alpha1.ProbeSet, src string, grafted map[string]string) []container {
	var out []container
	if len(set.Containers) == 0 {
		for _, c := range containers(p.spec, "containers") {
			if grafted[c.name()] == "" && hasPorts(c.node) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, c := range containers(p.spec, "initContainers") {
		exact, matched := matchName(set.Containers, c.name())
		switch {
		case !matched:
		case isNativeSidecar(c.node):
			out = append(out, c)
		case exact:
			p.fail(p.t.Field("spec", c.field()),
				"%s: %s selects init container %q, which runs to completion: Kubernetes rejects probes on it (only native sidecars, with restartPolicy: Always, take probes)",
				g.Name, src, c.name())
		}
	}
	for _, c := range containers(p.spec, "containers") {
		if _, matched := matchName(set.Containers, c.name()); matched {
			out = append(out, c)
		}
	}
	return out
}

// checkProbePorts reports named ports in the probe's handler that the
// container does not declare: Kubernetes resolves them against the
// container's own ports.
func (g *Graft) checkProbePorts(p *pod, c container, kind string, body *yaml.Node, src string) {
	for _, handler := range []string{"httpGet", "tcpSocket"} {
		port := node.Lookup(node.Lookup(body, handler), "port")
		if port == nil || port.Kind != yaml.ScalarNode || port.Tag == "!!int" {
			continue
		}
		if !hasPortName(c.node, port.Value) {
			p.fail(p.t.Field("spec", c.field(), probeField(kind), handler, "port"),
				"%s: container %q has no port named %q (used by %s.%s.%s.port)",
				g.Name, c.name(), port.Value, src, kind, handler)
		}
	}
}

// probeOwner names another graft that set the probe key, or "".
func probeOwner(rec Record, self, key string) string {
	for graft, e := range rec {
		if graft != self && slices.Contains(e.Probes, key) {
			return graft
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

func hasPortName(c *yaml.Node, name string) bool {
	ports := node.Lookup(c, "ports")
	if ports == nil {
		return false
	}
	for _, p := range ports.Content {
		if node.Str(p, "name") == name {
			return true
		}
	}
	return false
}

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
	c := node.Plain(n)
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
