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
		// Every IntOrString a config holds is a port: a probe's or a
		// hook's, and fronts'.
		return portNumOrName()
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
	case reflect.TypeOf(v1alpha1.EnvVar{}):
		// A core/v1 EnvVar and EnvFromSource, with the user's YAML kept
		// next to them; Container.env and envFrom define them.
		return &jsonschema.Schema{Ref: "#/$defs/EnvVar"}
	case reflect.TypeOf(v1alpha1.EnvFromSource{}):
		return &jsonschema.Schema{Ref: "#/$defs/EnvFromSource"}
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
	// reservedPrefix: podgraft's own labels and annotations.
	reservedPrefix = `^podgraft\.dev/`
	// qualifiedNamePart is the name of a qualified name, up to 63 characters.
	qualifiedNamePart = `[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`
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
	replace := func(with func() *jsonschema.Schema) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) {
			description := s.Description
			*s = *with()
			s.Description = description
		}
	}
	is := func(with *jsonschema.Schema) func(*jsonschema.Schema) {
		return replace(func() *jsonschema.Schema { return with })
	}
	each := func(apply func(*jsonschema.Schema)) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) { apply(s.Items) }
	}
	nonEmpty := func(s *jsonschema.Schema) { s.MinLength = length(1) }
	atLeastOne := func(s *jsonschema.Schema) { s.MinItems = length(1) }
	// A field that validation forbids, unless null (unset).
	forbidden := func(s *jsonschema.Schema) {
		*s = jsonschema.Schema{Type: "null", Description: "Not on an init container, which runs to completion: Kubernetes refuses it there (a sidecar takes it)."}
	}
	// The probes that must succeed once: liveness and startup.
	succeedOnce := func(s *jsonschema.Schema) { withProperty(s, "successThreshold", &jsonschema.Schema{Maximum: "1"}) }
	glob := is(str(globPattern, 0, 0))
	labelName := is(str(dnsLabel, 1, 63))
	absolute := replace(func() *jsonschema.Schema {
		return &jsonschema.Schema{Type: "string", Pattern: absolutePattern, Not: &jsonschema.Schema{Pattern: dotDotPattern}}
	})
	relative := replace(func() *jsonschema.Schema { // "" or relative, without ".."
		return &jsonschema.Schema{Type: "string", AllOf: []*jsonschema.Schema{not(absolutePattern), not(dotDotPattern)}}
	})
	subdomainOrEmpty := is(str(optionalSubdomain, 0, 253))
	edits := []edit{
		{"PodGraft", "apiVersion", func(s *jsonschema.Schema) { s.Const = v1alpha1.APIVersion }},
		{"PodGraft", "kind", func(s *jsonschema.Schema) { s.Const = v1alpha1.Kind }},
		{"Metadata", "name", labelName},
		// "" in an enum or a pattern is the default, as validation reads it.
		{"Spec", "requireReadinessProbe", enum("", v1alpha1.ReadinessOff, v1alpha1.ReadinessWarning, v1alpha1.ReadinessError)},
		{"Spec", "securityProfile", enum("", v1alpha1.ProfileNone, v1alpha1.ProfileRestricted)},
		{"Selector", "kinds", each(pattern(kindPattern))},
		{"Selector", "names", each(glob)},
		{"Selector", "namespaces", each(glob)},
		{"PodTemplateKind", "kind", nonEmpty},
		{"PodTemplateKind", "path", pattern(templatePathPattern)},

		{"Sidecar", "name", labelName},
		{"Sidecar", "image", nonEmpty},
		{"Sidecar", "placement", pattern(placementPattern)},
		{"Sidecar", "restartPolicy", enum(string(corev1.ContainerRestartPolicyAlways))},
		{"Sidecar", "livenessProbe", succeedOnce},
		{"Sidecar", "startupProbe", succeedOnce},
		{"InitContainer", "name", labelName},
		{"InitContainer", "placement", pattern(placementPattern)},
		{"InitContainer", "imageFrom", pattern(imageFromPattern)},
		{"InitContainer", "restartPolicy", forbidden},
		{"InitContainer", "readinessProbe", forbidden},
		{"InitContainer", "livenessProbe", forbidden},
		{"InitContainer", "startupProbe", forbidden},
		{"InitContainer", "lifecycle", forbidden},
		{"ContainerPort", "name", is(portName())},
		{"ContainerPort", "containerPort", func(s *jsonschema.Schema) { bounds(s, "1", "65535") }},
		{"ContainerPort", "hostPort", func(s *jsonschema.Schema) { bounds(s, "0", "65535") }},
		{"EnvVar", "name", pattern(envNamePattern)},

		{"ProbeSet", "containers", each(is(containerRef()))},
		{"ProbeSet", "liveness", succeedOnce},
		{"ProbeSet", "startup", succeedOnce},
		{"Probe", "initialDelaySeconds", func(s *jsonschema.Schema) { s.Minimum = "0" }},
		{"Probe", "timeoutSeconds", func(s *jsonschema.Schema) { s.Minimum = "0" }},
		{"Probe", "periodSeconds", func(s *jsonschema.Schema) { s.Minimum = "0" }},
		{"Probe", "successThreshold", func(s *jsonschema.Schema) { s.Minimum = "0" }},
		{"Probe", "failureThreshold", func(s *jsonschema.Schema) { s.Minimum = "0" }},
		{"Probe", "terminationGracePeriodSeconds", func(s *jsonschema.Schema) { s.Minimum = "1" }},
		{"ExecAction", "command", atLeastOne},
		{"GRPCAction", "port", func(s *jsonschema.Schema) { bounds(s, "1", "65535") }},
		{"SleepAction", "seconds", func(s *jsonschema.Schema) { s.Minimum = "0" }},

		{"Volume", "name", labelName},
		{"Volume", "isolate", enum("", v1alpha1.IsolateNone, v1alpha1.IsolateNamespace, v1alpha1.IsolateWorkload)},
		{"Volume", "fromFiles", each(replace(func() *jsonschema.Schema {
			return &jsonschema.Schema{Type: "string", Pattern: fromFilesBase, AllOf: []*jsonschema.Schema{
				not(`^[/\\]`), not(dotDotPattern), not(fromFilesChDir),
			}}
		}))},
		{"HostPathVolumeSource", "path", absolute},
		{"SecretVolumeSource", "secretName", nonEmpty},
		{"PersistentVolumeClaimVolumeSource", "claimName", subdomainOrEmpty},
		{"Claim", "accessModes", each(enum(v1alpha1.AccessModes...))},
		{"Claim", "storageClassName", subdomainOrEmpty},
		{"Claim", "storage", is(&jsonschema.Schema{Type: "string", AllOf: []*jsonschema.Schema{{Pattern: quantityPattern}, {Pattern: positiveQuantity}}})},
		{"Mount", "containers", each(is(containerRef()))},
		{"Mount", "initContainers", each(is(containerRef()))},
		{"PodFields", "labels", func(s *jsonschema.Schema) {
			s.PropertyNames = &jsonschema.Schema{Pattern: `^(` + dns1123Subdomain + `/)?` + qualifiedNamePart + `$`, Not: &jsonschema.Schema{Pattern: reservedPrefix}}
			s.AdditionalProperties = str(`^(`+qualifiedNamePart+`)?$`, 0, 63)
		}},
		{"PodFields", "annotations", func(s *jsonschema.Schema) {
			// Annotation keys are checked lower-cased.
			s.PropertyNames = &jsonschema.Schema{Pattern: `^(` + strings.ReplaceAll(dns1123Subdomain, "a-z", "A-Za-z") + `/)?` + qualifiedNamePart + `$`, Not: &jsonschema.Schema{Pattern: reservedPrefix}}
		}},
		{"PodFields", "imagePullSecrets", func(s *jsonschema.Schema) {
			s.UniqueItems = true
			item := withProperty(&jsonschema.Schema{Type: "object", Required: []string{"name"}, AdditionalProperties: jsonschema.FalseSchema}, "name", str(`^`+dns1123Subdomain+`$`, 1, 253))
			item.Description = s.Items.Description
			s.Items = item
		}},
		{"EnvSet", "containers", each(is(containerRef()))},
		{"EnvSet", "initContainers", each(is(containerRef()))},
		{"Mount", "mountPath", pattern(mountPathPattern)},
		{"Mount", "subPath", relative},
		{"Policy", "allowedHostPaths", each(absolute)},
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
	// GRPCAction.service is a pointer without omitempty, so the reflector
	// requires it; the API server does not.
	defs["GRPCAction"].Required = remove(defs["GRPCAction"].Required, "service")
	// With claim.perReplica the claim is named after the volume, so
	// claimName may be left out; whether it must be there depends on
	// claim, which validation checks.
	defs["PersistentVolumeClaimVolumeSource"].Required = remove(defs["PersistentVolumeClaimVolumeSource"].Required, "claimName")
	// Validation requires these, which the Kubernetes types leave optional.
	defs["Sidecar"].Required = append(defs["Sidecar"].Required, "image")
	defs["SecretVolumeSource"].Required = append(defs["SecretVolumeSource"].Required, "secretName")
	defs["ExecAction"].Required = append(defs["ExecAction"].Required, "command")
	// Files are keys of the generated ConfigMap or Secret.
	files, err := prop(defs["Volume"], "Volume", "files")
	if err != nil {
		return err
	}
	files.PropertyNames = &jsonschema.Schema{Pattern: configMapKeyPattern, MaxLength: length(253), Not: &jsonschema.Schema{Pattern: chDirPattern}}
	// One of: an init container's image or imageFrom; a probe's handler,
	// a hook's; a probe set's probes, one at least.
	defs["InitContainer"].OneOf = []*jsonschema.Schema{
		withProperty(&jsonschema.Schema{Required: []string{"image"}}, "image", str("", 1, 0)),
		withProperty(&jsonschema.Schema{Required: []string{"imageFrom"}}, "imageFrom", str("", 1, 0)),
	}
	defs["Probe"].OneOf = exactlyOne("exec", "httpGet", "tcpSocket", "grpc")
	defs["LifecycleHandler"].OneOf = exactlyOne("exec", "httpGet", "tcpSocket", "sleep")
	defs["ProbeSet"].AnyOf = exactlyOne(v1alpha1.Readiness, v1alpha1.Liveness, v1alpha1.Startup)
	// A mount names containers, init containers or both; an env set adds
	// variables, sources or both.
	defs["Mount"].AnyOf = []*jsonschema.Schema{
		withProperty(&jsonschema.Schema{Required: []string{"containers"}}, "containers", &jsonschema.Schema{MinItems: length(1)}),
		withProperty(&jsonschema.Schema{Required: []string{"initContainers"}}, "initContainers", &jsonschema.Schema{MinItems: length(1)}),
	}
	defs["EnvSet"].AnyOf = []*jsonschema.Schema{
		withProperty(&jsonschema.Schema{Required: []string{"vars"}}, "vars", &jsonschema.Schema{MinItems: length(1)}),
		withProperty(&jsonschema.Schema{Required: []string{"from"}}, "from", &jsonschema.Schema{MinItems: length(1)}),
	}
	allowNull(root, map[*jsonschema.Schema]bool{})
	return nil
}

// withProperty gives s the one property name.
func withProperty(s *jsonschema.Schema, name string, property *jsonschema.Schema) *jsonschema.Schema {
	s.Properties = jsonschema.NewProperties()
	s.Properties.Set(name, property)
	return s
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
