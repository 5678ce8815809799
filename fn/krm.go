package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// RunResourceList is KRM function mode: it reads a ResourceList whose
// functionConfig is a PodGraft, grafts its items and writes the
// ResourceList back with results. It always writes a valid ResourceList,
// also when the input cannot be read, and returns the results so the
// caller can choose the exit code. baseDir is where fromFiles resolve (the
// working directory: kustomize runs exec functions in the kustomization
// root).
func RunResourceList(in io.Reader, out io.Writer, baseDir string, remove bool) (framework.Results, error) {
	// The input is kept as bytes so that on error the items can be written
	// back exactly as they came, without the cost of copying every node.
	input, err := io.ReadAll(newBudget(limits.resourceList).reader(in))
	if err != nil {
		return writeFailure(out, fmt.Errorf("reading the ResourceList: %w", err))
	}
	rw, items, err := readResourceList(input)
	if err != nil {
		return writeFailure(out, err)
	}
	results := checkItems(items)
	if results.ExitCode() != 0 {
		return writeAsRead(out, input, results)
	}
	results = append(results, processResourceList(&items, rw.FunctionConfig, baseDir, remove)...)
	if results.ExitCode() != 0 {
		if rw, items, err = readResourceList(input); err != nil {
			return nil, err
		}
	}
	locateItems(results, items)
	if len(results) > 0 {
		node, err := resultsNode(results)
		if err != nil {
			return nil, err
		}
		rw.Results = node
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

// processResourceList grafts the items in place, drops the generated
// resources no graft produces any more, appends the new ones, and returns
// the results.
func processResourceList(items *[]*yaml.RNode, fnConfig *yaml.RNode, baseDir string, remove bool) framework.Results {
	if fnConfig == nil || fnConfig.IsNilOrEmpty() {
		return errorResults(errors.New("functionConfig is missing: give a PodGraft (apiVersion: " + APIVersion + ", kind: " + Kind + ")"))
	}
	if k := fnConfig.YNode().Kind; k != yaml.MappingNode {
		return errorResults(fmt.Errorf("functionConfig: expected a PodGraft (a mapping), got a %s", transformers.NodeKind(fnConfig.YNode())))
	}
	if k := fnConfig.GetKind(); k != Kind {
		return errorResults(fmt.Errorf("functionConfig: kind: expected %s, got %q (apiVersion %s)", Kind, k, APIVersion))
	}
	cfg, err := DecodeNode(fnConfig, "functionConfig", baseDir)
	if err != nil {
		return errorResults(err)
	}
	p, err := NewProcessor([]*Config{cfg}, remove)
	if err != nil {
		return errorResults(err)
	}
	if err := p.Transform(*items); err != nil {
		return append(p.Results.Items, resultsError(err)...)
	}
	*items = p.finishItems(*items)
	if rs := checkEditedItems(*items, p.Touched); len(rs) > 0 {
		return append(p.Results.Items, rs...)
	}
	return p.Results.Items
}

func errorResults(err error) framework.Results {
	return framework.Results{{Severity: framework.Error, Message: err.Error()}}
}

// writeFailure writes an empty ResourceList that carries the error.
func writeFailure(out io.Writer, cause error) (framework.Results, error) {
	return writeResults(out, errorResults(cause))
}

// writeResults writes an empty ResourceList that carries the results.
func writeResults(out io.Writer, results framework.Results) (framework.Results, error) {
	node, err := resultsNode(results)
	if err != nil {
		return nil, err
	}
	rw := &kio.ByteReadWriter{Writer: out, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, Results: node}
	if err := rw.Write(nil); err != nil {
		return nil, err
	}
	return results, nil
}

func resultsNode(results framework.Results) (*yaml.RNode, error) {
	return resultsSequence(results)
}
