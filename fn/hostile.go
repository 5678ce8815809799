package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Limits on hostile input. podgraft runs as a Helm post-renderer and a KRM
// function on whatever a chart or a pipeline produced, so every input must
// end in output or a clear error, in bounded time and memory.
const (
	// MaxInputBytes bounds the input podgraft reads: the standalone stream
	// (all files together) and the KRM ResourceList. Rendered releases are
	// a few megabytes; a larger input is refused with a clear error rather
	// than risking the out-of-memory killer, since parsed YAML takes about
	// ten times its text in memory.
	MaxInputBytes = 256 << 20

	// MaxResourceListBytes bounds the ResourceList of KRM mode, which is
	// one YAML document and is parsed whole: it takes about fifty times its
	// size in memory (kyaml's own reader and writer, which kustomize runs
	// before podgraft is called, take more), so 64 MiB is about 3 GiB.
	MaxResourceListBytes = 64 << 20

	// MaxConfigBytes bounds one config file: configs are small, and one
	// named by mistake (a chart archive, a binary) is refused at once.
	MaxConfigBytes = 16 << 20

	// MaxDocumentBytes bounds one document of a stream, before it is
	// parsed. The API server accepts no request over 3 MiB.
	MaxDocumentBytes = 32 << 20

	// MaxResourceNodes bounds the YAML nodes (keys, values, list items) of
	// one resource. The API server accepts no request over 3 MiB, far below
	// a million nodes, while encoding a changed resource takes about 600
	// bytes of memory per node.
	MaxResourceNodes = 1_000_000

	// MaxAliasNodes bounds how many nodes YAML aliases may add to one
	// resource when expanded. podgraft itself never expands aliases in
	// resources, but whatever reads its output (kubectl, Helm, the API
	// server) does: a "billion laughs" document is refused here, in time
	// linear in its text, instead of being passed on.
	MaxAliasNodes = 1_000_000

	// MaxConfigAliasNodes is the same bound for a PodGraft config, whose
	// containers are copied, aliases expanded, into every workload.
	MaxConfigAliasNodes = 10_000

	// MaxDepth bounds the nesting of a document with its aliases expanded,
	// the same limit the YAML parser applies to the text, so that no
	// recursive walk can exhaust the stack.
	MaxDepth = 10_000
)

// limits are the bounds in force; tests lower them.
var limits = struct{ input, resourceList, config, document, nodes int64 }{
	MaxInputBytes, MaxResourceListBytes, MaxConfigBytes, MaxDocumentBytes, MaxResourceNodes,
}

// InputTooLargeError is returned when the input exceeds its limit.
type InputTooLargeError struct {
	Limit int64
	What  string // "the input", "one document"
}

func (e *InputTooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "the input"
	}
	return fmt.Sprintf("%s is larger than %s, the limit podgraft sets to stay within memory; split it and run podgraft on each part", what, size(e.Limit))
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// inputBudget is what is left to read of a run's input: one budget is
// shared by every input of a run. With document set, each document of a
// stream (the text between "---" lines) is bounded too, while it is read:
// the document splitter would otherwise hold a whole oversized document
// before anything could look at its size.
type inputBudget struct{ left, limit, document int64 }

func newBudget(limit int64) *inputBudget { return &inputBudget{left: limit, limit: limit} }

// reader wraps r so that it fails with an InputTooLargeError once the
// budget is spent, and with a clear error when r starts with a UTF-16 or
// UTF-32 byte order mark: yaml.v3 would decode a single UTF-16 document,
// but the document splitter works on UTF-8 lines, so what came out
// depended on the input.
func (b *inputBudget) reader(r io.Reader) io.Reader { return &limitReader{r: r, budget: b} }

type limitReader struct {
	r       io.Reader
	budget  *inputBudget
	started bool
	// err is returned by every Read once set: bufio.Reader.ReadLine drops
	// an error that comes with data, so it must come again, alone.
	err error
	// docBytes counts the bytes since the last "---" line; dashes is how
	// much of "\n---" the last bytes matched.
	docBytes int64
	dashes   int
}

// countDocument follows the document boundaries in p and fails when one
// document grows past the budget's document limit. The API server takes
// no object over 3 MiB.
func (l *limitReader) countDocument(p []byte) error {
	for _, c := range p {
		switch {
		case c == '\n':
			l.dashes = 1
		case c == '-' && l.dashes >= 1 && l.dashes < 4:
			if l.dashes++; l.dashes == 4 {
				l.docBytes, l.dashes = 0, 0
			}
		default:
			l.dashes = 0
		}
		l.docBytes++
	}
	if l.docBytes > l.budget.document {
		return &InputTooLargeError{Limit: l.budget.document, What: "this document"}
	}
	return nil
}

// byteOrderMarks that podgraft refuses; a UTF-8 one is fine.
var byteOrderMarks = []struct {
	bom  []byte
	name string
}{
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "UTF-32"}, {[]byte{0xFF, 0xFE, 0x00, 0x00}, "UTF-32"},
	{[]byte{0xFE, 0xFF}, "UTF-16"}, {[]byte{0xFF, 0xFE}, "UTF-16"},
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		l.err = err
	}
	return n, err
}

func (l *limitReader) read(p []byte) (int, error) {
	if !l.started {
		l.started = true
		br := bufio.NewReader(l.r)
		head, _ := br.Peek(4)
		for _, b := range byteOrderMarks {
			if bytes.HasPrefix(head, b.bom) {
				return 0, fmt.Errorf("the input is %s (it starts with a %s byte order mark): podgraft reads UTF-8 YAML; convert it first, e.g. iconv -f %s -t UTF-8", b.name, b.name, b.name)
			}
		}
		l.r = br
		l.dashes = 1 // the input starts at the start of a line
	}
	b := l.budget
	if b.left < 0 {
		return 0, &InputTooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := l.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, &InputTooLargeError{Limit: b.limit}
	}
	if b.document > 0 {
		if derr := l.countDocument(p[:n]); derr != nil {
			return n, derr
		}
	}
	return n, err
}

// AliasError reports a document whose aliases expand too far, or into
// themselves.
type AliasError struct {
	Anchor string
	Line   int
	Msg    string
}

func (e *AliasError) Error() string {
	return fmt.Sprintf("YAML alias *%s (line %d): %s", e.Anchor, e.Line, e.Msg)
}

// checkAliases walks n once, in document order, and computes what its
// aliases expand to without expanding them. It fails when an alias refers
// to a node that contains it (a cycle, which yaml.v3 accepts in nodes but
// no consumer can expand), when the aliases add more than maxAdded nodes,
// or when the expanded document nests deeper than MaxDepth.
func checkAliases(n *yaml.Node, maxAdded int64) error {
	if n == nil {
		return nil
	}
	c := aliasCheck{memo: map[*yaml.Node]*expansion{}}
	size, depth, err := c.walk(n)
	if err != nil {
		return err
	}
	if c.literal > limits.nodes {
		return fmt.Errorf("more than %d YAML nodes (keys, values and list items): the Kubernetes API server accepts nothing that large, and podgraft refuses it rather than use gigabytes of memory", limits.nodes)
	}
	if added := size - c.literal; added > maxAdded {
		if size >= saturate {
			added = saturate
		}
		return &AliasError{Anchor: c.biggest.Value, Line: c.biggest.Line,
			Msg: fmt.Sprintf("aliases would expand this document by %s nodes, more than the limit of %d (a YAML alias bomb?); alias *%s alone is %s nodes",
				count(added), maxAdded, c.biggest.Value, count(c.biggestSize))}
	}
	if depth > MaxDepth {
		return &AliasError{Anchor: c.deepest.Value, Line: c.deepest.Line,
			Msg: fmt.Sprintf("aliases would nest this document %d levels deep, more than the limit of %d", depth, MaxDepth)}
	}
	return nil
}

// saturate caps sizes so that nested aliases cannot overflow.
const saturate = int64(1) << 60

func count(n int64) string {
	if n >= saturate {
		return "more than 10^18"
	}
	return strconv.FormatInt(n, 10)
}

type expansion struct {
	size, depth int64
	done        bool
}

type aliasCheck struct {
	memo         map[*yaml.Node]*expansion
	literal      int64 // nodes in the text
	biggest      *yaml.Node
	biggestSize  int64
	deepest      *yaml.Node
	deepestDepth int64
}

func (c *aliasCheck) walk(n *yaml.Node) (size, depth int64, err error) {
	if n.Kind == yaml.AliasNode {
		c.literal++
		target := n.Alias
		if target == nil {
			return 1, 1, nil
		}
		e := c.memo[target]
		if e == nil {
			// Anchors come before their aliases, so the target has been
			// walked already; a target outside the walked tree is walked
			// on its own.
			if _, _, err := c.walk(target); err != nil {
				return 0, 0, err
			}
			e = c.memo[target]
		}
		if !e.done {
			return 0, 0, &AliasError{Anchor: n.Value, Line: n.Line, Msg: "refers to a node that contains the alias itself, so it never ends when expanded"}
		}
		if c.biggest == nil || e.size > c.biggestSize {
			c.biggest, c.biggestSize = n, e.size
		}
		if c.deepest == nil || e.depth > c.deepestDepth {
			c.deepest, c.deepestDepth = n, e.depth
		}
		return e.size, e.depth, nil
	}
	var e *expansion
	if n.Anchor != "" {
		e = &expansion{}
		c.memo[n] = e
	}
	c.literal++
	size = 1
	for _, ch := range n.Content {
		if ch == nil {
			continue
		}
		s, d, err := c.walk(ch)
		if err != nil {
			return 0, 0, err
		}
		if size += s; size > saturate {
			size = saturate
		}
		depth = max(depth, d)
	}
	depth++
	if e != nil {
		e.size, e.depth, e.done = size, depth, true
	}
	return size, depth, nil
}

// DuplicateKeyError reports a key that appears twice in one mapping of a
// resource. yaml.v3 nodes keep both; podgraft would edit the first while
// kubectl and Helm keep the last, so a graft could silently vanish.
type DuplicateKeyError struct {
	Field      string // path of the mapping, "spec.template.spec.containers[0]"
	Key        string
	Line, Prev int
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("key %q appears twice (lines %d and %d): Kubernetes tools keep only the last one, so podgraft will not edit this resource", e.Key, e.Prev, e.Line)
}

// findDuplicateKey returns the first duplicate mapping key in n, with the
// field path of its mapping. Aliases are not followed: their targets are
// checked where they are defined.
func findDuplicateKey(n *yaml.Node, path string) *DuplicateKeyError {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, ch := range n.Content {
			if d := findDuplicateKey(ch, path); d != nil {
				return d
			}
		}
	case yaml.SequenceNode:
		for i, ch := range n.Content {
			if d := findDuplicateKey(ch, path+"["+strconv.Itoa(i)+"]"); d != nil {
				return d
			}
		}
	case yaml.MappingNode:
		var seen map[string]int
		if len(n.Content) > 2 {
			seen = make(map[string]int, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && seen != nil && k.Tag != "!!merge" {
				if prev, dup := seen[k.Value]; dup {
					return &DuplicateKeyError{Field: fieldOrRoot(path), Key: k.Value, Line: k.Line, Prev: prev}
				}
				seen[k.Value] = k.Line
			}
			child := k.Value
			if path != "" {
				child = path + "." + k.Value
			}
			if d := findDuplicateKey(n.Content[i+1], child); d != nil {
				return d
			}
		}
	}
	return nil
}

func fieldOrRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// checkResource is what every resource of the input must pass before
// podgraft looks at it: the shape of its metadata (kyaml's getters panic on
// some malformed metadata) and bounded aliases. The error is a
// *StreamError naming the resource and the field; the stream runner adds
// the file and document index.
func checkResource(r *yaml.RNode) error {
	var se *transformers.ShapeError
	if err := transformers.CheckResource(r.YNode()); errors.As(err, &se) {
		return &StreamError{Ref: transformers.Ref(r), Field: se.Field, Err: errors.New(se.Msg)}
	} else if err != nil {
		return &StreamError{Ref: transformers.Ref(r), Err: err}
	}
	if err := checkAliases(r.YNode(), MaxAliasNodes); err != nil {
		return &StreamError{Ref: transformers.Ref(r), Err: err}
	}
	return nil
}

// checkEdited is what a resource podgraft changed must also pass: no
// duplicate keys, which Kubernetes tools resolve differently from podgraft.
func checkEdited(r *yaml.RNode) error {
	if d := findDuplicateKey(r.YNode(), ""); d != nil {
		return &StreamError{Ref: transformers.Ref(r), Field: d.Field, Err: d}
	}
	return nil
}

// usageKRM closes the messages about stdin that is not a ResourceList.
const usageKRM = "without -c, podgraft is a KRM function and reads one ResourceList (apiVersion: " +
	kio.ResourceListAPIVersion + ", kind: " + kio.ResourceListKind + ") on stdin; to graft a plain YAML stream, give a config with -c"

// readResourceList reads the input of KRM mode the way kyaml's
// ByteReadWriter does, but checks the shape first: kyaml takes any other
// input for a plain stream (and would write a plain stream back, which no
// orchestrator can read), and takes the entries of a non-list items for
// items. The returned ByteReadWriter writes the ResourceList back.
func readResourceList(input []byte) (*kio.ByteReadWriter, []*yaml.RNode, error) {
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(input), OmitReaderAnnotations: true, DisableUnwrapping: true}).Read()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the ResourceList: %w", err)
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("stdin is empty: " + usageKRM)
	}
	if len(docs) > 1 {
		return nil, nil, fmt.Errorf("stdin holds %d YAML documents, not one ResourceList: %s", len(docs), usageKRM)
	}
	rl := docs[0].YNode()
	if rl.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("stdin is a %s, not a ResourceList: %s", transformers.NodeKind(rl), usageKRM)
	}
	kind, apiVersion := scalarOf(rl, "kind"), scalarOf(rl, "apiVersion")
	if kind != kio.ResourceListKind || (apiVersion != kio.ResourceListAPIVersion && apiVersion != "config.kubernetes.io/v1alpha1") {
		what := "a resource without kind"
		if kind != "" {
			what = fmt.Sprintf("a %s (apiVersion %q)", kind, apiVersion)
		}
		return nil, nil, fmt.Errorf("stdin is %s, not a ResourceList: %s", what, usageKRM)
	}
	rw := &kio.ByteReadWriter{KeepReaderAnnotations: true, WrappingKind: kind, WrappingAPIVersion: apiVersion}
	if fc := mapValue(rl, "functionConfig"); fc != nil {
		rw.FunctionConfig = yaml.NewRNode(fc)
	}
	if res := mapValue(rl, "results"); res != nil {
		rw.Results = yaml.NewRNode(res)
	}
	var items []*yaml.RNode
	if list := mapValue(rl, "items"); list != nil {
		if list.Kind != yaml.SequenceNode {
			return nil, nil, fmt.Errorf("ResourceList items: must be a list, not a %s", transformers.NodeKind(list))
		}
		for _, it := range list.Content {
			items = append(items, yaml.NewRNode(it))
		}
	}
	return rw, items, nil
}

// mapValue returns the non-null value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v := m.Content[i+1]; v.Kind != yaml.ScalarNode || v.Tag != "!!null" {
				return v
			}
			return nil
		}
	}
	return nil
}

func scalarOf(m *yaml.Node, key string) string {
	if v := mappingValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// checkItems applies the checks of standalone mode to every item of a
// ResourceList and returns one error result per bad item.
func checkItems(items []*yaml.RNode) framework.Results {
	if len(items) == 0 {
		return framework.Results{{Severity: framework.Warning, Message: "the ResourceList has no items: nothing to graft"}}
	}
	var results framework.Results
	for i, it := range items {
		var err error
		if it.YNode().Kind != yaml.MappingNode {
			err = &StreamError{Field: fmt.Sprintf("items[%d]", i), Err: fmt.Errorf("expected a Kubernetes resource (a mapping), got a %s", transformers.NodeKind(it.YNode()))}
		} else if err = checkResource(it); err == nil && (it.GetKind() == "" || it.GetApiVersion() == "") {
			missing := "kind"
			if it.GetApiVersion() == "" {
				missing = "apiVersion"
			}
			err = &StreamError{Ref: transformers.Ref(it), Field: missing, Err: errors.New("required field is missing")}
		}
		if err != nil {
			results = append(results, itemResult(i, it, err))
		}
	}
	return results
}

// checkEditedItems applies checkEdited to every item podgraft changed.
func checkEditedItems(items []*yaml.RNode, touched *transformers.Touched) framework.Results {
	var results framework.Results
	for i, it := range items {
		if touched.Has(it) {
			if err := checkEdited(it); err != nil {
				results = append(results, itemResult(i, it, err))
			}
		}
	}
	return results
}

// itemResult turns a check's StreamError about item i into a result that
// names the resource, the field and, where the orchestrator said, the file.
func itemResult(i int, it *yaml.RNode, err error) *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: err.Error()}
	var se *StreamError
	if errors.As(err, &se) {
		r.Message = se.Err.Error()
		r.ResourceRef = se.Ref
		if se.Field != "" {
			r.Field = &framework.Field{Path: se.Field}
		}
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
	annos := mappingValue(mappingValue(it.YNode(), "metadata"), "annotations")
	path, index := scalarOf(annos, kioutil.PathAnnotation), scalarOf(annos, kioutil.IndexAnnotation)
	if path == "" {
		path, index = scalarOf(annos, kioutil.LegacyPathAnnotation), scalarOf(annos, kioutil.LegacyIndexAnnotation)
	}
	if path == "" {
		return nil
	}
	n, _ := strconv.Atoi(index)
	return &framework.File{Path: path, Index: n}
}

// mappingValue is mapValue that also accepts nil and non-mappings.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	return mapValue(m, key)
}

// locateItems tells results about items which file they came from.
func locateItems(results framework.Results, items []*yaml.RNode) {
	byRef := map[yaml.ResourceIdentifier]*framework.File{}
	for _, it := range items {
		if f := itemFile(it); f != nil {
			byRef[*transformers.Ref(it)] = f
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

// checkConfig is what a PodGraft document must pass before it is decoded:
// readable metadata, and aliases that stay small, since the config's
// containers are copied, aliases expanded, into every workload.
func checkConfig(node *yaml.RNode, source string) error {
	if err := transformers.CheckResource(node.YNode()); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if err := checkAliases(node.YNode(), MaxConfigAliasNodes); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	return nil
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
	node, err := resultsNode(results)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeResourceList(&buf, rw.WrappingAPIVersion, rw.WrappingKind, items, rw.FunctionConfig, node, false); err != nil {
		return writeResults(out, results)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("writing the ResourceList: %w", err)
	}
	return results, nil
}

// warnIfEmpty warns when the input held no resource at all: an empty
// stream, or one of comments only. That is not an error: Helm runs its
// post-renderer on charts that render nothing (every template disabled by
// values), and failing there would fail the install for no reason; so the
// output is empty, the exit code 0, and the warning tells a CLI user who
// passed the wrong file.
func warnIfEmpty(p *Processor, inputs []Input, resources int) {
	if resources > 0 {
		return
	}
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in.Name
	}
	p.Results.Add(framework.Warning, nil, "", "no Kubernetes resources in %s: nothing to graft, the output is empty", strings.Join(names, ", "))
}
