package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func workloads(t *testing.T) []*yaml.RNode {
	t.Helper()
	docs := []string{
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {tier: web, app.kubernetes.io/part-of: shop}, annotations: {team: shop}}
spec: {template: {spec: {containers: [{name: web, image: w}]}}}`,
		`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data, labels: {tier: data}}
spec: {template: {spec: {containers: [{name: db, image: d}]}}}`,
		`apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop, annotations: {helm.sh/hook: pre-install}}
spec: {template: {spec: {containers: [{name: m, image: m}]}}}`,
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop, annotations: {podgraft.dev/inject: "false"}}
spec: {template: {spec: {containers: [{name: l, image: l}]}}}`,
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: api-orders, namespace: shop, labels: {tier: api, app.kubernetes.io/part-of: shop}}
spec: {template: {metadata: {annotations: {podgraft.dev/inject: "false"}}, spec: {containers: [{name: a, image: a}]}}}`,
		`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {tier: web}}
spec: {}`,
	}
	var out []*yaml.RNode
	for _, d := range docs {
		out = append(out, yaml.MustParse(d))
	}
	return out
}

func names(nodes []*yaml.RNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.GetName())
	}
	return out
}

func TestSelect(t *testing.T) {
	sel := func(s string) labels.Selector {
		l, err := labels.Parse(s)
		require.NoError(t, err)
		return l
	}
	tests := map[string]struct {
		s            transformers.Select
		want         []string
		wantWarnings int
	}{
		"everything: hooks and opt-outs skipped with warnings": {
			s: transformers.Select{}, want: []string{"web", "db"}, wantWarnings: 3,
		},
		"hooks included": {
			s: transformers.Select{HelmHooks: true}, want: []string{"web", "db", "migrate"}, wantWarnings: 2,
		},
		"kinds": {
			s: transformers.Select{Targets: transformers.Match{Kinds: []string{"StatefulSet"}}}, want: []string{"db"},
		},
		"group/kind": {
			s: transformers.Select{Targets: transformers.Match{Kinds: []string{"apps/Deployment"}}}, want: []string{"web"}, wantWarnings: 2,
		},
		"group/kind of the wrong group": {
			s: transformers.Select{Targets: transformers.Match{Kinds: []string{"batch/Deployment"}}},
		},
		"names glob": {
			s: transformers.Select{Targets: transformers.Match{Names: []string{"w*", "d?"}}}, want: []string{"web", "db"},
		},
		"namespaces": {
			s: transformers.Select{Targets: transformers.Match{Namespaces: []string{"data"}}}, want: []string{"db"},
		},
		"label selector": {
			s: transformers.Select{Targets: transformers.Match{Labels: sel("app.kubernetes.io/part-of=shop,tier notin (api)")}}, want: []string{"web"},
		},
		"annotations": {
			s: transformers.Select{Targets: transformers.Match{Annotations: map[string]string{"team": "shop"}}}, want: []string{"web"},
		},
		"every given field must match": {
			s: transformers.Select{Targets: transformers.Match{Kinds: []string{"Deployment"}, Namespaces: []string{"data"}}},
		},
		"exclude: any given field excludes": {
			s: transformers.Select{Exclude: transformers.Match{Names: []string{"web"}, Namespaces: []string{"nowhere"}}}, want: []string{"db"}, wantWarnings: 3,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			results := &transformers.Results{}
			tc.s.Results = results
			got, err := tc.s.Filter(workloads(t))
			require.NoError(t, err)
			require.Equal(t, tc.want, names(got))
			require.Len(t, results.Items, tc.wantWarnings, "%v", results.Items)
		})
	}
}
