package fn_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/fn"
)

// runStream runs configs over input, named in.yaml, in mode.
func runStream(t *testing.T, mode fn.Mode, input string, configs ...*fn.Config) ([]byte, framework.Results, error) {
	t.Helper()
	e, err := fn.NewEngine(configs, fn.Options{Mode: mode})
	require.NoError(t, err)
	return fn.RunStream(fn.Options{Mode: mode}, e, []fn.Input{{Name: "in.yaml", Reader: strings.NewReader(input)}})
}

// decodeConfig decodes a config from its YAML text.
func decodeConfig(t *testing.T, doc, source, dir string) (*fn.Config, error) {
	t.Helper()
	return fn.DecodeConfig(yaml.MustParse(doc).YNode(), source, dir)
}

// errorLines renders the error results as standalone mode prints them.
func errorLines(results framework.Results) []string {
	var out []string
	for _, r := range results {
		if r.Severity == framework.Error {
			out = append(out, fn.FormatResult(r))
		}
	}
	return out
}
