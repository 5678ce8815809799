package fn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/transformers"
)

// Config is one decoded, defaulted and validated PodGraft, together with
// the YAML it came from: grafted containers, probes and volumes are copied
// from that YAML so that the output carries exactly the fields the user
// wrote, in the user's order (a typed corev1.Container would add
// `resources: {}` and reorder keys).
type Config struct {
	PodGraft
	// Node is the PodGraft document as parsed.
	Node *yaml.RNode
	// Source names where the config came from, for messages: a file
	// path with a document index, or "functionConfig".
	Source string
	// BaseDir is the folder fromFiles resolves against.
	BaseDir string
	// Hash identifies this version of the spec in the graft record.
	Hash string
	// Files holds, per volume name, the content of its files and
	// fromFiles, read once at load.
	Files map[string]map[string][]byte
}

// DecodeNode decodes one PodGraft document strictly, applies defaults and
// validates it. Every message carries the field path.
func DecodeNode(node *yaml.RNode, source, baseDir string) (*Config, error) {
	if node == nil || node.IsNilOrEmpty() {
		return nil, fmt.Errorf("%s: the PodGraft config is empty", source)
	}
	if node.YNode().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a PodGraft must be a mapping, not a %s", source, transformers.NodeKind(node.YNode()))
	}
	if err := checkConfig(node, source); err != nil {
		return nil, err
	}
	raw, err := nodeToJSON(node)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	cfg := &Config{Node: node, Source: source, BaseDir: baseDir}
	if err := decodeStrict(raw, &cfg.PodGraft); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(node, source), err)
	}
	Default(&cfg.PodGraft)
	if errs := Validate(&cfg.PodGraft); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", describe(node, source), errs.ToAggregate())
	}
	files, ferrs := loadVolumeFiles(&cfg.PodGraft, baseDir)
	if len(ferrs) > 0 {
		return nil, fmt.Errorf("%s: %w", describe(node, source), ferrs.ToAggregate())
	}
	cfg.Files = files
	cfg.Hash = withFiles(specHash(cfg.Spec), &cfg.PodGraft, files)
	return cfg, nil
}

// describe names a config for messages: "PodGraft shop-edge (graft.yaml, document 1)".
func describe(node *yaml.RNode, source string) string {
	name := node.GetName()
	if name == "" {
		return source
	}
	return fmt.Sprintf("PodGraft %s (%s)", name, source)
}

// decodeStrict rejects unknown and duplicate fields, naming their paths.
func decodeStrict(raw []byte, out *PodGraft) error {
	strictErrs, err := kjson.UnmarshalStrict(raw, out)
	if err != nil {
		return typeError(err)
	}
	var errs field.ErrorList
	for _, se := range strictErrs {
		var fe interface{ FieldPath() string }
		if !errors.As(se, &fe) {
			errs = append(errs, field.InternalError(nil, se))
			continue
		}
		path := fe.FieldPath()
		switch {
		case strings.HasPrefix(se.Error(), "unknown field"):
			errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: path, BadValue: field.OmitValueType{}, Detail: "unknown field"})
		default:
			errs = append(errs, field.Duplicate(field.NewPath(path), nil))
		}
	}
	if len(errs) > 0 {
		return unknownFieldsError(errs)
	}
	return nil
}

// unknownFieldsError prints "spec.sidecars[0].imagee: unknown field", the
// form kubectl users know, rather than field.Error's "Unsupported value".
type unknownFieldsError field.ErrorList

func (e unknownFieldsError) Error() string {
	msgs := make([]string, 0, len(e))
	for _, fe := range e {
		if fe.Type == field.ErrorTypeNotSupported {
			msgs = append(msgs, fe.Field+": unknown field")
		} else {
			msgs = append(msgs, fe.Error())
		}
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// typeError turns a JSON type mismatch into "path: expected X, got Y".
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// encoding/json names embedded structs by their Go type
		// (spec.sidecars.Container.ports); users know only JSON names.
		var parts []string
		for _, seg := range strings.Split(te.Field, ".") {
			if seg != "" && (seg[0] < 'A' || seg[0] > 'Z') {
				parts = append(parts, seg)
			}
		}
		path := strings.Join(parts, ".")
		if path == "" {
			path = "(root)"
		}
		return fmt.Errorf("%s: expected %s, got %s", path, te.Type.String(), te.Value)
	}
	return err
}

// nodeToJSON converts YAML to JSON, rejecting duplicate keys on the way.
func nodeToJSON(node *yaml.RNode) ([]byte, error) {
	s, err := node.String()
	if err != nil {
		return nil, err
	}
	raw, err := sigsyaml.YAMLToJSONStrict([]byte(s))
	if err != nil {
		return nil, cleanYAMLError(err)
	}
	return raw, nil
}

func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	return errors.New(msg)
}

// specHash identifies a spec version: sha256 over its canonical JSON.
func specHash(spec Spec) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	_ = enc.Encode(spec) // a plain struct of strings, slices and maps cannot fail
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])[:10]
}
