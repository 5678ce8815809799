// Package schemagen generates the JSON Schema of the PodGraft config from
// the Go types in package fn, by reflection (github.com/invopop/jsonschema),
// with the embedded Kubernetes Container, Probe and VolumeSource types
// described from their own API docs (SwaggerDoc).
//
// It runs only at development time: `make schema` (go test -update) writes
// schema/podgraft.schema.json, which the podgraft binary embeds and prints
// with `podgraft schema`. So the binary carries no reflection code and pays
// no start-up cost, and a test fails when the checked-in copy drifts from
// what the types generate.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/invopop/jsonschema"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/podgraft/podgraft/fn/v1alpha1"
)

// ID is the schema's $id: where the checked-in copy is published.
const ID = "https://raw.githubusercontent.com/podgraft/podgraft/main/schema/podgraft.schema.json"

// fnPkg is the import path of the config types.
var fnPkg = reflect.TypeOf(v1alpha1.PodGraft{}).PkgPath()

// Generate returns the schema as indented JSON with a trailing newline.
func Generate() ([]byte, error) {
	s, err := Reflect()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Reflect builds the schema of v1alpha1.PodGraft.
func Reflect() (*jsonschema.Schema, error) {
	n := &namer{seen: map[string]reflect.Type{}}
	r := &jsonschema.Reflector{
		// Decoding is strict (sigs.k8s.io/json UnmarshalStrict) at every
		// level, including inside the Kubernetes types: every object is
		// closed with additionalProperties: false, which invopop does by
		// default.
		Anonymous:      true,
		ExpandedStruct: true,
		Mapper:         mapKubernetesScalars,
		Namer:          n.name,
		LookupComment:  describe,
	}
	s := r.Reflect(&v1alpha1.PodGraft{})
	if n.err != nil {
		return nil, n.err
	}
	s.ID = jsonschema.ID(ID)
	s.Title = "PodGraft (" + v1alpha1.APIVersion + ")"
	if err := refine(s); err != nil {
		return nil, err
	}
	return s, nil
}

// namer names definitions by Go type name and refuses two types with one
// name (v1alpha1.Volume and a corev1.Volume, say), which would silently share a
// definition.
type namer struct {
	seen map[string]reflect.Type
	err  error
}

func (n *namer) name(t reflect.Type) string {
	name := t.Name()
	if name == "" || mapKubernetesScalars(t) != nil {
		return name // a mapped type is never a definition of its own
	}
	if prev, ok := n.seen[name]; ok && prev != t && n.err == nil {
		n.err = fmt.Errorf("schema: two types named %s (%s and %s); give one a distinct definition name", name, prev.PkgPath(), t.PkgPath())
	}
	n.seen[name] = t
	return name
}

// mapKubernetesScalars gives the Kubernetes types with custom JSON
// encodings their wire form.
func mapKubernetesScalars(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(resource.Quantity{}):
		// Quantity accepts "500m", "1Gi" and plain numbers.
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: quantityPattern},
			{Type: "number"},
		}}
	case reflect.TypeOf(intstr.IntOrString{}):
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "integer"},
			{Type: "string"},
		}}
	case reflect.TypeOf(v1alpha1.SecretOption{}):
		// secret: true generates a Secret from files; a mapping is a
		// core/v1 secret volume source, as in a pod.
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "boolean"},
			{Ref: "#/$defs/SecretVolumeSource"},
		}}
	case reflect.TypeOf(v1alpha1.Probe{}):
		// A core/v1 Probe, with the user's YAML kept next to it.
		return &jsonschema.Schema{Ref: "#/$defs/Probe"}
	case reflect.TypeOf(metav1.Time{}), reflect.TypeOf(metav1.MicroTime{}):
		return &jsonschema.Schema{Type: "string", Format: "date-time"}
	case reflect.TypeOf(metav1.FieldsV1{}):
		return &jsonschema.Schema{Type: "object"}
	}
	return nil
}

// quantityPattern is the Kubernetes OpenAPI pattern for resource.Quantity.
const quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`

// swaggerDoc is implemented by every k8s.io/api type: its field docs keyed
// by JSON name, and "" for the type itself.
type swaggerDoc interface {
	SwaggerDoc() map[string]string
}

// describe finds the description of a type (field "") or of a Go field.
func describe(t reflect.Type, goField string) string {
	key := ""
	if goField != "" {
		f, ok := t.FieldByName(goField)
		if !ok {
			return ""
		}
		key, _, _ = strings.Cut(f.Tag.Get("json"), ",")
		if key == "" {
			return ""
		}
	}
	if t.PkgPath() == fnPkg {
		if key == "" {
			return descriptions[t.Name()]
		}
		return descriptions[t.Name()+"."+key]
	}
	if d, ok := reflect.Zero(t).Interface().(swaggerDoc); ok {
		return d.SwaggerDoc()[key]
	}
	return ""
}

// Patterns for podgraft's own string values.
const (
	// dns1123Subdomain without anchors, length unchecked.
	dns1123Subdomain = `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`
	// qualifiedNamePart is the name of a qualified name, up to 63 characters.
	qualifiedNamePart = `[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`
	dns1123Label      = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	placementPattern  = `^(first|last|(before|after):[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
)

// refine adds what the Go types cannot say: constants, enums, patterns and
// the required fields that validation (fn/validate.go) enforces.
func refine(root *jsonschema.Schema) error {
	defs := root.Definitions
	prop := func(s *jsonschema.Schema, owner, name string) (*jsonschema.Schema, error) {
		if s == nil {
			return nil, fmt.Errorf("schema: no definition %s", owner)
		}
		p, ok := s.Properties.Get(name)
		if !ok {
			return nil, fmt.Errorf("schema: %s has no property %q", owner, name)
		}
		return p, nil
	}
	type edit struct {
		owner, field string
		apply        func(*jsonschema.Schema)
	}
	def := func(name string) *jsonschema.Schema {
		if name == "PodGraft" {
			return root
		}
		return defs[name]
	}
	enum := func(values ...string) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) {
			for _, v := range values {
				s.Enum = append(s.Enum, v)
			}
		}
	}
	pattern := func(p string) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) { s.Pattern = p }
	}
	edits := []edit{
		{"PodGraft", "apiVersion", func(s *jsonschema.Schema) { s.Const = v1alpha1.APIVersion }},
		{"PodGraft", "kind", func(s *jsonschema.Schema) { s.Const = v1alpha1.Kind }},
		{"Metadata", "name", func(s *jsonschema.Schema) {
			s.Pattern = dns1123Label
			maxLength := uint64(63)
			s.MaxLength = &maxLength
		}},
		{"Spec", "requireReadinessProbe", enum(v1alpha1.ReadinessOff, v1alpha1.ReadinessWarning, v1alpha1.ReadinessError)},
		{"Spec", "securityProfile", enum(v1alpha1.ProfileNone, v1alpha1.ProfileRestricted)},
		{"Volume", "isolate", enum(v1alpha1.IsolateNone, v1alpha1.IsolateNamespace, v1alpha1.IsolateWorkload)},
		{"Sidecar", "placement", pattern(placementPattern)},
		{"InitContainer", "placement", pattern(placementPattern)},
		{"Sidecar", "name", pattern(dns1123Label)},
		{"InitContainer", "name", pattern(dns1123Label)},
	}
	for _, e := range edits {
		p, err := prop(def(e.owner), e.owner, e.field)
		if err != nil {
			return err
		}
		e.apply(p)
	}
	if err := applyEnums(defs); err != nil {
		return err
	}
	// A PodGraft without a spec is valid (it grafts nothing).
	root.Required = remove(root.Required, "spec")
	// Validation requires a sidecar's image; an init container needs
	// image or imageFrom, not both.
	defs["Sidecar"].Required = append(defs["Sidecar"].Required, "image")
	defs["InitContainer"].OneOf = []*jsonschema.Schema{
		{Required: []string{"image"}},
		{Required: []string{"imageFrom"}},
	}
	return nil
}

func remove(list []string, v string) []string {
	out := list[:0]
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}

// inlinedInto names the definitions a Kubernetes type is inlined into,
// where it has none of its own.
var inlinedInto = map[reflect.Type][]string{
	reflect.TypeFor[corev1.Container](): {"Sidecar", "InitContainer"},
}

// applyEnums lists the values of the Kubernetes enum fields that
// validation checks (v1alpha1.Enums), and the resource names of
// containers.
func applyEnums(defs jsonschema.Definitions) error {
	for _, e := range v1alpha1.Enums {
		names := inlinedInto[e.Type]
		if names == nil {
			names = []string{e.Type.Name()}
		}
		for _, name := range names {
			d := defs[name]
			if d == nil {
				return fmt.Errorf("schema: no definition %s for the enum %s.%s", name, e.Type, e.Field)
			}
			p, ok := d.Properties.Get(e.Field)
			if !ok {
				return fmt.Errorf("schema: %s has no property %q", name, e.Field)
			}
			if p.Type == "array" {
				p = p.Items
			}
			if p.Type != "string" {
				return fmt.Errorf("schema: %s.%s is not a string", name, e.Field)
			}
			if e.Optional {
				p.Enum = append(p.Enum, "")
			}
			for _, v := range e.Values {
				p.Enum = append(p.Enum, v)
			}
		}
	}
	names := &jsonschema.Schema{Pattern: resourceNamePattern()}
	for _, list := range []string{"limits", "requests"} {
		p, ok := defs["ResourceRequirements"].Properties.Get(list)
		if !ok {
			return fmt.Errorf("schema: ResourceRequirements has no property %q", list)
		}
		p.PropertyNames = names
	}
	return nil
}

// resourceNamePattern: a standard resource of containers, hugepages-<size>,
// or a qualified name with a domain (validation.IsQualifiedName).
func resourceNamePattern() string {
	standard := make([]string, 0, len(v1alpha1.ContainerResourceNames))
	for _, n := range v1alpha1.ContainerResourceNames {
		standard = append(standard, regexp.QuoteMeta(n))
	}
	return `^(` + strings.Join(standard, "|") + `|hugepages-.+|` + dns1123Subdomain + `/` + qualifiedNamePart + `)$`
}
