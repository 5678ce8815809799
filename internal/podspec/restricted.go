package podspec

import (
	"slices"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// The Pod Security Standard "restricted" checks podgraft makes on a
// container, one rule each: what the config may not ask for
// (Contradictions), what a container still fails (Violations), and what
// podgraft sets where the container leaves it unset (Harden).
//
// Contradictions are what a grafted container's own securityContext sets
// against the profile; Violations read the effective value, with
// runAsNonRoot and seccompProfile inherited from the pod.
type rule struct {
	// path of the field under securityContext
	path []string
	// report is the path messages name, when it is not path.
	report string
	// requires completes "... requires " in a contradiction.
	requires string
	// violation names a failed check; "" when the rule is only checked in
	// configs (privileged, runAsUser and added capabilities, which podgraft
	// does not fix up and did not report on the pod's own containers).
	violation string
	// contradicts reports whether a value the user set goes against the
	// profile.
	contradicts func(v *yaml.Node) bool
	// satisfied reports whether the effective value passes.
	satisfied func(v *yaml.Node) bool
	// inherits: the pod's securityContext gives the value when the
	// container does not.
	inherits bool
}

var restricted = []rule{
	{path: []string{"privileged"}, requires: "unprivileged containers",
		contradicts: func(v *yaml.Node) bool { return node.Scalar(v) == "true" }},
	{path: []string{"allowPrivilegeEscalation"}, requires: "allowPrivilegeEscalation: false", violation: "allowPrivilegeEscalation is not false",
		contradicts: func(v *yaml.Node) bool { return node.Scalar(v) == "true" },
		satisfied:   func(v *yaml.Node) bool { return node.Scalar(v) == "false" }},
	{path: []string{"runAsNonRoot"}, requires: "runAsNonRoot: true", violation: "runAsNonRoot is not true", inherits: true,
		contradicts: func(v *yaml.Node) bool { return node.Scalar(v) == "false" },
		satisfied:   func(v *yaml.Node) bool { return node.Scalar(v) == "true" }},
	{path: []string{"runAsUser"}, requires: "a non-root user",
		contradicts: func(v *yaml.Node) bool { return node.Scalar(v) == "0" }},
	{path: []string{"capabilities", "drop"}, requires: "dropping ALL capabilities", violation: "capabilities.drop does not include ALL",
		contradicts: func(v *yaml.Node) bool { return v.Kind == yaml.SequenceNode && !slices.Contains(scalars(v), "ALL") },
		satisfied:   func(v *yaml.Node) bool { return slices.Contains(scalars(v), "ALL") }},
	{path: []string{"capabilities", "add"}, requires: "adding back no capability but NET_BIND_SERVICE",
		contradicts: func(v *yaml.Node) bool { return false }}, // item by item, in Contradictions
	// The container's seccompProfile replaces the pod's whole, type included.
	{path: []string{"seccompProfile"}, report: "seccompProfile.type", requires: "seccompProfile type RuntimeDefault or Localhost", violation: "seccompProfile.type is not RuntimeDefault or Localhost", inherits: true,
		contradicts: func(v *yaml.Node) bool { return !seccompOK(node.Str(v, "type")) },
		satisfied:   func(v *yaml.Node) bool { return seccompOK(node.Str(v, "type")) }},
}

func seccompOK(t string) bool { return t == "RuntimeDefault" || t == "Localhost" }

func scalars(seq *yaml.Node) []string {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]string, 0, len(seq.Content))
	for _, el := range seq.Content {
		out = append(out, node.Scalar(el))
	}
	return out
}

// at follows path from m; nil when any step is missing or null.
func at(m *yaml.Node, path []string) *yaml.Node {
	for _, p := range path {
		m = node.Value(m, p)
	}
	return m
}

// Contradiction is a field of a container's own securityContext that the
// restricted profile cannot allow.
type Contradiction struct {
	// Field is the path under securityContext: "capabilities.add[0]".
	Field    string
	Value    []string // the values set, for "Invalid value" messages; nil for "Forbidden"
	Requires string
}

// Contradictions lists what sc, a container's securityContext, sets
// against the restricted profile, in rule order.
func Contradictions(sc *yaml.Node) []Contradiction {
	var out []Contradiction
	for _, r := range restricted {
		v := at(sc, r.path)
		if v == nil {
			continue
		}
		field := node.Path(r.path...)
		if r.report != "" {
			field = r.report
		}
		switch {
		case field == "capabilities.add":
			for i, c := range scalars(v) {
				if c != "NET_BIND_SERVICE" {
					out = append(out, Contradiction{Field: node.Path(field, "["+strconv.Itoa(i)+"]"), Requires: r.requires})
				}
			}
		case field == "capabilities.drop" && r.contradicts(v):
			out = append(out, Contradiction{Field: field, Value: scalars(v), Requires: r.requires})
		case r.contradicts(v):
			out = append(out, Contradiction{Field: field, Requires: r.requires})
		}
	}
	return out
}

// Violations lists the checks container c fails, given the pod-level
// securityContext podSC.
func Violations(c, podSC *yaml.Node) []string {
	sc := node.Value(c, "securityContext")
	var out []string
	for _, r := range restricted {
		if r.violation == "" {
			continue
		}
		v := at(sc, r.path)
		if v == nil && r.inherits {
			v = at(podSC, r.path)
		}
		if v == nil || !r.satisfied(v) {
			out = append(out, r.violation)
		}
	}
	return out
}

// Harden sets, in container c, every restricted field it leaves unset:
//
//	securityContext:
//	  allowPrivilegeEscalation: false
//	  runAsNonRoot: true
//	  capabilities: {drop: [ALL]}
//	  seccompProfile: {type: RuntimeDefault}
//
// It does not set runAsNonRoot where the pod or the container runs as root
// (runAsUser: 0), since the kubelet would then refuse to start it.
func Harden(c, podSC *yaml.Node) {
	sc := node.Ensure(c, "securityContext", yaml.MappingNode)
	if node.Lookup(sc, "allowPrivilegeEscalation") == nil {
		node.Set(sc, "allowPrivilegeEscalation", node.Bool(false))
	}
	if node.Lookup(sc, "runAsNonRoot") == nil && effective(sc, podSC, "runAsUser") != "0" {
		node.Set(sc, "runAsNonRoot", node.Bool(true))
	}
	caps := node.Ensure(sc, "capabilities", yaml.MappingNode)
	if node.Lookup(caps, "drop") == nil {
		drop := node.New(yaml.SequenceNode)
		drop.Content = append(drop.Content, node.String("ALL"))
		node.Set(caps, "drop", drop)
	}
	if node.Lookup(sc, "seccompProfile") == nil {
		profile := node.New(yaml.MappingNode)
		node.SetString(profile, "type", "RuntimeDefault")
		node.Set(sc, "seccompProfile", profile)
	}
}

// effective is a securityContext field of the container, or else of the pod.
func effective(sc, podSC *yaml.Node, key string) string {
	if v := node.Value(sc, key); v != nil {
		return node.Scalar(v)
	}
	return node.Str(podSC, key)
}
