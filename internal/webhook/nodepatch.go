package webhook

// nodepatch.go computes the review's JSONPatch from the node trees of the
// request's Pod and the grafted one, rather than by decoding both as JSON
// again (gomodules.xyz/jsonpatch/v2's CreatePatch, which the slow path
// still uses). It diffs the way CreatePatch does (objects key by key;
// lists item by item, removing or adding at the end), with one exception
// that makes the patch smaller: a list that only gained items (the grafted
// sidecars, init containers, volumes) gets one "add" per new item at its
// index, rather than a "replace" of every item after the first insertion.

import (
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// nodePatch returns the JSONPatch from a to b as JSON, nil when they are
// the same value. errNotPlainJSON: a value the JSON writer leaves to the
// slow path.
func nodePatch(a, b *yaml.Node) ([]byte, error) {
	d := &differ{buf: []byte{'['}}
	if err := d.diff(a, b); err != nil {
		return nil, err
	}
	if d.ops == 0 {
		return nil, nil
	}
	return append(d.buf, ']'), nil
}

type differ struct {
	buf  []byte
	ops  int
	path []string // the RFC 6901 path of the node being compared, escaped
}

func (d *differ) diff(a, b *yaml.Node) error {
	if a == b {
		return nil
	}
	switch {
	case a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode:
		return d.mappings(a, b)
	case a.Kind == yaml.SequenceNode && b.Kind == yaml.SequenceNode:
		return d.sequences(a, b)
	}
	same, err := sameValue(a, b)
	if err != nil || same {
		return err
	}
	return d.op("replace", b)
}

func (d *differ) mappings(a, b *yaml.Node) error {
	for i := 0; i+1 < len(b.Content); i += 2 {
		k, err := scalarKey(b.Content[i])
		if err != nil {
			return err
		}
		d.path = append(d.path, escapePointer(k))
		if av := lookup(a, k); av != nil {
			err = d.diff(av, b.Content[i+1])
		} else {
			err = d.op("add", b.Content[i+1])
		}
		d.path = d.path[:len(d.path)-1]
		if err != nil {
			return err
		}
	}
	for i := 0; i+1 < len(a.Content); i += 2 {
		k, err := scalarKey(a.Content[i])
		if err != nil {
			return err
		}
		if lookup(b, k) == nil {
			d.path = append(d.path, escapePointer(k))
			err = d.op("remove", nil)
			d.path = d.path[:len(d.path)-1]
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *differ) sequences(a, b *yaml.Node) error {
	if inserted, ok, err := insertions(a.Content, b.Content); err != nil || ok {
		if err != nil {
			return err
		}
		// Ascending: each add lands where b has it, once the ones before
		// it are in.
		for _, i := range inserted {
			if err := d.at(i, "add", b.Content[i]); err != nil {
				return err
			}
		}
		return nil
	}
	n := min(len(a.Content), len(b.Content))
	for i := len(a.Content) - 1; i >= n; i-- {
		if err := d.at(i, "remove", nil); err != nil {
			return err
		}
	}
	for i := n; i < len(b.Content); i++ {
		if err := d.at(i, "add", b.Content[i]); err != nil {
			return err
		}
	}
	for i := range n {
		d.path = append(d.path, strconv.Itoa(i))
		err := d.diff(a.Content[i], b.Content[i])
		d.path = d.path[:len(d.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// at is op at index i of the list being compared.
func (d *differ) at(i int, op string, v *yaml.Node) error {
	d.path = append(d.path, strconv.Itoa(i))
	err := d.op(op, v)
	d.path = d.path[:len(d.path)-1]
	return err
}

// insertions reports whether b is a with items inserted, and their
// indexes in b. a's items must all be in b, in order, each the same value.
func insertions(a, b []*yaml.Node) ([]int, bool, error) {
	if len(b) <= len(a) {
		return nil, false, nil
	}
	var inserted []int
	j := 0
	for i, bv := range b {
		if j < len(a) {
			same, err := equal(a[j], bv)
			if err != nil {
				return nil, false, err
			}
			if same {
				j++
				continue
			}
		}
		inserted = append(inserted, i)
	}
	return inserted, j == len(a), nil
}

// equal says a and b are the same JSON value.
func equal(a, b *yaml.Node) (bool, error) {
	if a == b {
		return true, nil
	}
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		if a.Kind == yaml.ScalarNode || b.Kind == yaml.ScalarNode || a.Kind == b.Kind {
			return false, nil
		}
		return false, errNotPlainJSON // an alias or a document
	}
	switch a.Kind {
	case yaml.ScalarNode:
		return sameValue(a, b)
	case yaml.SequenceNode:
		for i := range a.Content {
			if same, err := equal(a.Content[i], b.Content[i]); err != nil || !same {
				return false, err
			}
		}
		return true, nil
	case yaml.MappingNode:
		for i := 0; i+1 < len(a.Content); i += 2 {
			k, err := scalarKey(a.Content[i])
			if err != nil {
				return false, err
			}
			bv := lookup(b, k)
			if bv == nil {
				return false, nil
			}
			if same, err := equal(a.Content[i+1], bv); err != nil || !same {
				return false, err
			}
		}
		return true, nil
	}
	return false, errNotPlainJSON
}

// sameValue compares two nodes of which at least one is a scalar.
func sameValue(a, b *yaml.Node) (bool, error) {
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode {
		return false, nil
	}
	if a.Value == b.Value && a.Tag == b.Tag && a.Style == b.Style {
		return true, nil
	}
	ak, al, err := scalarValue(a)
	if err != nil {
		return false, err
	}
	bk, bl, err := scalarValue(b)
	if err != nil {
		return false, err
	}
	if ak != bk {
		return false, nil
	}
	if ak == scalarString {
		return a.Value == b.Value, nil
	}
	return al == bl, nil
}

// op writes one operation at the current path; v is its value, nil for a
// remove.
func (d *differ) op(op string, v *yaml.Node) error {
	if d.ops > 0 {
		d.buf = append(d.buf, ',')
	}
	d.ops++
	d.buf = append(d.buf, `{"op":"`...)
	d.buf = append(d.buf, op...)
	d.buf = append(d.buf, `","path":`...)
	path := "" // the whole document
	if len(d.path) > 0 {
		path = "/" + strings.Join(d.path, "/")
	}
	d.buf = appendJSONString(d.buf, path)
	if v != nil {
		d.buf = append(d.buf, `,"value":`...)
		var err error
		if d.buf, err = appendJSON(d.buf, v); err != nil {
			return err
		}
	}
	d.buf = append(d.buf, '}')
	return nil
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
