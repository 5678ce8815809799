package transformers

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/internal/podspec"
)

// conflicts is the pre-flight step of a graft's containers. It runs after
// reconcile (so this graft's own stale version is already out) and before
// containers, changes nothing, and reports every conflict it finds, each
// naming both sides and the pod's field path:
//
//   - a grafted container name already used in the pod, by a container
//     podgraft did not graft or by one another PodGraft grafted;
//   - a containerPort (per protocol) or hostPort (per protocol and hostIP)
//     of a grafted sidecar already used by a container that runs at the same
//     time: every app container and every native sidecar (an init container
//     with restartPolicy: Always), grafted or not. All containers of a pod
//     share one network namespace. Plain init containers run alone, to
//     completion, before the app starts, so their ports neither conflict
//     nor are checked;
//   - imageFrom naming an app container the pod does not have;
//   - a before:/after: placement naming a container that is not in the list.
//     The anchor must be the workload's own container or one this PodGraft
//     grafts earlier into the same list: a container of another PodGraft
//     would make the result depend on the order the grafts are applied in.
//
// Clashes between the containers of one PodGraft (names, ports) are config
// errors, found by validation before any workload is read.
func (g *Graft) conflicts(p *pod) bool {
	items := g.items
	if len(items) == 0 {
		return true
	}
	spec, t := p.spec, p.t
	owners := p.rec.containers()
	inUse := portsInUse(spec)
	for _, c := range items {
		if where := findContainer(spec, c.name); where != "" {
			p.fail(t.Field("spec", where), "%s cannot graft container %q: the name is already used by %s",
				g.Name, c.name, ownedBy(owners[c.name]))
		} else if owner := owners[c.name]; owner != "" && owner != g.Name {
			// Gone from the pod, but its graft's record still has it: a
			// run of that graft puts it back.
			p.fail(t.Field("metadata", "annotations", RecordAnnotation), "%s cannot graft container %q: the name belongs to %s, whose record lists it",
				g.Name, c.name, owner)
		}
		if c.imageFrom != "" && appContainer(spec, c.imageFrom, p.rec) == nil {
			p.fail(t.Field("spec", "containers"), "%s: init container %q has imageFrom %q, but the pod has no such app container",
				g.Name, c.name, c.imageFrom)
		}
		if anchor := placementAnchor(c.placement); anchor != "" {
			g.checkAnchor(p, items, c, anchor, owners)
		}
		if c.role != initContainer {
			g.checkPorts(p, c, inUse, owners)
		}
		g.checkOwnMounts(p, c)
	}
	return !p.failed()
}

// checkOwnMounts reports a grafted container's own volumeMounts (in its
// config) that name a volume the pod will not have: not the pod's, not
// one this graft adds, not a StatefulSet's volumeClaimTemplates entry.
// The API server would refuse the pod.
func (g *Graft) checkOwnMounts(p *pod, c item) {
	mounts := node.Lookup(c.node, "volumeMounts")
	if mounts == nil || mounts.Kind != yaml.SequenceNode {
		return
	}
	have := map[string]bool{}
	if vols := node.Lookup(p.spec, "volumes"); vols != nil {
		for _, v := range vols.Content {
			have[node.Str(v, "name")] = true
		}
	}
	for i := range g.spec.Volumes {
		have[g.spec.Volumes[i].Name] = true
	}
	if p.t.Node != p.t.Resource {
		if seq := node.Lookup(node.Lookup(p.res().YNode(), "spec"), "volumeClaimTemplates"); seq != nil {
			for _, el := range seq.Content {
				have[claimTemplateName(el)] = true
			}
		}
	}
	for i, m := range mounts.Content {
		if name := node.Str(m, "name"); name != "" && !have[name] {
			p.fail(p.t.Field("spec", "volumes"),
				"%s: container %q mounts volume %q (its volumeMounts[%d]), but neither the pod nor %s has a volume of that name; the API server would refuse the pod",
				g.Name, c.name, name, i, g.Name)
		}
	}
}

// checkAnchor accepts a placement anchor that is the workload's own
// container in the same list, or a container this graft adds to that list
// before c.
func (g *Graft) checkAnchor(p *pod, items []item, c item, anchor string, owners map[string]string) {
	list := c.list()
	for _, other := range items {
		if other.name == c.name {
			break
		}
		if other.name == anchor && other.list() == list {
			return
		}
	}
	i := node.IndexByName(node.Lookup(p.spec, list), anchor)
	switch {
	case i < 0:
		p.fail(p.t.Field("spec", list), "%s: container %q has placement %q, but %s has no container %q",
			g.Name, c.name, c.placement, p.t.Field("spec", list), anchor)
	case owners[anchor] != "":
		p.fail(p.t.Field("spec", list+"["+strconv.Itoa(i)+"]"),
			"%s: container %q has placement %q, but %q was grafted by %s: a placement must name a container of the workload or one of this PodGraft, so that grafts give the same pod in any order",
			g.Name, c.name, c.placement, anchor, owners[anchor])
	}
}

// portUse is a port a running container of the pod already uses.
type portUse struct {
	container string
	field     string // in the pod spec: containers[0].ports[1].containerPort
}

// portsInUse maps the ports of the containers that run for the pod's
// lifetime (app containers and native sidecars) to their first user.
func portsInUse(spec *yaml.Node) map[string]portUse {
	inUse := map[string]portUse{}
	for _, c := range allContainers(spec) {
		if !c.lifetime() {
			continue
		}
		for _, port := range podspec.Ports(c.node) {
			for _, key := range port.Keys {
				if _, seen := inUse[key.ID]; !seen {
					inUse[key.ID] = portUse{container: c.name(), field: c.field() + "." + port.Field(key)}
				}
			}
		}
	}
	return inUse
}

// checkPorts reports each containerPort and hostPort of the grafted
// sidecar c that a container running alongside it already uses.
func (g *Graft) checkPorts(p *pod, c item, inUse map[string]portUse, owners map[string]string) {
	for _, port := range podspec.Ports(c.node) {
		for _, key := range port.Keys {
			use, clash := inUse[key.ID]
			if !clash {
				continue
			}
			p.fail(p.t.Field("spec", use.field),
				"%s cannot graft container %q with %s %s: the port is already used by container %q, which %s; all containers of a pod share one network",
				g.Name, c.name, key.Field, key.Show, use.container, grafter(owners[use.container]))
		}
	}
}

// ownedBy names who put a container in the pod, for name clashes.
func ownedBy(graft string) string {
	if graft == "" {
		return "a container podgraft did not graft"
	}
	return "a container grafted by " + graft
}

// grafter completes "which ..." for port clashes.
func grafter(graft string) string {
	if graft == "" {
		return "podgraft did not graft"
	}
	return "was grafted by " + graft
}

// role says where a grafted container goes and how it runs.
type role int

const (
	// initContainer runs to completion before the app, in initContainers.
	initContainer role = iota
	// nativeSidecar runs for the pod's lifetime from initContainers with
	// restartPolicy: Always, so Jobs still complete.
	nativeSidecar
	// regularSidecar runs in containers, next to the app.
	regularSidecar
)

// item is one container of the config, as the steps see it: its kind of
// container, its placement and its node.
type item struct {
	name      string
	node      *yaml.Node // the container as the user wrote it (v1alpha1 keeps it)
	role      role
	placement string
	imageFrom string
}

func (c item) list() string {
	if c.role == regularSidecar {
		return "containers"
	}
	return "initContainers"
}

// compileItems lists the config's containers: sidecars before init containers
// that share a placement, so that a proxy sidecar is up before an init
// container that needs the network.
func compileItems(spec *v1alpha1.Spec) []item {
	out := make([]item, 0, len(spec.Sidecars)+len(spec.InitContainers))
	for _, sc := range spec.Sidecars {
		r := nativeSidecar
		if !sc.IsNative() {
			r = regularSidecar
		}
		out = append(out, item{name: sc.Name, node: sc.Node, role: r, placement: sc.Placement})
	}
	for _, ic := range spec.InitContainers {
		out = append(out, item{name: ic.Name, node: ic.Node, role: initContainer, placement: ic.Placement, imageFrom: ic.ImageFrom})
	}
	return out
}
