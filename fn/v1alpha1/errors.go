package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/node"
)

// FieldError is one error in a PodGraft config, at its field path.
type FieldError struct {
	// Config names the PodGraft, as Describe does: "PodGraft edge
	// (graft.yaml, document 1)".
	Config string
	// Name is the PodGraft's metadata.name, "" when it has none.
	Name string
	// Field is the path, "spec.sidecars[0].image"; Detail says what is
	// wrong there, "Required value".
	Field, Detail string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Config + ": " + e.Detail
	}
	return e.Config + ": " + e.Field + ": " + e.Detail
}

// ConfigErrors are every error found in one PodGraft config. Its text is
// one line per error, each with its field path; Unwrap gives them one by
// one, so that each is printed on its own line or becomes a result of its
// own, rather than field.ErrorList's one bracketed line.
type ConfigErrors []*FieldError

func (e ConfigErrors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, as errors.Join's does.
func (e ConfigErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

// NewConfigErrors turns the errors found in the PodGraft document n (named
// source, see Decode) into ConfigErrors.
func NewConfigErrors(n *yaml.Node, source string, errs field.ErrorList) ConfigErrors {
	out := make(ConfigErrors, len(errs))
	for i, fe := range errs {
		out[i] = newFieldError(n, source, fe.Field, fe.ErrorBody())
	}
	return out
}

func newFieldError(n *yaml.Node, source, path, detail string) *FieldError {
	return &FieldError{Config: Describe(n, source), Name: node.Str(node.Lookup(n, "metadata"), "name"), Field: path, Detail: detail}
}
