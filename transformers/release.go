package transformers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/podgraft/podgraft/internal/node"
)

// InstanceLabel is the label most charts give every workload the value of
// {{ .Release.Name }} (the Kubernetes recommended labels).
const InstanceLabel = "app.kubernetes.io/instance"

// Release says whose generated resources a workload mounts. Two releases
// of one chart in one namespace would otherwise generate the same
// ConfigMaps and claims, and Helm refuses to install the second ("exists
// and cannot be imported into the current release").
type Release struct {
	// Name is the release of every workload (podgraft --release); with
	// none, FromLabel reads each workload's app.kubernetes.io/instance.
	Name      string
	FromLabel bool
}

// releaseOf is the release p's workload belongs to, "" for none: the
// workload's instance label, else its pod template's. problem says why a
// label was not used.
func (g *Graft) releaseOf(p *pod) (name, problem string) {
	if g.release.Name != "" || !g.release.FromLabel {
		return g.release.Name, ""
	}
	name = node.Str(node.Lookup(node.Lookup(p.res().YNode(), "metadata"), "labels"), InstanceLabel)
	if name == "" {
		name = node.Str(node.Lookup(node.Lookup(p.t.Node.YNode(), "metadata"), "labels"), InstanceLabel)
	}
	if name == "" {
		return "", ""
	}
	if errs := ReleaseProblems(name); len(errs) > 0 {
		return "", fmt.Sprintf("%s: the release %q is not a Helm release name (%s), so the ConfigMaps and Secrets the graft generates are not named after it; two releases in this namespace share them",
			g.Name, name, errs[0])
	}
	return name, ""
}

// maxReleaseName is the longest release name Helm takes.
const maxReleaseName = 53

// ReleaseProblems says why name is not a release name as Helm takes them
// (chartutil.ValidateReleaseName): a DNS subdomain ("shop", "shop.eu") of
// at most 53 characters. <release>-<name> is then a valid resource name.
func ReleaseProblems(name string) []string {
	errs := validation.IsDNS1123Subdomain(name)
	if len(name) > maxReleaseName {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters, as Helm requires", maxReleaseName))
	}
	return errs
}

// released is the name a files volume's ConfigMap or Secret gets in
// release: <release>-<podgraft's own name>, as charts name their resources
// ({{ .Release.Name }}-…). Claims keep the claimName the config gives:
// renaming one would move a workload to a new, empty claim on the first
// upgrade, and split a claim meant to be shared.
func released(release, own string) string {
	if release == "" || own == "" {
		return own
	}
	return release + "-" + own
}

// generatedName is the name the pod's volume gives the resource that
// volume generates, name being podgraft's own (after the release): as a
// tool renamed it before (kustomize's namePrefix), else name.
func generatedName(renamed map[string]rename, volume, name string) string {
	if r, ok := renamed[volume]; ok {
		return r.follow(name)
	}
	return name
}
