package guard

import (
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

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

// CheckAliases walks n once, in document order, and computes what its
// aliases expand to without expanding them. It fails when an alias refers
// to a node that contains it (a cycle, which yaml.v3 accepts in nodes but
// no consumer can expand), when the document has more than maxNodes nodes,
// when the aliases add more than maxAdded nodes, or when the expanded
// document nests deeper than MaxDepth.
func CheckAliases(n *yaml.Node, maxNodes, maxAdded int64) error {
	if n == nil {
		return nil
	}
	c := aliasCheck{memo: map[*yaml.Node]*expansion{}}
	size, depth, err := c.walk(n)
	if err != nil {
		return err
	}
	if c.literal > maxNodes {
		return fmt.Errorf("more than %d YAML nodes (keys, values and list items): the Kubernetes API server accepts nothing that large, and podgraft refuses it rather than use gigabytes of memory", maxNodes)
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
