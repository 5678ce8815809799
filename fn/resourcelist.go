package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/transformers"
)

// legacyResourceListAPIVersion is the apiVersion of ResourceLists that
// older orchestrators write.
const legacyResourceListAPIVersion = "config.kubernetes.io/v1alpha1"

// usageKRM closes the messages about stdin that is not a ResourceList.
const usageKRM = "without -c, podgraft is a KRM function and reads one ResourceList (apiVersion: " +
	kio.ResourceListAPIVersion + ", kind: " + kio.ResourceListKind + ") on stdin; to graft a plain YAML stream, give a config with -c"

// readResourceList reads the input of KRM mode as kyaml's ByteReadWriter
// does, but checks the shape first: kyaml takes any other input for a
// plain stream (and would write a plain stream back, which no orchestrator
// can read), and takes the entries of a non-list items for items. Its
// documents are split as standalone mode splits them, so that a document
// without content, an end marker and directives mean the same in both
// modes (kyaml's reader silently drops a document after "..."). The
// returned ByteReadWriter writes the ResourceList back.
func readResourceList(input []byte) (*kio.ByteReadWriter, []*yaml.RNode, error) {
	var docs []*yaml.Node
	reader := NewDocumentReader(bytes.NewReader(input))
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var doc *yaml.Node
		if err == nil {
			doc, err = ParseDocument(raw)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading the ResourceList: %w", err)
		}
		if doc != nil {
			docs = append(docs, doc.Content[0])
		}
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("stdin is empty: " + usageKRM)
	}
	if len(docs) > 1 {
		return nil, nil, fmt.Errorf("stdin holds %d YAML documents, not one ResourceList: %s", len(docs), usageKRM)
	}
	rl := docs[0]
	if rl.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("stdin is a %s, not a ResourceList: %s", node.Kind(rl), usageKRM)
	}
	kind, apiVersion := node.Str(rl, "kind"), node.Str(rl, "apiVersion")
	switch {
	case kind == kio.ResourceListKind && apiVersion != kio.ResourceListAPIVersion && apiVersion != legacyResourceListAPIVersion:
		found := fmt.Sprintf("of apiVersion %q", apiVersion)
		if apiVersion == "" {
			found = "without apiVersion"
		}
		return nil, nil, fmt.Errorf("stdin is a ResourceList %s, but a KRM function reads apiVersion %s (or the older %s)",
			found, kio.ResourceListAPIVersion, legacyResourceListAPIVersion)
	case kind == "":
		return nil, nil, fmt.Errorf("stdin is a resource without kind, not a ResourceList: %s", usageKRM)
	case kind != kio.ResourceListKind:
		return nil, nil, fmt.Errorf("stdin is a %s (apiVersion %q), not a ResourceList: %s", kind, apiVersion, usageKRM)
	}
	rw := &kio.ByteReadWriter{KeepReaderAnnotations: true, WrappingKind: kind, WrappingAPIVersion: apiVersion}
	if fc := node.Value(rl, "functionConfig"); fc != nil {
		rw.FunctionConfig = yaml.NewRNode(fc)
	}
	if res := node.Value(rl, "results"); res != nil {
		rw.Results = yaml.NewRNode(res)
	}
	var items []*yaml.RNode
	if list := node.Value(rl, "items"); list != nil {
		if list.Kind != yaml.SequenceNode {
			return nil, nil, fmt.Errorf("ResourceList items: must be a list, not a %s", node.Kind(list))
		}
		for _, it := range list.Content {
			if node.IsNull(it) {
				continue // an item without content, as ParseDocument skips a document
			}
			items = append(items, yaml.NewRNode(it))
		}
	}
	return rw, items, nil
}

// checkItems applies the checks of standalone mode to every item of a
// ResourceList and returns one error result per bad item.
func checkItems(items []*yaml.RNode, limits guard.Limits) framework.Results {
	if len(items) == 0 {
		return framework.Results{{Severity: framework.Warning, Message: "the ResourceList has no items: nothing to graft"}}
	}
	var results framework.Results
	if w := generatorInput(items); w != nil {
		results = append(results, w)
	}
	for i, it := range items {
		if err := checkResource(it, limits); err != nil {
			results = append(results, itemResult(i, it, err))
		} else if w := misplacedConfig(it); w != nil {
			results = append(results, w)
		}
	}
	return results
}

// itemResult turns a check's error about item i into a result that names
// the resource, the field and, where the orchestrator said, the file.
func itemResult(i int, it *yaml.RNode, err error) *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: err.Error()}
	var re *transformers.Error
	if errors.As(err, &re) {
		r = re.Result()
	}
	if r.ResourceRef == nil {
		r.Message = fmt.Sprintf("items[%d]: %s", i, strings.TrimPrefix(r.Message, fmt.Sprintf("items[%d]: ", i)))
		r.Field = nil
	}
	r.File = itemFile(it)
	return r
}

// itemFile is where an item came from, as kustomize and kpt annotate it;
// nil when unknown. It reads the nodes itself, so that it works on items
// whose metadata is malformed elsewhere.
func itemFile(it *yaml.RNode) *framework.File {
	annos := node.Lookup(node.Lookup(it.YNode(), "metadata"), "annotations")
	path, index := node.Str(annos, kioutil.PathAnnotation), node.Str(annos, kioutil.IndexAnnotation)
	if path == "" {
		path, index = node.Str(annos, kioutil.LegacyPathAnnotation), node.Str(annos, kioutil.LegacyIndexAnnotation)
	}
	if path == "" {
		return nil
	}
	n, _ := strconv.Atoi(index)
	return &framework.File{Path: path, Index: n}
}

// locateItems tells results about items which file they came from; about
// the items of a List, the List's.
func locateItems(results framework.Results, items []*yaml.RNode) {
	byRef := map[yaml.ResourceIdentifier]*framework.File{}
	var note func(it *yaml.RNode, f *framework.File)
	note = func(it *yaml.RNode, f *framework.File) {
		byRef[*transformers.Ref(it)] = f
		if transformers.IsList(it) {
			for _, in := range transformers.ListItems(it) {
				note(in, f)
			}
		}
	}
	for _, it := range items {
		if f := itemFile(it); f != nil {
			note(it, f)
		}
	}
	for _, r := range results {
		if r.File == nil && r.ResourceRef != nil {
			if f, ok := byRef[*r.ResourceRef]; ok {
				r.File = f
			}
		}
	}
}

// writeAsRead writes the ResourceList back as it was read, with results,
// for when some items are not resources: kyaml's writer cannot write those
// (it panics on some), but the orchestrator still gets its items back and
// learns why the run failed.
func writeAsRead(out io.Writer, input []byte, results framework.Results) (framework.Results, error) {
	rw, items, err := readResourceList(input)
	if err != nil {
		return writeResults(out, results)
	}
	n, err := resultsSequence(results)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeResourceList(&buf, rw.WrappingAPIVersion, rw.WrappingKind, items, rw.FunctionConfig, n, false); err != nil {
		return writeResults(out, results)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("writing the ResourceList: %w", err)
	}
	return results, nil
}

// IsResourceList says a resource is a ResourceList, of any apiVersion a
// KRM orchestrator writes.
func IsResourceList(r *yaml.RNode) bool {
	if r.YNode().Kind != yaml.MappingNode {
		return false // kyaml's getters index a sequence as if it were a mapping
	}
	return r.GetKind() == kio.ResourceListKind && strings.HasPrefix(r.GetApiVersion(), "config.kubernetes.io/")
}

// resourceListPeek is how much of stdin StartsWithResourceList reads ahead:
// kustomize and kpt write apiVersion and kind first.
const resourceListPeek = 64 << 10

// StartsWithResourceList reads ahead in r, without consuming it, and says
// whether its first document is a ResourceList: a top-level kind:
// ResourceList line before the first document ends (or, in JSON, a "kind":
// "ResourceList" in the first object). It decides KRM mode when only the
// environment named a config.
func StartsWithResourceList(r *bufio.Reader) bool {
	head, _ := r.Peek(resourceListPeek) // what there is, up to the peek size
	started := false
	for line := range bytes.Lines(head) {
		line = bytes.TrimRight(line, "\r\n")
		trimmed := bytes.TrimSpace(line)
		switch {
		case len(trimmed) == 0 || trimmed[0] == '#' || (!started && trimmed[0] == '%'):
			continue
		case bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("...")):
			if started {
				return false // the first document ended
			}
			continue
		case !started && trimmed[0] == '{':
			return jsonResourceList.Match(head)
		}
		started = true
		if topLevelResourceListKind.Match(line) {
			return true
		}
	}
	return false
}

var (
	topLevelResourceListKind = regexp.MustCompile(`^kind:\s*["']?ResourceList["']?\s*(#.*)?$`)
	jsonResourceList         = regexp.MustCompile(`"kind"\s*:\s*"ResourceList"`)
)
