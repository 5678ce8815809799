package transformers

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/internal/podspec"
)

// security is the step that applies the Pod Security Standard "restricted"
// profile (securityProfile: restricted) to the containers this graft adds:
// it sets the restricted fields each leaves unset (podspec.Harden). These
// fields are part of the grafted container, so they leave with it on
// removal. The pod's own containers are not changed; a warning lists those
// that would still violate the profile.
func (g *Graft) security(p *pod) bool {
	if g.spec.SecurityProfile != v1alpha1.ProfileRestricted {
		return true
	}
	ours := set(append(append(append([]string{}, p.entry.Sidecars...), p.entry.Containers...), p.entry.InitContainers...))
	grafted := p.rec.containers()
	podSC := node.Lookup(p.spec, "securityContext")
	var own, still violations
	for _, c := range allContainers(p.spec) {
		switch {
		case ours[c.name()]:
			podspec.Harden(c.node, podSC)
			p.changed = true
			still.add(c.name(), podspec.Violations(c.node, podSC))
		case grafted[c.name()] == "":
			own.add(c.name(), podspec.Violations(c.node, podSC))
		}
	}
	if len(still) > 0 {
		p.add(framework.Warning, p.t.Field("spec", "securityContext"),
			"%s (securityProfile: restricted): grafted containers still violate Pod Security \"restricted\" because of the pod's own settings: %s",
			g.Name, still)
	}
	if len(own) > 0 {
		p.add(framework.Warning, p.t.Field("spec", "containers"),
			"%s (securityProfile: restricted): the pod's own containers would still violate Pod Security \"restricted\": %s",
			g.Name, own)
	}
	return true
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
