package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/transformers"
)

// RunResourceList is KRM function mode: it reads a ResourceList whose
// functionConfig is a PodGraft, grafts its items and writes the
// ResourceList back with results. It always writes a valid ResourceList,
// also when the input cannot be read, and returns the results so the
// caller can choose the exit code; the error is for a failed write.
func RunResourceList(opts Options, in io.Reader, out io.Writer) (framework.Results, error) {
	limits := opts.Limits.WithDefaults()
	// The input is kept as bytes so that on error the items can be written
	// back exactly as they came, without the cost of copying every node.
	input, err := io.ReadAll(guard.NewBudget(limits.ResourceList).Reader(in))
	if err != nil {
		return writeFailure(out, fmt.Errorf("reading the ResourceList: %w", err))
	}
	rw, items, err := readResourceList(input)
	if err != nil {
		return writeFailure(out, err)
	}
	results := append(opts.callerResults(), checkItems(items, limits)...)
	if results.ExitCode() != 0 {
		return writeAsRead(out, input, results)
	}
	rs, items := processItems(opts, items, rw.FunctionConfig)
	results = append(results, rs...)
	if results.ExitCode() != 0 {
		if rw, items, err = readResourceList(input); err != nil {
			return nil, err
		}
	}
	locateItems(results, items)
	if len(results) > 0 {
		n, err := resultsSequence(results)
		if err != nil {
			return nil, err
		}
		rw.Results = n
	}
	// The ResourceList is written whole or not at all: items that are not
	// resources cannot be written back, and then only the results are.
	var buf bytes.Buffer
	if err := writeResourceList(&buf, rw.WrappingAPIVersion, rw.WrappingKind, items, rw.FunctionConfig, rw.Results, true); err != nil {
		return writeResults(out, append(results, errorResults(fmt.Errorf("writing the items back: %w", err))...))
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("writing the ResourceList: %w", err)
	}
	return results, nil
}

// processItems grafts the items in place, drops the generated resources no
// graft produces any more, appends the new ones, and returns the results
// with the items.
func processItems(opts Options, items []*yaml.RNode, fnConfig *yaml.RNode) (framework.Results, []*yaml.RNode) {
	if fnConfig == nil || fnConfig.IsNilOrEmpty() {
		return errorResults(errors.New("functionConfig is missing: give a PodGraft (apiVersion: " + v1alpha1.APIVersion + ", kind: " + v1alpha1.Kind + ")")), items
	}
	if k := fnConfig.YNode().Kind; k != yaml.MappingNode {
		return errorResults(fmt.Errorf("functionConfig: expected a PodGraft (a mapping), got a %s", node.Kind(fnConfig.YNode()))), items
	}
	if k := fnConfig.GetKind(); k != v1alpha1.Kind {
		return errorResults(fmt.Errorf("functionConfig: kind: expected %s, got %q (apiVersion %s)", v1alpha1.Kind, k, v1alpha1.APIVersion)), items
	}
	cfg, err := DecodeConfig(fnConfig.YNode(), "functionConfig", configDir(fnConfig, opts.BaseDir))
	if err != nil {
		return errorResults(err), items
	}
	// kustomize and kpt set namespaces themselves: a resource without one
	// lands in "default".
	e, err := NewEngine([]*Config{cfg}, Options{Mode: opts.Mode, Release: opts.Release})
	if err != nil {
		return errorResults(err), items
	}
	var results framework.Results
	changed := map[*yaml.RNode]bool{}
	for _, it := range items {
		res := e.Document(it)
		results = append(results, res.Results...)
		if res.Changed {
			changed[it] = true
		}
	}
	if transformers.HasErrors(results) {
		return results, items
	}
	items, rs := finishItems(e, items, changed)
	results = append(results, rs...)
	for i, it := range items {
		if changed[it] {
			if err := checkEdited(it); err != nil {
				results = append(results, itemResult(i, it, err))
			}
		}
	}
	return results, items
}

// finishItems runs the engine's Finish over every item that it holds: it
// returns the items without the dropped ones, with the generated ones
// appended, and marks the items it changed.
func finishItems(e *transformers.Engine, items []*yaml.RNode, changed map[*yaml.RNode]bool) ([]*yaml.RNode, framework.Results) {
	var held []*yaml.RNode
	for _, it := range items {
		if e.Holds(it) {
			held = append(held, it)
		}
	}
	out := e.Finish(held)
	for r := range out.Changed {
		changed[r] = true
	}
	if len(out.Drop) == 0 && len(out.Added) == 0 {
		return items, out.Results
	}
	kept := make([]*yaml.RNode, 0, len(items)+len(out.Added))
	for _, it := range items {
		if !out.Drop[it] {
			kept = append(kept, it)
		}
	}
	kept = append(kept, out.Added...)
	tail := len(kept)
	for tail > 0 && transformers.IsGenerated(kept[tail-1]) {
		tail--
	}
	block := append([]*yaml.RNode{}, kept[tail:]...)
	for i, j := range e.GeneratedOrder(block) {
		kept[tail+i] = block[j]
	}
	return kept, out.Results
}

// errorResults turns an error into error results: one per error of a
// config, about the PodGraft and its field, or the error whole.
func errorResults(err error) framework.Results {
	var config v1alpha1.ConfigErrors
	if !errors.As(err, &config) {
		return framework.Results{{Severity: framework.Error, Message: err.Error()}}
	}
	results := make(framework.Results, len(config))
	for i, fe := range config {
		r := &framework.Result{Severity: framework.Error, Message: fe.Detail, ResourceRef: &yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind},
			NameMeta: yaml.NameMeta{Name: fe.Name},
		}}
		if fe.Field != "" {
			r.Message = fe.Field + ": " + fe.Detail
			r.Field = &framework.Field{Path: fe.Field}
		}
		results[i] = r
	}
	return results
}

// writeFailure writes an empty ResourceList that carries the error.
func writeFailure(out io.Writer, cause error) (framework.Results, error) {
	return writeResults(out, errorResults(cause))
}

// writeResults writes an empty ResourceList that carries the results.
func writeResults(out io.Writer, results framework.Results) (framework.Results, error) {
	n, err := resultsSequence(results)
	if err != nil {
		return nil, err
	}
	rw := &kio.ByteReadWriter{Writer: out, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, Results: n}
	if err := rw.Write(nil); err != nil {
		return nil, err
	}
	return results, nil
}

// kptPackagePath is the annotation kpt fn render sets on every resource,
// the functionConfig included: the folder of the package that holds it.
const kptPackagePath = "internal.config.kubernetes.io/package-path"

// configDir is where a functionConfig's fromFiles resolve: the folder of
// its kpt package, since kpt runs every exec function in the folder kpt
// was started in, which is the root package's or any other; else baseDir
// (kustomize runs exec functions in the kustomization root, and kpt fn
// eval --fn-config names no package).
func configDir(fnConfig *yaml.RNode, baseDir string) string {
	// node.Lookup, not kyaml's getters: DecodeConfig has not yet refused
	// a metadata that is not a mapping.
	dir := node.Str(node.Lookup(node.Lookup(fnConfig.YNode(), "metadata"), "annotations"), kptPackagePath)
	switch {
	case dir == "":
		return baseDir
	case filepath.IsAbs(dir):
		return dir
	}
	return filepath.Join(baseDir, dir)
}
