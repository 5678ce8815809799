package fn

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
	"github.com/podgraft/podgraft/transformers"
)

// DocError places an error in its file and document: "input.yaml:
// document 2 (Deployment shop/web): metadata: must be a mapping, not a
// list". The error itself is a transformers.Error when it is about a
// resource.
type DocError struct {
	File string
	Doc  int // 1-based
	Err  error
}

func (e *DocError) Error() string {
	where := fmt.Sprintf("%s: document %d", e.File, e.Doc)
	var re *transformers.Error
	if !errors.As(e.Err, &re) {
		return where + ": " + e.Err.Error()
	}
	if re.Ref != nil && (re.Ref.Kind != "" || re.Ref.Name != "") {
		where += " (" + transformers.DescribeRef(re.Ref) + ")"
	}
	if re.Field != "" && !strings.HasPrefix(re.Msg, re.Field) {
		where += ": " + re.Field
	}
	return where + ": " + re.Msg
}

func (e *DocError) Unwrap() error { return e.Err }

// resourceError builds an error about resource r and one of its fields.
func resourceError(r *yaml.RNode, field string, err error) *transformers.Error {
	var ref *yaml.ResourceIdentifier
	if r != nil {
		ref = transformers.Ref(r)
	}
	return &transformers.Error{Ref: ref, Field: field, Msg: err.Error()}
}

// checkResource is what every resource of the input must pass before
// podgraft looks at it: a mapping with apiVersion and kind, metadata of the
// shape every object has (kyaml's getters panic on some malformed
// metadata), and bounded aliases; every item of a List too.
func checkResource(r *yaml.RNode, limits guard.Limits) error {
	if err := checkOne(r); err != nil {
		return err
	}
	if err := guard.CheckAliases(r.YNode(), limits.Nodes, guard.MaxAliasNodes); err != nil {
		return resourceError(r, "", err)
	}
	return checkListItems(r)
}

// checkListItems checks the items of List r, however nested, naming each by
// its path: "items[0].items[2].metadata".
func checkListItems(r *yaml.RNode) error {
	if !transformers.IsList(r) {
		return nil
	}
	seq := node.Lookup(r.YNode(), "items")
	if node.MissingOrNull(seq) {
		return nil
	}
	if seq.Kind != yaml.SequenceNode {
		return resourceError(r, "items", fmt.Errorf("items: must be a list, not a %s", node.Kind(seq)))
	}
	for i, it := range seq.Content {
		item := yaml.NewRNode(it)
		err := checkOne(item)
		if err == nil {
			err = checkListItems(item)
		}
		if err != nil {
			return inItem(i, err)
		}
	}
	return nil
}

// inItem puts an error about a List's item i at its path in the List,
// keeping the item's identity when it has one.
func inItem(i int, err error) error {
	at := fmt.Sprintf("items[%d]", i)
	var re *transformers.Error
	if !errors.As(err, &re) {
		return &transformers.Error{Field: at, Msg: at + ": " + err.Error()}
	}
	field := node.Path(at, re.Field)
	return &transformers.Error{Ref: re.Ref, Field: field, Msg: field + ": " + strings.TrimPrefix(re.Msg, re.Field+": ")}
}

// checkOne is checkResource without aliases and List items.
func checkOne(r *yaml.RNode) error {
	if k := r.YNode().Kind; k != yaml.MappingNode {
		return fmt.Errorf("expected a Kubernetes resource (a mapping), got a %s", node.Kind(r.YNode()))
	}
	var se *guard.ShapeError
	if err := guard.CheckResource(r.YNode()); errors.As(err, &se) {
		return resourceError(r, se.Field, errors.New(se.Msg))
	} else if err != nil {
		return resourceError(r, "", err)
	}
	if r.GetKind() == "" || r.GetApiVersion() == "" {
		missing := "kind"
		if r.GetApiVersion() == "" {
			missing = "apiVersion"
		}
		return resourceError(r, missing, errors.New("required field is missing"))
	}
	return nil
}

// checkEdited is what a resource podgraft changed must also pass: no
// duplicate keys, which Kubernetes tools resolve differently from podgraft.
func checkEdited(r *yaml.RNode) error {
	if d := guard.FindDuplicateKey(r.YNode()); d != nil {
		return resourceError(r, d.Field, d)
	}
	return nil
}
