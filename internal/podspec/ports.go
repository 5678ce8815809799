// Package podspec holds the rules about pods that both the config's
// validation and the graft engine apply, once: which ports clash in a
// pod's one network (ports.go), and the Pod Security Standard "restricted"
// checks podgraft makes on containers (restricted.go). Both work on YAML
// nodes, so they read a config's container and a workload's container the
// same way.
package podspec

import (
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// Port is one entry of a container's ports, with the keys it takes in the
// pod's network.
type Port struct {
	Index int // in the container's ports
	Keys  []PortKey
}

// PortKey identifies a port for clash detection. All containers of a pod
// share one network namespace, so two containerPorts clash by number and
// protocol, and two hostPorts by number, protocol and host IP, the way
// Kubernetes validates them.
type PortKey struct {
	ID    string // unique per kind of port, number, protocol (and host IP)
	Field string // containerPort | hostPort
	Show  string // 8080/TCP, or 10.0.0.1:8080/TCP
}

// Ports reads a container's ports; the protocol defaults to TCP.
func Ports(c *yaml.Node) []Port {
	seq := node.Lookup(c, "ports")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]Port, 0, len(seq.Content))
	for i, p := range seq.Content {
		containerPort, hostPort, hostIP := node.Str(p, "containerPort"), node.Str(p, "hostPort"), node.Str(p, "hostIP")
		protocol := node.Str(p, "protocol")
		if protocol == "" {
			protocol = "TCP"
		}
		// Keyed in upper case: "tcp" is not a protocol the API server
		// accepts, but whatever the author fixes it to, it takes the
		// same port as "TCP", so it clashes now rather than later.
		key := strings.ToUpper(protocol)
		port := Port{Index: i}
		if containerPort != "" {
			port.Keys = append(port.Keys, PortKey{ID: "c/" + key + "/" + containerPort, Field: "containerPort", Show: containerPort + "/" + protocol})
		}
		if hostPort != "" && hostPort != "0" {
			show := hostPort + "/" + protocol
			if hostIP != "" {
				show = hostIP + ":" + show
			}
			port.Keys = append(port.Keys, PortKey{ID: "h/" + key + "/" + hostIP + "/" + hostPort, Field: "hostPort", Show: show})
		}
		out = append(out, port)
	}
	return out
}

// Field is the path of a port key inside its container: "ports[1].containerPort".
func (p Port) Field(k PortKey) string { return "ports[" + strconv.Itoa(p.Index) + "]." + k.Field }
