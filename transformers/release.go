package transformers

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

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
// workload's instance label, else its pod template's.
func (g *Graft) releaseOf(p *pod) string {
	if g.release.Name != "" || !g.release.FromLabel {
		return g.release.Name
	}
	name := node.Str(node.Lookup(node.Lookup(p.res().YNode(), "metadata"), "labels"), InstanceLabel)
	if name == "" {
		name = node.Str(node.Lookup(node.Lookup(p.t.Node.YNode(), "metadata"), "labels"), InstanceLabel)
	}
	if name == "" {
		return ""
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		p.add(framework.Warning, "metadata.labels."+InstanceLabel,
			"%s: the release %q is not a DNS label (%s), so the resources the graft generates are not named after it; two releases in this namespace share them",
			g.Name, name, errs[0])
		return ""
	}
	return name
}

// generatedName is the name the pod's volume gives the resource that
// volume generates, podgraft's own name being own: as a tool renamed it
// before (which also keeps a release's name, and a claim that the pod
// already mounts by its own name, so that no upgrade moves a workload to
// a new, empty claim), else after the release as Helm charts name their
// resources ({{ .Release.Name }}-…).
func generatedName(renamed map[string]rename, volume, own, release string) string {
	if r, ok := renamed[volume]; ok {
		return r.follow(own)
	}
	if release != "" && !strings.HasPrefix(own, release+"-") { // a graft named after the release: shop-ops in shop
		return release + "-" + own
	}
	return own
}
