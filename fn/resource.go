package fn

import (
	"errors"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Grafted is what GraftResource did to one resource.
type Grafted struct {
	// Changed says the resource was edited in place.
	Changed bool
	// Generated are the resources a stream of this one document would
	// have appended after it (ConfigMaps, Secrets, claims), unencoded.
	Generated []*yaml.RNode
	Results   framework.Results
}

// GraftResource grafts one resource that the caller has already parsed
// (the admission webhook builds it from the request's JSON), in place, the
// way RunStream grafts a stream of that one document: the same checks
// before and after, the same results, the same generated resources. It
// skips what only a stream needs: reading, splicing and encoding. As with
// RunStream, a run whose results hold an error is a failure whose edits
// are to be discarded; an error return is a resource that cannot be
// grafted at all.
func GraftResource(opts Options, e *transformers.Engine, r *yaml.RNode) (Grafted, error) {
	var out Grafted
	if IsResourceList(r) {
		return out, errResourceListInStream
	}
	if err := checkResource(r, opts.Limits.WithDefaults()); err != nil {
		return out, err
	}
	res := e.Document(r)
	out.Results = res.Results
	if w := misplacedConfig(r); w != nil {
		out.Results = append(out.Results, w)
	}
	if res.Failed || (transformers.HasErrors(out.Results) && !opts.Mode.Checks()) {
		return out, nil
	}
	var held []*yaml.RNode
	if e.Holds(r) {
		held = append(held, r)
	}
	fin := e.Finish(held)
	out.Results = append(out.Results, fin.Results...)
	if fin.Drop[r] {
		// Only a generated resource is dropped; a review's Pod never is.
		return out, errDropped
	}
	out.Changed = res.Changed || fin.Changed[r]
	if out.Changed {
		if err := checkEdited(r); err != nil {
			return out, err
		}
	}
	out.Generated = fin.Added
	if len(out.Generated) > 1 {
		ordered := make([]*yaml.RNode, len(out.Generated))
		for i, j := range e.GeneratedOrder(out.Generated) {
			ordered[i] = out.Generated[j]
		}
		out.Generated = ordered
	}
	return out, nil
}

// errDropped: the engine dropped the resource, which only happens to one
// it generated itself and no longer produces.
var errDropped = errors.New("podgraft generated this resource and no longer produces it: there is nothing to graft")
