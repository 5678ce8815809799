package v1alpha1

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/internal/guard"
	"github.com/podgraft/podgraft/internal/node"
)

// Decode decodes one PodGraft document strictly, applies the defaults,
// validates it, and keeps the user's YAML next to the typed parts that are
// copied into workloads. source names the document in messages ("graft.yaml,
// document 1", "functionConfig"); every message carries the field path.
func Decode(n *yaml.Node, source string) (*PodGraft, error) {
	if n == nil || node.IsNull(n) || n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return nil, fmt.Errorf("%s: the PodGraft config is empty", source)
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a PodGraft must be a mapping, not a %s", source, node.Kind(n))
	}
	if err := guard.CheckResource(n); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := guard.CheckAliases(n, guard.MaxResourceNodes, guard.MaxConfigAliasNodes); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	raw, err := toJSON(n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	pg := &PodGraft{}
	if errs := decodeStrict(n, source, raw, pg); len(errs) > 0 {
		return nil, errs
	}
	bindNodes(n, reflect.ValueOf(pg).Elem())
	Default(pg)
	if errs := Validate(pg); len(errs) > 0 {
		return nil, NewConfigErrors(n, source, errs)
	}
	return pg, nil
}

// Describe names a config for messages: "PodGraft shop-edge (graft.yaml, document 1)".
func Describe(n *yaml.Node, source string) string {
	name := node.Str(node.Lookup(n, "metadata"), "name")
	if name == "" {
		return source
	}
	return fmt.Sprintf("PodGraft %s (%s)", name, source)
}

// decodeStrict rejects unknown and duplicate fields, and fields of the
// wrong type, naming their paths: "spec.sidecars[0].imagee: unknown
// field", the form kubectl users know.
func decodeStrict(n *yaml.Node, source string, raw []byte, out *PodGraft) ConfigErrors {
	strictErrs, err := kjson.UnmarshalStrict(raw, out)
	if err != nil {
		var tm *typeMismatch
		if errors.As(typeError(raw, err), &tm) {
			return ConfigErrors{newFieldError(n, source, tm.Path, "expected "+tm.Expected+", got "+tm.Got)}
		}
		return ConfigErrors{newFieldError(n, source, "", err.Error())}
	}
	var errs ConfigErrors
	for _, se := range strictErrs {
		var fe interface{ FieldPath() string }
		switch {
		case !errors.As(se, &fe):
			errs = append(errs, newFieldError(n, source, "", se.Error()))
		case strings.HasPrefix(se.Error(), "unknown field"):
			errs = append(errs, newFieldError(n, source, fe.FieldPath(), "unknown field"))
		default:
			errs = append(errs, newFieldError(n, source, fe.FieldPath(), field.Duplicate(nil, nil).ErrorBody()))
		}
	}
	return errs
}

// toJSON converts YAML to JSON with sigs.k8s.io/yaml, as kubectl does: it
// rejects duplicate keys and reads YAML 1.1 scalars the way kubectl would.
func toJSON(n *yaml.Node) ([]byte, error) {
	s, err := yaml.NewRNode(n).String()
	if err != nil {
		return nil, err
	}
	raw, err := sigsyaml.YAMLToJSONStrict([]byte(s))
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
	}
	return raw, nil
}

// nodeHolder is a config part that keeps the user's YAML: Sidecar,
// InitContainer, Volume, Mount and Probe.
type nodeHolder interface{ setNode(*yaml.Node) }

func (s *Sidecar) setNode(n *yaml.Node)       { s.Node = kubePart(n, s) }
func (c *InitContainer) setNode(n *yaml.Node) { c.Node = kubePart(n, c) }
func (v *Volume) setNode(n *yaml.Node)        { v.Node = kubePart(n, v) }
func (m *Mount) setNode(n *yaml.Node)         { m.Node = kubePart(n, m) }
func (p *Probe) setNode(n *yaml.Node)         { p.Node = kubePart(n, p) }
func (e *EnvVar) setNode(n *yaml.Node)        { e.Node = kubePart(n, e) }
func (e *EnvFromSource) setNode(n *yaml.Node) { e.Node = kubePart(n, e) }

// bindNodes walks the decoded value v alongside its YAML n, by the JSON
// names of v's fields, and hands every nodeHolder its node.
func bindNodes(n *yaml.Node, v reflect.Value) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			bindNodes(n, v.Elem())
		}
		return
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i := 0; i < v.Len() && i < len(n.Content); i++ {
				bindNodes(n.Content[i], v.Index(i))
			}
		}
		return
	case reflect.Struct:
	default:
		return
	}
	if h, ok := v.Addr().Interface().(nodeHolder); ok {
		h.setNode(n)
	}
	t := v.Type()
	for i := range t.NumField() {
		name, inline := jsonName(t.Field(i))
		if inline || name == "" || !t.Field(i).IsExported() {
			continue // an embedded Kubernetes type: nothing of podgraft's in it
		}
		if child := node.Lookup(n, name); child != nil {
			bindNodes(child, v.Field(i))
		}
	}
}

// jsonName is a struct field's JSON name, and whether it is inlined.
func jsonName(f reflect.StructField) (name string, inline bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, _, _ = strings.Cut(tag, ",")
	if name == "" && f.Anonymous {
		return "", true
	}
	return name, false
}

// kubeField is a podgraft field that is, for some values, a Kubernetes
// field of the same name too: a volume's secret is podgraft's with
// `secret: true` and the volume source's as a mapping.
type kubeField interface{ isKube() bool }

// kubePart copies mapping n without the keys of holder's own, non-embedded
// fields: what is left is the Kubernetes object as the user wrote it. The
// keys come from the struct's JSON tags, so a podgraft field cannot leak
// into workloads by being missed from a list.
func kubePart(n *yaml.Node, holder any) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return n
	}
	v := reflect.ValueOf(holder).Elem()
	own := map[string]bool{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, inline := jsonName(f)
		if inline || name == "" {
			continue
		}
		if kf, ok := v.Field(i).Interface().(kubeField); ok && !v.Field(i).IsNil() && kf.isKube() {
			continue
		}
		own[name] = true
	}
	c := *n
	c.Content = make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !own[n.Content[i].Value] {
			c.Content = append(c.Content, n.Content[i], n.Content[i+1])
		}
	}
	return withoutNulls(&c)
}
