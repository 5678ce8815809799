package v1alpha1

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// typeMismatch is a config value of the wrong type: "spec.sidecars[1].native:
// expected a boolean, got the string "yes"".
type typeMismatch struct {
	Path     string
	Expected string
	Got      string
}

func (e *typeMismatch) Error() string {
	return e.Path + ": expected " + e.Expected + ", got " + e.Got
}

// typeError turns the error of decoding raw into a PodGraft into a
// typeMismatch with the full path, list indices and mapping keys included.
//
// encoding/json names the field without indices (spec.sidecars.native), and
// a custom decoder's error (IntOrString, Quantity, secret) carries an offset
// into its own bytes, not the document's. So the path is found again: raw is
// walked alongside the Go type, in document order, and each scalar is given
// to the same decoder; the first it refuses is the culprit.
func typeError(raw []byte, err error) error {
	if found := findDecodeError(raw, reflect.TypeFor[PodGraft](), nil); found != nil {
		return found
	}
	// Not found again (it should always be): say what encoding/json said.
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		var parts []string
		for _, seg := range strings.Split(te.Field, ".") {
			// Embedded structs appear by their Go type name (Container).
			if seg != "" && (seg[0] < 'A' || seg[0] > 'Z') {
				parts = append(parts, seg)
			}
		}
		path := strings.Join(parts, ".")
		if path == "" {
			path = "(root)"
		}
		return &typeMismatch{Path: path, Expected: describeType(te.Type), Got: describeJSONKind(te.Value)}
	}
	return err
}

// findDecodeError returns the first value under raw, in document order,
// that the decoder refuses as a t, or nil.
func findDecodeError(raw json.RawMessage, t reflect.Type, p *field.Path) *typeMismatch {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil // null decodes into anything: it leaves the zero value
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[SecretOption]() && raw[0] == '{' {
		t = reflect.TypeFor[corev1.SecretVolumeSource]() // what a mapping decodes into
	}
	if hasCustomDecoding(t) {
		return refused(raw, t, p)
	}
	switch t.Kind() {
	case reflect.Struct:
		if raw[0] != '{' {
			return refused(raw, t, p)
		}
		fields := jsonFields(t)
		return eachMember(raw, func(key string, value json.RawMessage) *typeMismatch {
			f, known := fields[key]
			if !known {
				return nil // unknown fields are reported by strict decoding
			}
			return findDecodeError(value, f, p.Child(key))
		})
	case reflect.Map:
		if raw[0] != '{' {
			return refused(raw, t, p)
		}
		return eachMember(raw, func(key string, value json.RawMessage) *typeMismatch {
			return findDecodeError(value, t.Elem(), p.Key(key))
		})
	case reflect.Slice, reflect.Array:
		if raw[0] != '[' || t.Elem().Kind() == reflect.Uint8 {
			return refused(raw, t, p) // []byte is a base64 string
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil
		}
		for i, item := range items {
			if m := findDecodeError(item, t.Elem(), p.Index(i)); m != nil {
				return m
			}
		}
		return nil
	}
	return refused(raw, t, p)
}

// refused decodes raw as a t with the config's own decoder and describes
// the mismatch when it fails.
func refused(raw json.RawMessage, t reflect.Type, p *field.Path) *typeMismatch {
	if _, err := kjson.UnmarshalStrict(raw, reflect.New(t).Interface()); err == nil {
		return nil
	}
	path := p.String()
	if path == "" {
		path = "(root)"
	}
	m := &typeMismatch{Path: path, Expected: describeType(t), Got: describeJSON(raw)}
	if isInteger(t) {
		// A whole number that does not fit: say the range.
		if _, err := strconv.ParseInt(string(raw), 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			m.Expected = fmt.Sprintf("an integer from %d to %d", minInt(t), maxInt(t))
		}
	}
	return m
}

// hasCustomDecoding reports whether t decodes itself (IntOrString,
// Quantity, Time, SecretOption): it is checked as one value.
func hasCustomDecoding(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(reflect.TypeFor[json.Unmarshaler]()) || pt.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// eachMember calls f with the members of JSON object raw, in order, until
// f reports a mismatch.
func eachMember(raw json.RawMessage, f func(string, json.RawMessage) *typeMismatch) *typeMismatch {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
		if m := f(key, value); m != nil {
			return m
		}
	}
	return nil
}

// jsonFields maps the JSON names of struct t's fields, with those of
// embedded structs inlined, to their types, the way encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// describeType names what a t is written as, in the words of YAML.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[intstr.IntOrString]():
		return "an integer or a string"
	case reflect.TypeFor[resource.Quantity]():
		return "a quantity such as 500m, 64Mi or 2"
	case reflect.TypeFor[SecretOption]():
		return "true, false or a secret volume source (secretName, items, ...)"
	case reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]():
		return "a date and time such as 2006-01-02T15:04:05Z"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.Kind().String()
}

// describeJSON names a JSON value, quoting scalars: the string "yes".
func describeJSON(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		if len(s) > 40 {
			s = s[:37] + "..."
		}
		return "the string " + strconv.Quote(s)
	case 't', 'f':
		return "the boolean " + string(raw)
	}
	return "the number " + string(raw)
}

// describeJSONKind names encoding/json's description of a value ("bool",
// "number 1.5", "array").
func describeJSONKind(value string) string {
	kind, rest, _ := strings.Cut(value, " ")
	switch kind {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "number":
		if rest != "" {
			return "the number " + rest
		}
		return "a number"
	}
	return value
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func minInt(t reflect.Type) int64 {
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return 0
	}
	return -1 << (t.Bits() - 1)
}

func maxInt(t reflect.Type) uint64 {
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return math.MaxUint64 >> (64 - t.Bits())
	}
	return math.MaxUint64 >> (65 - t.Bits())
}
