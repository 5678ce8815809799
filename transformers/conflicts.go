package transformers

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Conflicts is the pre-flight filter of a graft's containers. It runs after
// Reconcile (so this graft's own stale version is already out) and before
// Containers, changes nothing, and reports every conflict it finds in every
// pod template, each naming both sides and the pod's field path:
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
type Conflicts struct {
	Graft   string
	Items   []GraftContainer
	Locator Locator
}

var _ kio.Filter = Conflicts{}

// Filter checks every pod template of nodes and returns nodes unchanged, or
// the list of every conflict found.
func (f Conflicts) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if len(f.Items) == 0 {
		return nodes, nil
	}
	return f.Locator.eachPod(nodes, f.check)
}

func (f Conflicts) check(t Template, spec *yaml.Node, rec Record, errs *ErrorList) {
	owners := graftedContainers(rec)
	inUse := portsInUse(spec)
	for _, c := range f.Items {
		if where := findContainer(spec, c.Name); where != "" {
			errs.Addf(t.Resource, t.Field("spec", where), "%s cannot graft container %q: the name is already used by %s",
				f.Graft, c.Name, ownedBy(owners[c.Name]))
		}
		if c.ImageFrom != "" && appContainer(spec, c.ImageFrom) == nil {
			errs.Addf(t.Resource, t.Field("spec", "containers"), "%s: init container %q has imageFrom %q, but the pod has no such app container",
				f.Graft, c.Name, c.ImageFrom)
		}
		if anchor := placementAnchor(c.Placement); anchor != "" {
			f.checkAnchor(t, spec, c, anchor, owners, errs)
		}
		if c.Role != InitContainer {
			f.checkPorts(t, c, inUse, owners, errs)
		}
	}
}

// checkAnchor accepts a placement anchor that is the workload's own
// container in the same list, or a container this graft adds to that list
// before c.
func (f Conflicts) checkAnchor(t Template, spec *yaml.Node, c GraftContainer, anchor string, owners map[string]string, errs *ErrorList) {
	list := c.list()
	for _, other := range f.Items {
		if other.Name == c.Name {
			break
		}
		if other.Name == anchor && other.list() == list {
			return
		}
	}
	i := indexByName(lookup(spec, list), anchor)
	switch {
	case i < 0:
		errs.Addf(t.Resource, t.Field("spec", list), "%s: container %q has placement %q, but %s has no container %q",
			f.Graft, c.Name, c.Placement, t.Field("spec", list), anchor)
	case owners[anchor] != "":
		errs.Addf(t.Resource, t.Field("spec", list+"["+strconv.Itoa(i)+"]"),
			"%s: container %q has placement %q, but %q was grafted by %s: a placement must name a container of the workload or one of this PodGraft, so that grafts give the same pod in any order",
			f.Graft, c.Name, c.Placement, anchor, owners[anchor])
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
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range listContainers(spec, list) {
			if list == "initContainers" && !isNativeSidecar(c.node) {
				continue
			}
			for _, p := range containerPorts(c.node) {
				for _, key := range p.keys() {
					if _, seen := inUse[key.id]; !seen {
						inUse[key.id] = portUse{container: c.name(), field: c.field() + ".ports[" + strconv.Itoa(p.index) + "]." + key.field}
					}
				}
			}
		}
	}
	return inUse
}

// checkPorts reports each containerPort and hostPort of the grafted
// sidecar c that a container running alongside it already uses.
func (f Conflicts) checkPorts(t Template, c GraftContainer, inUse map[string]portUse, owners map[string]string, errs *ErrorList) {
	for _, p := range containerPorts(c.Node) {
		for _, key := range p.keys() {
			use, clash := inUse[key.id]
			if !clash {
				continue
			}
			errs.Addf(t.Resource, t.Field("spec", use.field),
				"%s cannot graft container %q with %s %s: the port is already used by container %q, which %s; all containers of a pod share one network",
				f.Graft, c.Name, key.field, key.show, use.container, grafter(owners[use.container]))
		}
	}
}

// port is one entry of a container's ports.
type port struct {
	index                           int
	containerPort, hostPort, hostIP string
	protocol                        string
}

// portKey identifies a port for clash detection.
type portKey struct {
	id    string // unique per kind of port, number, protocol (and host IP)
	field string // containerPort | hostPort
	show  string // 8080/TCP
}

// keys returns the containerPort key and, when a hostPort is set, the
// hostPort key, matched the way Kubernetes validates host ports: by
// protocol, hostIP and number.
func (p port) keys() []portKey {
	var out []portKey
	if p.containerPort != "" {
		out = append(out, portKey{id: "c/" + p.protocol + "/" + p.containerPort, field: "containerPort", show: p.containerPort + "/" + p.protocol})
	}
	if p.hostPort != "" && p.hostPort != "0" {
		show := p.hostPort + "/" + p.protocol
		if p.hostIP != "" {
			show = p.hostIP + ":" + show
		}
		out = append(out, portKey{id: "h/" + p.protocol + "/" + p.hostIP + "/" + p.hostPort, field: "hostPort", show: show})
	}
	return out
}

// containerPorts reads a container's ports; the protocol defaults to TCP.
func containerPorts(c *yaml.Node) []port {
	seq := lookup(c, "ports")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []port
	for i, p := range seq.Content {
		pp := port{index: i, containerPort: str(p, "containerPort"), hostPort: str(p, "hostPort"), hostIP: str(p, "hostIP"), protocol: str(p, "protocol")}
		if pp.protocol == "" {
			pp.protocol = "TCP"
		}
		out = append(out, pp)
	}
	return out
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
