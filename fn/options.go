package fn

import (
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/transformers"
)

// Mode is what a run does: apply, remove, or report drift.
type Mode = transformers.Mode

// Modes.
const (
	Apply       = transformers.Apply
	Remove      = transformers.Remove
	Check       = transformers.Check
	CheckRemove = transformers.CheckRemove
)

// Options configure a run, the same for both entry points (RunStream and
// RunResourceList).
type Options struct {
	Mode Mode
	// Limits bound what the run reads; zero fields take the defaults.
	Limits guard.Limits
	// Namespace is the namespace of resources that have none: where Helm
	// installs them (helm install -n). It counts for selection, generated
	// resources and fronting, and is never written into a resource. ""
	// means "default", where the API server would put them.
	Namespace string
	// BaseDir is where a KRM functionConfig's fromFiles resolve (the
	// working directory: kustomize runs exec functions in the
	// kustomization root). Standalone configs resolve against their own
	// folder.
	BaseDir string
	// Release names what the grafts generate after a release: two
	// releases of one chart in one namespace get their own. The zero
	// value names nothing after one (the webhook, whose Pods mount what
	// podgraft generate made).
	Release transformers.Release
	// Warnings are what the caller found before the run (PODGRAFT_CONFIG
	// ignored), reported first among its results; Errors too (an invalid
	// PODGRAFT_RELEASE), which fail the run before anything is grafted.
	Warnings, Errors []string
}

// callerResults are the caller's warnings and errors as results.
func (o Options) callerResults() framework.Results {
	var out framework.Results
	for _, w := range o.Warnings {
		out = append(out, &framework.Result{Severity: framework.Warning, Message: w})
	}
	for _, e := range o.Errors {
		out = append(out, &framework.Result{Severity: framework.Error, Message: e})
	}
	return out
}
