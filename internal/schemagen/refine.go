package schemagen

import (
	"encoding/json"

	"github.com/invopop/jsonschema"
)

// Patterns of the values podgraft validates (fn/v1alpha1/validate*.go),
// written in the part of regular expressions that Go and ECMA-262 (which
// editors use) read alike. agreement_test.go holds them to the decoder.
const (
	// labelBody is a DNS-1123 label of at most 63 characters, unanchored.
	labelBody = `[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?`
	dnsLabel  = `^` + labelBody + `$`
	// placementPattern: "" is the default, last.
	placementPattern = `^(|first|last|(before|after):` + labelBody + `)$`
	imageFromPattern = `^(\*|` + labelBody + `)$`
	// kindPattern: Kind, group/Kind, or /Kind (the core group).
	kindPattern = `^([^/]*/)?[^/]+$`
	// templatePathPattern: slash-separated field names, none empty.
	templatePathPattern = `^[^/]+(/[^/]+)*$`
	// optionalSubdomain: "" or a DNS-1123 subdomain (with maxLength 253).
	optionalSubdomain = `^(` + dns1123Subdomain + `)?$`

	// globPattern is path.Match's syntax: *, ?, \c, classes [^a-z\]] and
	// any other character. A class needs one range at least; '-' and ']'
	// in it are escaped, and a '^' first negates it.
	globClassChar = `([^\]\\-]|\\.)`
	globRange     = globClassChar + `(-` + globClassChar + `)?`
	globFirst     = `([^\]\\^-]|\\.)(-` + globClassChar + `)?`
	globPattern   = `^(\*|\?|\\.|[^*?\\\[]|\[(\^(` + globRange + `)+|` + globFirst + `(` + globRange + `)*)\])*$`
	// globMeta: a container reference with one of these is a glob, else a name.
	globMeta = `[*?\[\\]`

	absolutePattern = `^/`
	// dotDotPattern finds a ".." segment, with / or \ as separators.
	dotDotPattern = `(^|[/\\])\.\.([/\\]|$)`
	// configMapKeyPattern, and not chDirPattern: validation.IsConfigMapKey.
	configMapKeyPattern = `^[-._a-zA-Z0-9]+$`
	chDirPattern        = `^\.(\.|$)`
	// fromFilesBase: the file's name (path.Base) is a key of the generated
	// resource; fromFilesChDir: and not ".", "..", "..x".
	fromFilesBase  = `(^|[/\\])[-._a-zA-Z0-9]{1,253}[/\\]*$`
	fromFilesChDir = `(^|[/\\])\.(\.[^/\\]*)?[/\\]*$`

	mountPathPattern = `^[^:]+$`
	// envNamePattern: printable ASCII but '=' (validation.IsRelaxedEnvVarName).
	envNamePattern = `^[ -<>-~]+$`
	// positiveQuantity: with quantityPattern, a quantity greater than zero.
	positiveQuantity = `^\+?[0-9.]*[1-9]`

	// Port names (validation.IsValidPortName): lower-case letters, digits
	// and single inner hyphens, one letter at least, at most 15.
	portNameChars  = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	portNameLetter = `[a-z]`
)

func length(n uint64) *uint64 { return &n }

// str is a string schema with a pattern (or none) and length bounds (0:
// none).
func str(pattern string, minLength, maxLength uint64) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string", Pattern: pattern}
	if minLength > 0 {
		s.MinLength = length(minLength)
	}
	if maxLength > 0 {
		s.MaxLength = length(maxLength)
	}
	return s
}

// not matches what does not match pattern.
func not(pattern string) *jsonschema.Schema {
	return &jsonschema.Schema{Not: &jsonschema.Schema{Pattern: pattern}}
}

// containerRef is a container name or a glob over names, as mounts and
// probes take them.
func containerRef() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", MinLength: length(1), AnyOf: []*jsonschema.Schema{
		{Pattern: dnsLabel},
		{AllOf: []*jsonschema.Schema{{Pattern: globPattern}, {Pattern: globMeta}}},
	}}
}

// portNumOrName is a port as probes and fronts take it (IntOrString).
func portNumOrName() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "integer", Minimum: "1", Maximum: "65535"},
		{Type: "string", MaxLength: length(15), AllOf: []*jsonschema.Schema{{Pattern: portNameChars}, {Pattern: portNameLetter}}, Not: &jsonschema.Schema{Pattern: "--"}},
	}}
}

// portName is a port's own name: "" (none) or an IANA service name.
func portName() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string", AnyOf: []*jsonschema.Schema{
		{MaxLength: length(0)},
		{MaxLength: length(15), AllOf: []*jsonschema.Schema{{Pattern: portNameChars}, {Pattern: portNameLetter}}, Not: &jsonschema.Schema{Pattern: "--"}},
	}}
}

// set matches an object whose key name is present and not null.
func set(name string) *jsonschema.Schema {
	return withProperty(&jsonschema.Schema{Required: []string{name}}, name, &jsonschema.Schema{Not: &jsonschema.Schema{Type: "null"}})
}

// exactlyOne matches an object with exactly one of names set.
func exactlyOne(names ...string) []*jsonschema.Schema {
	out := make([]*jsonschema.Schema, 0, len(names))
	for _, n := range names {
		out = append(out, set(n))
	}
	return out
}

// bounds bounds an integer.
func bounds(s *jsonschema.Schema, minimum, maximum string) {
	s.Minimum = json.Number(minimum)
	s.Maximum = json.Number(maximum)
}

// allowNull lets every optional property, and every value of a mapping,
// be null, as the decoder does: a null leaves the field unset (the zero
// value). Required properties stay non-null: their zero value is refused.
func allowNull(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	if s.Properties != nil {
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			allowNull(pair.Value, seen)
			if !required[pair.Key] {
				pair.Value = nullable(pair.Value)
			}
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties != jsonschema.FalseSchema && s.AdditionalProperties != jsonschema.TrueSchema {
		allowNull(s.AdditionalProperties, seen)
		s.AdditionalProperties = nullable(s.AdditionalProperties)
	}
	allowNull(s.Items, seen)
	for _, group := range [][]*jsonschema.Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for _, sub := range group {
			allowNull(sub, seen)
		}
	}
	for _, d := range s.Definitions {
		allowNull(d, seen)
	}
}

// nullable is s, or null. The description stays on top, for editors.
func nullable(s *jsonschema.Schema) *jsonschema.Schema {
	if s.Type == "null" {
		return s
	}
	inner := *s
	inner.Description = ""
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "null"}, &inner}, Description: s.Description}
}
