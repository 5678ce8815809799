package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ProfileRestricted is the Pod Security Standard "restricted" profile.
const ProfileRestricted = "restricted"

// Security is the filter that applies a Pod Security Standard profile to
// the containers this graft added, as the record lists them: it runs right
// after Containers. Under "restricted" every grafted sidecar and init
// container gets, where unset:
//
//	securityContext:
//	  allowPrivilegeEscalation: false
//	  runAsNonRoot: true
//	  capabilities: {drop: [ALL]}
//	  seccompProfile: {type: RuntimeDefault}
//
// These fields are part of the grafted container, so they leave with it on
// removal. The pod's own containers are not changed; a warning lists those
// that would still violate the profile.
type Security struct {
	Graft   string
	Profile string // "restricted"; anything else changes nothing
	Locator Locator
	Results *Results
}

var _ kio.Filter = Security{}

// Filter hardens the grafted containers of every pod template of nodes.
func (f Security) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if f.Profile != ProfileRestricted {
		return nodes, nil
	}
	for _, r := range nodes {
		tmpls, err := f.Locator.Templates(r)
		if err != nil {
			return nil, err
		}
		for _, t := range tmpls {
			if err := f.restrict(t); err != nil {
				return nil, err
			}
		}
	}
	return nodes, nil
}

func (f Security) restrict(t Template) error {
	spec := lookup(t.Node.YNode(), "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil // Containers has reported it
	}
	rec, err := LoadRecord(t)
	if err != nil {
		return err
	}
	grafted := graftedContainers(rec)
	podSC := lookup(spec, "securityContext")
	var own, ours violations
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range listContainers(spec, list) {
			switch grafted[c.name()] {
			case f.Graft:
				restrictContainer(c.node, podSC)
				ours.add(c.name(), RestrictedViolations(c.node, podSC))
			case "":
				own.add(c.name(), RestrictedViolations(c.node, podSC))
			}
		}
	}
	if len(ours) > 0 {
		f.Results.Add(framework.Warning, t.Resource, t.Field("spec", "securityContext"),
			"%s (securityProfile: restricted): grafted containers still violate Pod Security \"restricted\" because of the pod's own settings: %s",
			f.Graft, ours)
	}
	if len(own) > 0 {
		f.Results.Add(framework.Warning, t.Resource, t.Field("spec", "containers"),
			"%s (securityProfile: restricted): the pod's own containers would still violate Pod Security \"restricted\": %s",
			f.Graft, own)
	}
	return nil
}

// violations groups containers by what they violate, in pod order:
// "web, worker (allowPrivilegeEscalation is not false, ...)".
type violations []struct {
	what       string
	containers []string
}

func (vs *violations) add(container string, what []string) {
	if len(what) == 0 {
		return
	}
	key := strings.Join(what, ", ")
	for i := range *vs {
		if (*vs)[i].what == key {
			(*vs)[i].containers = append((*vs)[i].containers, container)
			return
		}
	}
	*vs = append(*vs, struct {
		what       string
		containers []string
	}{key, []string{container}})
}

func (vs violations) String() string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, strings.Join(v.containers, ", ")+" ("+v.what+")")
	}
	return strings.Join(parts, "; ")
}

// restrictContainer sets the restricted fields that c leaves unset. It
// does not set runAsNonRoot where the pod runs as root (runAsUser: 0), since
// the kubelet would then refuse to start the container.
func restrictContainer(c, podSC *yaml.Node) {
	sc := ensure(c, "securityContext", yaml.MappingNode)
	if lookup(sc, "allowPrivilegeEscalation") == nil {
		setNode(sc, "allowPrivilegeEscalation", boolNode(false))
	}
	if lookup(sc, "runAsNonRoot") == nil && effective(sc, podSC, "runAsUser") != "0" {
		setNode(sc, "runAsNonRoot", boolNode(true))
	}
	caps := ensure(sc, "capabilities", yaml.MappingNode)
	if lookup(caps, "drop") == nil {
		drop := newNode(yaml.SequenceNode)
		drop.Content = append(drop.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "ALL"})
		setNode(caps, "drop", drop)
	}
	if lookup(sc, "seccompProfile") == nil {
		profile := newNode(yaml.MappingNode)
		setString(profile, "type", "RuntimeDefault")
		setNode(sc, "seccompProfile", profile)
	}
}

// RestrictedViolations lists what makes container c fail the Pod Security
// Standard "restricted" checks on allowPrivilegeEscalation, runAsNonRoot,
// capabilities and seccompProfile, given the pod-level securityContext
// podSC (which runAsNonRoot and seccompProfile inherit from).
func RestrictedViolations(c, podSC *yaml.Node) []string {
	sc := lookup(c, "securityContext")
	var out []string
	if str(sc, "allowPrivilegeEscalation") != "false" {
		out = append(out, "allowPrivilegeEscalation is not false")
	}
	if effective(sc, podSC, "runAsNonRoot") != "true" {
		out = append(out, "runAsNonRoot is not true")
	}
	if !contains(lookup(lookup(sc, "capabilities"), "drop"), "ALL") {
		out = append(out, "capabilities.drop does not include ALL")
	}
	seccomp := lookup(sc, "seccompProfile")
	if seccomp == nil || isNull(seccomp) {
		seccomp = lookup(podSC, "seccompProfile")
	}
	if t := str(seccomp, "type"); t != "RuntimeDefault" && t != "Localhost" {
		out = append(out, "seccompProfile.type is not RuntimeDefault or Localhost")
	}
	return out
}

// effective is the value of a securityContext field on the container, or
// else on the pod.
func effective(sc, podSC *yaml.Node, key string) string {
	if v := lookup(sc, key); v != nil && !isNull(v) {
		return str(sc, key)
	}
	return str(podSC, key)
}

func contains(seq *yaml.Node, value string) bool {
	if seq == nil {
		return false
	}
	for _, el := range seq.Content {
		if el.Kind == yaml.ScalarNode && el.Value == value {
			return true
		}
	}
	return false
}

func boolNode(v bool) *yaml.Node {
	s := "false"
	if v {
		s = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: s}
}
