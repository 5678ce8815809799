package guard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// billionLaughs is an n-level alias bomb: 9^n strings once expanded.
func billionLaughs(n int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func parseNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(s), &n))
	return n.Content[0]
}

func TestCheckAliases(t *testing.T) {
	deep := func(levels, perLevel int) string {
		// Each anchor nests perLevel lists around the previous alias: the
		// text stays shallow, the expansion does not.
		var b strings.Builder
		b.WriteString("a0: &a0 x\n")
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, "a%d: &a%d %s*a%d%s\n", i, i, strings.Repeat("[", perLevel), i-1, strings.Repeat("]", perLevel))
		}
		return b.String()
	}
	for name, tc := range map[string]struct {
		doc     string
		max     int64
		wantErr string
	}{
		"no aliases":               {doc: "a: [1, 2, {b: c}]", max: 0},
		"a few aliases":            {doc: "env: &env [{name: A, value: x}]\nmore: *env\nagain: *env", max: 100},
		"merge key":                {doc: "base: &b {x: 1}\nderived: {<<: *b, y: 2}", max: 10},
		"billion laughs":           {doc: billionLaughs(9), max: MaxAliasNodes, wantErr: "aliases would expand this document by 490328964 nodes, more than the limit of 1000000"},
		"bomb over the saturation": {doc: billionLaughs(30), max: MaxAliasNodes, wantErr: "by more than 10^18 nodes"},
		"small bomb, config limit": {doc: billionLaughs(5), max: MaxConfigAliasNodes, wantErr: "more than the limit of 10000"},
		"cycle":                    {doc: "a: &a [x, *a]", max: MaxAliasNodes, wantErr: "YAML alias *a (line 1): refers to a node that contains the alias itself"},
		"cycle in a mapping":       {doc: "a: &a\n  b: *a\n", max: MaxAliasNodes, wantErr: "alias *a (line 2)"},
		"deep through aliases":     {doc: deep(30, 500), max: MaxAliasNodes, wantErr: "aliases would nest this document 15002 levels deep, more than the limit of 10000"},
	} {
		t.Run(name, func(t *testing.T) {
			n := parseNode(t, tc.doc)
			start := time.Now()
			err := CheckAliases(n, MaxResourceNodes, tc.max)
			require.Less(t, time.Since(start), time.Second, "the check must stay linear in the text")
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestCheckAliasesNodeLimit(t *testing.T) {
	n := parseNode(t, "list: ["+strings.Repeat("1, ", 2000)+"1]")
	require.ErrorContains(t, CheckAliases(n, 1000, MaxAliasNodes), "more than 1000 YAML nodes (keys, values and list items)")
}

func TestFindDuplicateKey(t *testing.T) {
	for name, tc := range map[string]struct {
		doc, field, key string
	}{
		"none":               {doc: "a: 1\nb: {c: 2, d: 3}\nl: [{x: 1}, {x: 2}]"},
		"top level":          {doc: "a: 1\nb: 2\na: 3", field: "(root)", key: "a"},
		"nested":             {doc: "spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: a\n        image: b\n", field: "spec.template.spec.containers[0]", key: "image"},
		"two keys are fine":  {doc: "a: 1\nb: 2"},
		"merge keys twice":   {doc: "x: &x {a: 1}\ny: &y {b: 1}\nz: {<<: *x, <<: *y}"},
		"alias not followed": {doc: "x: &x {a: 1, b: 2}\ny: *x\nz: *x"},
	} {
		t.Run(name, func(t *testing.T) {
			d := FindDuplicateKey(parseNode(t, tc.doc))
			if tc.key == "" {
				require.Nil(t, d)
				return
			}
			require.NotNil(t, d)
			require.Equal(t, tc.field, d.Field)
			require.Equal(t, tc.key, d.Key)
		})
	}
}
