package splice

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The property test: on every document of the golden inputs and outputs
// and of the bench generator's output, random edits of every kind
// podgraft's steps make are spliced; then
//   (a) the output parses to the edited tree;
//   (b) every input line that no edit touched is in the output, in order;
//   (c) undoing the edits on the parsed output and splicing again gives
//       the input back, byte for byte.

// corpus returns the documents of the golden files and of three seeds of
// the bench generator, keyed by where they come from.
func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	files, err := filepath.Glob("../../testdata/*/*/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, d := range splitDocs(b) {
			docs[fmt.Sprintf("%s#%d", strings.TrimPrefix(f, "../../"), i+1)] = d
		}
	}
	for seed, b := range generated(t) {
		for i, d := range splitDocs(b) {
			docs[fmt.Sprintf("bench/gen -seed %d #%d", seed, i+1)] = d
		}
	}
	return docs
}

// generated runs the bench generator with a few seeds.
func generated(t *testing.T) map[int][]byte {
	t.Helper()
	if testing.Short() {
		return nil
	}
	bin := filepath.Join(t.TempDir(), "gen")
	out, err := exec.Command("go", "build", "-o", bin, "../../bench/gen").CombinedOutput()
	require.NoError(t, err, "%s", out)
	streams := map[int][]byte{}
	for _, seed := range []int{1, 2, 3} {
		b, err := exec.Command(bin, "-n", "25", "-seed", fmt.Sprint(seed)).Output()
		require.NoError(t, err)
		streams[seed] = b
	}
	return streams
}

// splitDocs splits a stream at "---" lines, as fn's DocumentReader does:
// each document keeps its bytes, and the first a leading "---".
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		if rest, ok := bytes.CutPrefix(line, []byte("---")); ok && len(bytes.TrimSpace(rest)) == 0 && len(cur) > 0 {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	if len(cur) > 0 {
		docs = append(docs, cur)
	}
	return docs
}

// parsed returns the document as parsed, or nil when it is not one a
// splice applies to.
func parsed(src []byte) *yaml.Node {
	doc, err := tryParse(src)
	if err != nil || doc == nil || len(doc.Content) != 1 {
		return nil
	}
	return doc
}

// undo is what takes one random edit back, on the parsed output: a unit
// inserted into the collection at path, or a node changed in place.
type undo struct {
	path  []string   // from the root to the collection, or to the node changed in place
	unit  int        // the inserted unit's index in the edited collection; -1 for a change in place
	was   *yaml.Node // the node as it was, for a change in place
	lines [2]int     // the input lines the edit may change (1-based, inclusive); 0 for none
}

// editor makes random edits of original nodes.
type editor struct {
	t     *testing.T
	rng   *rand.Rand
	o     *Original
	s     *splicer
	undos []undo
	// touched holds the original nodes already edited: one edit each.
	touched map[*yaml.Node]bool
}

// target is an original node with its path and snap.
type target struct {
	path []string
	snap int
	flow bool
	// value: a mapping value or a sequence item (not a key)
	value bool
	key   int // a mapping value's key snap, or -1
}

func (e *editor) targets() []target {
	var out []target
	var walk func(i int, path []string, flow, value bool, key int)
	walk = func(i int, path []string, flow, value bool, key int) {
		sn := &e.o.snaps[i]
		out = append(out, target{path: path, snap: i, flow: flow, value: value, key: key})
		flow = flow || isFlow(sn)
		kids := e.o.children(i)
		switch sn.kind() {
		case yaml.MappingNode:
			for k := 0; k+1 < len(kids); k += 2 {
				key := e.o.snaps[kids[k]].node
				if key.Kind != yaml.ScalarNode {
					return
				}
				walk(kids[k+1], append(append([]string{}, path...), key.Value), flow, true, kids[k])
			}
		case yaml.SequenceNode:
			for k, c := range kids {
				walk(c, append(append([]string{}, path...), fmt.Sprint(k)), flow, true, -1)
			}
		}
	}
	walk(1, nil, false, false, -1)
	return out
}

// newValue returns a random new node of a kind podgraft writes.
func (e *editor) newValue(depth int) *yaml.Node {
	scalars := []func() *yaml.Node{
		func() *yaml.Node { return str(fmt.Sprintf("value-%d", e.rng.IntN(100))) },
		func() *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(e.rng.IntN(70000))}
		},
		func() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"} },
		func() *yaml.Node { return str("1.0") },
		func() *yaml.Node { return str("yes") },
		func() *yaml.Node { return str("a: b # not a comment") },
		func() *yaml.Node { return str("/healthz") },
		func() *yaml.Node { return str("nginx:1.27-alpine") },
		func() *yaml.Node { return str("") },
		func() *yaml.Node { return str("é ü") },
		func() *yaml.Node { return str("line one\nline two\n") },
		func() *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: `{"g":{"hash":"abc","sidecars":["nginx"]}}`, Style: yaml.SingleQuotedStyle}
		},
		func() *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "quoted", Style: yaml.DoubleQuotedStyle}
		},
	}
	if depth > 2 || e.rng.IntN(3) == 0 {
		return scalars[e.rng.IntN(len(scalars))]()
	}
	switch e.rng.IntN(4) {
	case 0:
		return newNode(yaml.MappingNode) // empty
	case 1:
		seq := newNode(yaml.SequenceNode)
		for range 1 + e.rng.IntN(3) {
			seq.Content = append(seq.Content, e.newValue(depth+1))
		}
		return seq
	}
	m := newNode(yaml.MappingNode)
	for k := range 1 + e.rng.IntN(3) {
		m.Content = append(m.Content, str(fmt.Sprintf("new%d", k)), e.newValue(depth+1))
	}
	return m
}

// lines returns the input lines of snap i
// (every line when they cannot be told: nothing is then checked).
func (e *editor) lines(i int, flow bool) [2]int {
	start, err := e.s.start(i)
	if err != nil {
		return [2]int{1, len(e.s.t.lines)}
	}
	end, err := e.s.end(i, 0, flow)
	if err != nil {
		return [2]int{1, len(e.s.t.lines)}
	}
	return [2]int{lineOf(e.s.t, start), lineOf(e.s.t, end)}
}

// plainNull reports whether a null is written as nothing, null or ~, with
// no tag or anchor, which is what undoing a fill writes back.
func (e *editor) plainNull(tg target) bool {
	sn := &e.o.snaps[tg.snap]
	if sn.style() != 0 || sn.anchored {
		return false
	}
	start, err := e.s.start(tg.snap)
	if err != nil {
		return false
	}
	end, err := e.s.end(tg.snap, 0, tg.flow)
	if err != nil {
		return false
	}
	text := string(e.s.t.src[start:end])
	if e.s.jsonDoc() != nil {
		return text == "null" // JSON writes its nulls so
	}
	if tg.flow && text == "" {
		return false // "{a: }" and "{a:}": an empty value in flow comes back spaced as the splicer writes it
	}
	if p := start - 1; text != "" && !tg.flow && p >= 0 && (e.s.t.src[p] != ' ' || p > 0 && isSpace(e.s.t.src[p-1])) {
		return false // "key:  ~" comes back as "key: ~"
	}
	return text == sn.value && (text == "" || text == "null" || text == "~")
}

// valueLines returns the lines of a value, from its key's line: a new
// value may start there.
func (e *editor) valueLines(tg target) [2]int {
	l := e.lines(tg.snap, tg.flow)
	if tg.key >= 0 {
		k := e.lines(tg.key, tg.flow)
		l[0] = min(l[0], k[0])
	}
	return l
}

func lineOf(t *text, p int) int {
	l := 0
	for l+1 < len(t.lines) && t.lines[l+1] <= p {
		l++
	}
	return l + 1
}

// canonicalScalar reports whether snap i's text is what the emitter writes
// for its value, so that a change in place can be undone byte for byte.
func (e *editor) canonicalScalar(i int, flow bool) bool {
	sn := &e.o.snaps[i]
	if sn.kind() != yaml.ScalarNode || sn.node.Anchor != "" || sn.style()&yaml.TaggedStyle != 0 {
		return false
	}
	start, err := e.s.start(i)
	if err != nil {
		return false
	}
	end, err := e.s.end(i, 0, flow)
	if err != nil {
		return false
	}
	em := &emitter{nl: "\n", step: 2}
	v := &yaml.Node{Kind: sn.kind(), Tag: e.o.tag(i), Value: sn.value, Style: sn.style()}
	var text string
	if j := e.s.jsonDoc(); j != nil {
		b, err := j.node(nil, v, "", "\n", false)
		if err != nil {
			return false
		}
		text = string(b)
	} else {
		text, _, err = em.scalar(v, flow)
		if err != nil {
			return false
		}
	}
	if text != string(e.s.t.src[start:end]) || flow && text == "" {
		return false
	}
	// podgraft writes "key: value" and "- item": a value that is spaced
	// otherwise comes back spaced so when a change to a collection is undone.
	if p := start - 1; !flow && p >= 0 && (e.s.t.src[p] != ' ' || p > 0 && isSpace(e.s.t.src[p-1])) {
		return false
	}
	return true
}

// edit makes one random edit; false when the chosen target does not fit.
func (e *editor) edit(tg target) bool {
	sn := &e.o.snaps[tg.snap]
	n := sn.node
	if e.touched[n] {
		return false
	}
	tg.path = pathTo(e.o.snaps[0].node.Content[0], n, nil) // earlier edits may have moved it
	switch {
	case sn.kind() == yaml.MappingNode || sn.kind() == yaml.SequenceNode:
		if n.Anchor != "" {
			return false
		}
		stride := 1
		if sn.kind() == yaml.MappingNode {
			stride = 2
		}
		units := len(n.Content) / stride
		at := e.rng.IntN(units + 1)
		if e.rng.IntN(2) == 0 {
			at = units // the end, where most grafts go
		}
		if sn.kind() == yaml.MappingNode {
			key := fmt.Sprintf("podgraft-%d", len(e.undos))
			n.Content = append(n.Content[:2*at:2*at], append([]*yaml.Node{str(key), e.newValue(0)}, n.Content[2*at:]...)...)
		} else {
			insertItem(n, at, e.newValue(0))
		}
		u := undo{path: tg.path, unit: at}
		switch {
		case tg.flow || isFlow(sn):
			u.lines = e.lines(tg.snap, true) // a flow collection is edited on its span
		case at == 0 && units > 0:
			// "- key: v" gets its first key pushed down.
			l := e.lines(e.o.children(tg.snap)[0], false)
			u.lines = [2]int{l[0], l[0]}
		}
		e.undos = append(e.undos, u)
	case sn.kind() == yaml.ScalarNode && tg.value && e.o.tag(tg.snap) == "!!null" && e.plainNull(tg) && e.rng.IntN(2) == 0:
		// A null filled in place, as ensure does.
		kind := yaml.MappingNode
		if e.rng.IntN(2) == 0 {
			kind = yaml.SequenceNode
		}
		was := *n
		*n = *newNode(kind)
		if kind == yaml.MappingNode {
			n.Content = []*yaml.Node{str("filled"), e.newValue(1)}
		} else {
			n.Content = []*yaml.Node{e.newValue(1)}
		}
		e.undos = append(e.undos, undo{path: tg.path, unit: -1, was: &was, lines: e.valueLines(tg)})
	case sn.kind() == yaml.ScalarNode && tg.value && e.canonicalScalar(tg.snap, tg.flow) && (tg.key < 0 || e.o.snaps[tg.key].line == sn.line):
		// (A value on the line after its key comes back on the key's.)
		was := *n
		if parent := at(e.o.snaps[0].node, tg.path[:len(tg.path)-1]...); parent.Kind == yaml.MappingNode && e.rng.IntN(3) == 0 {
			// A value replaced by a new node, as setNode does.
			for k := 1; k < len(parent.Content); k += 2 {
				if parent.Content[k] == n {
					parent.Content[k] = e.newValue(0)
				}
			}
		} else if e.rng.IntN(2) == 0 {
			*n = *str(fmt.Sprintf("changed-%d", len(e.undos)))
		} else {
			*n = *e.newValue(0)
		}
		e.undos = append(e.undos, undo{path: tg.path, unit: -1, was: &was, lines: e.valueLines(tg)})
	default:
		return false
	}
	e.touched[n] = true
	return true
}

// pathTo returns the path from root to n in the tree as it now is.
func pathTo(root, n *yaml.Node, path []string) []string {
	if root == n {
		return append([]string{}, path...)
	}
	for k, c := range root.Content {
		var step string
		switch root.Kind {
		case yaml.MappingNode:
			if k%2 == 0 {
				continue
			}
			step = root.Content[k-1].Value
		case yaml.SequenceNode:
			step = fmt.Sprint(k)
		default:
			continue
		}
		if p := pathTo(c, n, append(path, step)); p != nil {
			return p
		}
	}
	return nil
}

func duplicateKeys(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if seen[n.Content[i].Value] {
				return true
			}
			seen[n.Content[i].Value] = true
		}
	}
	for _, c := range n.Content {
		if duplicateKeys(c) {
			return true
		}
	}
	return false
}

// revert takes the edits back on the parsed output, last first.
func revert(t *testing.T, doc *yaml.Node, undos []undo) {
	for k := len(undos) - 1; k >= 0; k-- {
		u := undos[k]
		n := at(doc, u.path...)
		require.NotNil(t, n, "path %v", u.path)
		if u.unit < 0 {
			*n = yaml.Node{Kind: u.was.Kind, Tag: u.was.Tag, Value: u.was.Value, Style: u.was.Style}
			continue
		}
		if n.Kind == yaml.MappingNode {
			n.Content = append(n.Content[:2*u.unit:2*u.unit], n.Content[2*u.unit+2:]...)
		} else {
			removeItem(n, u.unit)
		}
	}
}

// survives checks (b): the input lines outside the touched ones are in
// the output, in order.
func survives(t *testing.T, in, out []byte, undos []undo) {
	t.Helper()
	touched := map[int]bool{}
	for _, u := range undos {
		for l := u.lines[0]; l > 0 && l <= u.lines[1]; l++ {
			touched[l] = true
		}
	}
	outLines := strings.SplitAfter(string(out), "\n")
	k := 0
	for l, line := range strings.SplitAfter(string(in), "\n") {
		if touched[l+1] || line == "" {
			continue
		}
		for k < len(outLines) && !sameLine(line, outLines[k], k == len(outLines)-1) {
			k++
		}
		require.Less(t, k, len(outLines), "input line %d %q is not in the output, in order:\n%s", l+1, line, out)
		k++
	}
}

// sameLine reports whether an output line is the input line, allowing
// for a line break added after the input's last line.
func sameLine(in, out string, lastOut bool) bool {
	return out == in || strings.TrimSuffix(strings.TrimSuffix(out, "\n"), "\r") == in ||
		lastOut && strings.TrimSuffix(in, "\n") == out
}

func TestProperties(t *testing.T) {
	docs := corpus(t)
	spliced := 0
	for name, src := range docs {
		doc := parsed(src)
		if doc == nil || duplicateKeys(doc) {
			continue // the undo finds nodes by key
		}
		for round := range rounds() {
			t.Run(fmt.Sprintf("%s/%d", name, round), func(t *testing.T) {
				if checkEdits(t, src, uint64(round), 1+round*2, false) {
					spliced++
				}
			})
		}
	}
	require.Greater(t, spliced, 500, "the corpus must exercise the splicer")
}

// checkEdits makes n random edits of src (seeded), splices them and checks
// properties (a), (b) and (c). It reports whether it spliced; with lenient
// (for fuzzed input) a refusal to splice is no failure.
func checkEdits(t *testing.T, src []byte, seed uint64, n int, lenient bool) bool {
	doc := parsed(src)
	if doc == nil || duplicateKeys(doc) {
		return false // the undo finds nodes by key
	}
	o := Record(src, doc)
	tx, err := newText(src)
	if err != nil {
		return false
	}
	e := &editor{t: t, rng: rand.New(rand.NewPCG(seed, uint64(len(src)))), o: o, touched: map[*yaml.Node]bool{}}
	e.s = &splicer{o: o, t: tx, nl: tx.nl}
	targets := e.targets()
	for tries := 0; tries < 40 && len(e.undos) < n; tries++ {
		e.edit(targets[e.rng.IntN(len(targets))])
	}
	out, err := o.Splice(doc)
	if errors.Is(err, ErrUnsupported) && (lenient || strings.Contains(err.Error(), "without a final line break") || strings.Contains(err.Error(), "ends an input without") || strings.Contains(err.Error(), "it would take in")) {
		return false // the caller encodes the document whole
	}
	require.NoError(t, err, "input:\n%s", src)
	got, err := tryParse(out)
	require.NoError(t, err, "the output must parse:\n%s", out)
	require.Equal(t, canonical(t, doc), canonical(t, got), "the output must hold the edited tree:\n%s", out)
	survives(t, src, out, e.undos)

	o2 := Record(out, got)
	revert(t, got, e.undos)
	back, err := o2.Splice(got)
	if errors.Is(err, ErrUnsupported) && lenient {
		return true
	}
	require.NoError(t, err, "output:\n%s", out)
	require.Equal(t, string(src), string(back), "undoing the edits must give the input; the output was:\n%s", out)
	return true
}

// FuzzSplice: random edits of a fuzzed document splice to output that
// parses to the edited tree, and undoing them gives the input back; a
// splice may refuse (the caller encodes whole), never panic.
func FuzzSplice(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/fidelity*/*/input.yaml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			for _, d := range splitDocs(b) {
				f.Add(d, uint64(1))
			}
		}
	}
	f.Add([]byte("a: {b: [1, 2]}\nc: |\n  x\n"), uint64(2))
	f.Fuzz(func(t *testing.T, src []byte, seed uint64) {
		if len(src) > 1<<14 {
			return
		}
		checkEdits(t, src, seed, 1+int(seed%5), true)
	})
}

// rounds is how many times each document is edited: 3, or more with
// SPLICE_ROUNDS for a longer search.
func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("SPLICE_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// TestMoves: new items are spliced into a sequence; on the parsed output
// they are reordered (as arrange lays grafted containers out again), which
// must splice to the reordered tree, then back, then out again to the input.
func TestMoves(t *testing.T) {
	for name, src := range corpus(t) {
		doc := parsed(src)
		if doc == nil || duplicateKeys(doc) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			doc := parsed(src)
			o := Record(src, doc)
			var seqs [][]string
			var walk func(n *yaml.Node, path []string)
			walk = func(n *yaml.Node, path []string) {
				if n.Kind == yaml.SequenceNode && n.Anchor == "" {
					seqs = append(seqs, path)
				}
				for k, c := range n.Content {
					switch n.Kind {
					case yaml.MappingNode:
						if k%2 == 1 {
							walk(c, append(append([]string{}, path...), n.Content[k-1].Value))
						}
					case yaml.SequenceNode:
						walk(c, append(append([]string{}, path...), fmt.Sprint(k)))
					}
				}
			}
			walk(doc.Content[0], nil)
			if len(seqs) == 0 {
				t.Skip("no sequence")
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(src))))
			path := seqs[rng.IntN(len(seqs))]
			seq := at(doc, path...)
			var added []int
			for k := range 3 {
				pos := rng.IntN(len(seq.Content) + 1)
				insertItem(seq, pos, yamlNode(t, fmt.Sprintf("name: graft-%d\nimage: img:%d\nports:\n- containerPort: %d\n", k, k, 8000+k)))
				for a := range added {
					if added[a] >= pos {
						added[a]++
					}
				}
				added = append(added, pos)
			}
			out1, err := o.Splice(doc)
			if err != nil {
				t.Skip(err) // the edit itself is covered by TestProperties
			}

			// Rotate the new items among the places they hold.
			doc1 := parsed(out1)
			require.NotNil(t, doc1, "%s", out1)
			o1 := Record(out1, doc1)
			seq1 := at(doc1, path...)
			slicesSort(added)
			items := make([]*yaml.Node, len(added))
			for k, a := range added {
				items[k] = seq1.Content[a]
			}
			for k, a := range added {
				seq1.Content[a] = items[(k+1)%len(items)]
			}
			out2, err := o1.Splice(doc1)
			require.NoError(t, err, "%s", out1)
			got, err := tryParse(out2)
			require.NoError(t, err, "%s", out2)
			require.Equal(t, canonical(t, doc1), canonical(t, got), "the reordered output:\n%s", out2)

			// Back to the first order, then out.
			o2 := Record(out2, got)
			seq2 := at(got, path...)
			moved := make([]*yaml.Node, len(added))
			for k, a := range added {
				moved[(k+1)%len(added)] = seq2.Content[a]
			}
			for k, a := range added {
				seq2.Content[a] = moved[k]
			}
			back, err := o2.Splice(got)
			require.NoError(t, err)
			require.Equal(t, string(out1), string(back), "moving back must give the first output")
			doc3 := parsed(back)
			o3 := Record(back, doc3)
			seq3 := at(doc3, path...)
			for k := len(added) - 1; k >= 0; k-- {
				removeItem(seq3, added[k])
			}
			orig, err := o3.Splice(doc3)
			require.NoError(t, err)
			require.Equal(t, string(src), string(orig), "removing the new items must give the input")
		})
	}
}

func slicesSort(a []int) {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
}
