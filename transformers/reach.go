package transformers

import (
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
)

// What "*" and other globs mean, in mounts and probes: every container
// that runs for the pod's lifetime, the pod's own and every graft's
// sidecars, whatever order the grafts came in. A graft's mounts and probes
// that may reach another graft's containers (a glob, or the name of a
// container another graft adds) are kept in its record entry as a Reach,
// with what they add; the reach step gives the containers a graft adds
// the parts the other grafts' Reaches say, and taking a graft's containers
// out takes those parts with them (Entry.forget). So -c a -c b, a then b,
// and b then a give the same pod.

// reaches reports whether patterns may select a container another graft
// adds to the pod: a glob, or the name of another graft's container.
func reaches(patterns []string, others map[string]string, self string) bool {
	for _, p := range patterns {
		if isGlob(p) || others[p] != "" && others[p] != self {
			return true
		}
	}
	return false
}

// reach is the step that gives the containers this graft added the mounts
// and probes other grafts' entries keep for the containers they reach.
func (g *Graft) reach(p *pod) bool {
	added := p.entry.containerNames()
	if len(added) == 0 {
		return true
	}
	for _, other := range p.rec.grafts() {
		e := p.rec[other]
		if other == g.Name || len(e.Reach) == 0 {
			continue
		}
		for _, r := range e.Reach {
			for _, c := range allContainers(p.spec) {
				if slices.Contains(added, c.name()) && r.matches(c) {
					p.reachContainer(other, e, r, c)
				}
			}
		}
	}
	return !p.failed()
}

// reachMatches: an exact name matches any container; a glob, those that
// run for the pod's lifetime.
func reachMatches(patterns []string, c container) bool {
	for _, p := range patterns {
		if p == c.name() {
			return true
		}
		if ok, _ := path.Match(p, c.name()); ok && isGlob(p) && c.lifetime() {
			return true
		}
	}
	return false
}

// matches reports whether the Reach selects container c: by containers
// (reachMatches), or by initContainers, for an init container that runs
// to completion.
func (r Reach) matches(c container) bool {
	if reachMatches(r.Containers, c) {
		return true
	}
	if c.lifetime() {
		return false
	}
	for _, p := range r.InitContainers {
		if ok, _ := path.Match(p, c.name()); ok || p == c.name() {
			return true
		}
	}
	return false
}

// reachContainer gives container c the parts of r, recorded in graft's
// entry e.
func (p *pod) reachContainer(graft string, e *Entry, r Reach, c container) {
	if r.Mount != nil {
		mount := fromRecord(r.Mount)
		key := c.name() + ":" + node.Str(mount, "mountPath")
		if !slices.Contains(e.Mounts, key) {
			if i, existing := mountAt(c.node, node.Str(mount, "mountPath")); existing != nil {
				if !sameData(existing, mount) {
					p.fail(p.t.Field("spec", c.field(), "volumeMounts["+strconv.Itoa(i)+"]"),
						"%s mounts volume %q at %q into every container %s selects (%s), but container %q already mounts volume %q there",
						graft, node.Str(mount, "name"), node.Str(mount, "mountPath"), graft, strings.Join(r.Containers, ", "), c.name(), node.Str(existing, "name"))
				}
				return
			}
			later := laterEntries(p.rec, graft)
			seq := ensureGrafted(c.node, "volumeMounts", p.rec)
			insertBefore(seq, mount, func(el *yaml.Node) bool { return later.mounts[c.name()+":"+node.Str(el, "mountPath")] })
			e.Mounts = insertKey(e.Mounts, key, p.podOrder())
			if strings.Contains(node.Str(mount, "subPathExpr"), "$("+NamespaceEnv+")") {
				p.namespaceEnv(graft, e, c.node)
			}
		}
	}
	if len(r.Vars) > 0 || len(r.From) > 0 {
		p.reachEnv(graft, e, r, c)
	}
	if len(r.Probes) > 0 && !c.lifetime() {
		// Kubernetes takes probes only on containers that run for the
		// pod's lifetime; a glob passes over the others.
		if slices.Contains(r.Containers, c.name()) {
			p.fail(p.t.Field("spec", c.field()),
				"%s sets probes on container %q, which runs to completion: Kubernetes rejects probes on it (only native sidecars, with restartPolicy: Always, take probes)", graft, c.name())
		}
		return
	}
	for _, kind := range v1alpha1.ProbeKinds {
		raw, ok := r.Probes[kind]
		if !ok {
			continue
		}
		key := c.name() + ":" + kind
		if slices.Contains(e.Probes, key) {
			continue
		}
		if owner := probeOwner(p.rec, graft, key); owner != "" {
			p.fail(p.t.Field("spec", c.field(), probeField(kind)),
				"%s sets the %s probe of every container %s selects (%s), but the %s probe of container %q was set by %s; two grafts cannot own one probe",
				graft, kind, graft, strings.Join(r.Containers, ", "), kind, c.name(), owner)
			continue
		}
		if existing := node.Lookup(c.node, probeField(kind)); !r.Override && existing != nil && !node.IsNull(existing) {
			continue // only missing probes are filled
		}
		setProbe(p.rec, e, probePlan{c: c, kind: kind, body: fromRecord(raw)})
		e.Probes = insertKey(e.Probes[:len(e.Probes)-1], key, p.podOrder())
	}
}

// insertKey puts key ("<container>:<mountPath>" or "<container>:<kind>")
// into keys where the step that records them would have put it: the steps
// record each mount, and each probe kind, container by container in pod
// order, so the key goes before the first key of the same mountPath (or
// kind) whose container comes later in the pod, or after the last one.
// The record then reads the same whichever graft came first.
func insertKey(keys []string, key string, order map[string]int) []string {
	cname, what, _ := strings.Cut(key, ":")
	at, last := -1, -1
	for i, k := range keys {
		c, w, _ := strings.Cut(k, ":")
		if w != what {
			continue
		}
		last = i
		if at < 0 && order[c] > order[cname] {
			at = i
		}
	}
	if at < 0 {
		at = last + 1
		if last < 0 {
			at = len(keys)
		}
	}
	return slices.Insert(keys, at, key)
}

// podOrder maps each container's name to its place in the pod, init
// containers first.
func (p *pod) podOrder() map[string]int {
	order := map[string]int{}
	for i, c := range allContainers(p.spec) {
		order[c.name()] = i
	}
	return order
}

// toRecord renders a part for a Reach; fromRecord reads it back. A part
// that may reach other grafts' containers is always written from its
// recorded form, so that it reads the same whichever graft put it there.
func toRecord(n *yaml.Node) json.RawMessage { return nodeJSON(n) }

func fromRecord(raw json.RawMessage) *yaml.Node {
	var n yaml.Node
	if err := yaml.Unmarshal(raw, &n); err != nil || len(n.Content) != 1 {
		return node.New(yaml.MappingNode)
	}
	return fromJSON(n.Content[0])
}

// part is a mount or a probe body a graft adds: as the config writes it,
// and in the form it takes through a Reach, with that form's JSON.
type part struct {
	plain, reached *yaml.Node
	record         json.RawMessage
}

func newPart(n *yaml.Node) part {
	raw := toRecord(n)
	return part{plain: n, reached: fromRecord(raw), record: raw}
}

// node returns a copy of the part to insert into a pod: the Reach form
// when the part may reach other grafts' containers.
func (pt part) node(reaching bool) *yaml.Node {
	if reaching {
		return node.Plain(pt.reached)
	}
	return node.Plain(pt.plain)
}
