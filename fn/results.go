package fn

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/podgraft/podgraft/transformers"
)

// FormatResult renders a result for stderr in standalone mode:
//
//	podgraft: <severity>: <Kind> <ns>/<name>: <field>: <message> (<file>, document <n>)
func FormatResult(r *framework.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "podgraft: %s: ", r.Severity)
	if r.ResourceRef != nil {
		b.WriteString(transformers.DescribeRef(r.ResourceRef))
		b.WriteString(": ")
	}
	if r.Field != nil && r.Field.Path != "" && !strings.HasPrefix(r.Message, r.Field.Path) {
		b.WriteString(r.Field.Path)
		b.WriteString(": ")
	}
	b.WriteString(r.Message)
	if r.File != nil && r.File.Path != "" {
		fmt.Fprintf(&b, " (%s, document %d)", r.File.Path, r.File.Index)
	}
	return b.String()
}

// ErrorLines are the lines standalone mode prints for err, after
// "podgraft: error: ": one per error it joins (every error of a config,
// each with its field path, or those of errors.Join), else err whole.
func ErrorLines(err error) []string {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []string{err.Error()}
	}
	var lines []string
	for _, e := range joined.Unwrap() {
		lines = append(lines, ErrorLines(e)...)
	}
	return lines
}
