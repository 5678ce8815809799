package transformers_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func TestLocatorTemplates(t *testing.T) {
	rollout := transformers.TemplateKind{Group: "argoproj.io", Kind: "Rollout", Path: []string{"spec", "template"}}
	tests := map[string]struct {
		doc      string
		custom   []transformers.TemplateKind
		wantPath []string // template paths; nil: not a workload
		wantErr  string
	}{
		"Deployment":                  {doc: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"extensions Deployment":       {doc: "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"StatefulSet":                 {doc: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"DaemonSet":                   {doc: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"ReplicaSet":                  {doc: "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"ReplicationController":       {doc: "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"Job":                         {doc: "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {template: {spec: {}}}", wantPath: []string{"spec.template"}},
		"CronJob":                     {doc: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\nspec: {jobTemplate: {spec: {template: {spec: {}}}}}", wantPath: []string{"spec.jobTemplate.spec.template"}},
		"Pod":                         {doc: "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {}", wantPath: []string{""}},
		"PodTemplate":                 {doc: "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: a}\ntemplate: {spec: {}}", wantPath: []string{"template"}},
		"custom kind":                 {doc: "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a}\nspec: {template: {spec: {}}}", custom: []transformers.TemplateKind{rollout}, wantPath: []string{"spec.template"}},
		"custom kind undeclared":      {doc: "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a}\nspec: {template: {spec: {}}}"},
		"Deployment of another group": {doc: "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {}}}"},
		"Service":                     {doc: "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}"},
		"workload without template":   {doc: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {}", wantPath: []string{}},
		"template is a scalar":        {doc: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: n}\nspec: {template: x}", wantErr: "Deployment n/a: spec.template must be a mapping, not a scalar"},
		"jobTemplate is a list":       {doc: "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\nspec: {jobTemplate: []}", wantErr: "CronJob a: spec.jobTemplate must be a mapping, not a list"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := yaml.MustParse(tc.doc)
			got, err := transformers.Locator{Custom: tc.custom}.Templates(r)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.wantPath == nil {
				require.Empty(t, got)
				_, isWorkload := transformers.Locator{Custom: tc.custom}.Kind(r)
				require.False(t, isWorkload)
				return
			}
			var paths []string
			for _, tmpl := range got {
				paths = append(paths, tmpl.Path)
				require.Same(t, r, tmpl.Resource)
				require.NotNil(t, tmpl.Node.Field("spec"), "the template node must be the mapping holding spec")
			}
			if len(tc.wantPath) == 0 {
				require.Empty(t, paths)
			} else {
				require.Equal(t, tc.wantPath, paths)
			}
		})
	}
}
