package transformers_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/transformers"
)

func TestSecurity(t *testing.T) {
	const restricted = `{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}`
	cases := map[string]struct {
		profile string
		spec    string
		record  string
		// want maps "list/container" to its securityContext JSON ("" = none).
		want     map[string]string
		wantWarn []string
	}{
		"restricted fills the grafted containers, not the app's or another graft's": {
			profile: transformers.ProfileRestricted,
			record:  `{"edge":{"hash":"x","initContainers":["migrate"],"sidecars":["nginx"],"containers":["log"]},"other":{"hash":"y","sidecars":["mesh"]}}`,
			spec: `      initContainers:
      - {name: migrate, image: m}
      - {name: nginx, image: n, restartPolicy: Always}
      - {name: mesh, image: s, restartPolicy: Always}
      containers:
      - {name: web, image: w, securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}}
      - {name: log, image: l}
`,
			want: map[string]string{
				"initContainers/migrate": restricted,
				"initContainers/nginx":   restricted,
				"containers/log":         restricted,
				"initContainers/mesh":    "",
				"containers/web":         restricted,
			},
		},
		"set fields are kept, unset ones filled": {
			profile: transformers.ProfileRestricted,
			record:  `{"edge":{"hash":"x","sidecars":["nginx"]}}`,
			spec: `      initContainers:
      - {name: nginx, image: n, restartPolicy: Always, securityContext: {runAsUser: 101, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, seccompProfile: {type: Localhost, localhostProfile: p.json}}}
      containers:
      - {name: web, image: w, securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}}
`,
			want: map[string]string{
				"initContainers/nginx": `{"allowPrivilegeEscalation":false,"capabilities":{"add":["NET_BIND_SERVICE"],"drop":["ALL"]},"runAsNonRoot":true,"runAsUser":101,"seccompProfile":{"localhostProfile":"p.json","type":"Localhost"}}`,
			},
		},
		"the pod's own containers that violate are listed, grouped; pod-level settings count": {
			profile: transformers.ProfileRestricted,
			record:  `{"edge":{"hash":"x","sidecars":["nginx"]}}`,
			spec: `      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      initContainers:
      - {name: setup, image: s}
      - {name: nginx, image: n, restartPolicy: Always}
      containers:
      - {name: web, image: w}
      - {name: api, image: a, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: false}}
      - {name: ok, image: o, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
`,
			want: map[string]string{"initContainers/nginx": restricted, "containers/web": ""},
			wantWarn: []string{`spec.template.spec.containers: edge (securityProfile: restricted): the pod's own containers would still violate Pod Security "restricted": ` +
				`setup, web (allowPrivilegeEscalation is not false, capabilities.drop does not include ALL); api (runAsNonRoot is not true)`},
		},
		"a pod that runs as root: runAsNonRoot is left unset and reported": {
			profile: transformers.ProfileRestricted,
			record:  `{"edge":{"hash":"x","sidecars":["nginx"]}}`,
			spec: `      securityContext: {runAsUser: 0}
      initContainers:
      - {name: nginx, image: n, restartPolicy: Always}
      containers:
      - {name: web, image: w, securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}}
`,
			want:     map[string]string{"initContainers/nginx": `{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}`},
			wantWarn: []string{`spec.template.spec.securityContext: edge (securityProfile: restricted): grafted containers still violate Pod Security "restricted" because of the pod's own settings: nginx (runAsNonRoot is not true)`},
		},
		"profile none changes nothing": {
			profile: "none",
			record:  `{"edge":{"hash":"x","sidecars":["nginx"]}}`,
			spec: `      initContainers:
      - {name: nginx, image: n, restartPolicy: Always}
      containers:
      - {name: web, image: w}
`,
			want: map[string]string{"initContainers/nginx": "", "containers/web": ""},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := probeTestPod(t, tc.spec)
			require.NoError(t, r.PipeE(yaml.Lookup("spec", "template"), yaml.SetAnnotation(transformers.RecordAnnotation, tc.record)))
			results := &transformers.Results{}
			_, err := transformers.Security{Graft: "edge", Profile: tc.profile, Results: results}.Filter([]*yaml.RNode{r})
			require.NoError(t, err)
			for key, want := range tc.want {
				list, container, _ := strings.Cut(key, "/")
				require.Equal(t, want, probeOf(t, r, list, container, "securityContext"), key)
			}
			var warns []string
			for _, res := range results.Items {
				require.Equal(t, framework.Warning, res.Severity)
				warns = append(warns, res.Field.Path+": "+res.Message)
			}
			require.Equal(t, tc.wantWarn, warns)
		})
	}
}

func TestRestrictedViolations(t *testing.T) {
	cases := map[string]struct {
		container, pod string
		want           []string
	}{
		"compliant container": {
			container: `{securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}}`,
		},
		"bare container": {
			container: `{name: web}`,
			want: []string{"allowPrivilegeEscalation is not false", "runAsNonRoot is not true",
				"capabilities.drop does not include ALL", "seccompProfile.type is not RuntimeDefault or Localhost"},
		},
		"pod-level runAsNonRoot and seccompProfile are inherited": {
			container: `{securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}`,
			pod:       `{runAsNonRoot: true, seccompProfile: {type: Localhost}}`,
		},
		"the container overrides the pod": {
			container: `{securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: false, capabilities: {drop: [ALL]}, seccompProfile: {type: Unconfined}}}`,
			pod:       `{runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}`,
			want:      []string{"runAsNonRoot is not true", "seccompProfile.type is not RuntimeDefault or Localhost"},
		},
		"dropping some capabilities is not enough": {
			container: `{securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [NET_RAW]}, seccompProfile: {type: RuntimeDefault}}}`,
			want:      []string{"capabilities.drop does not include ALL"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var pod *yaml.Node
			if tc.pod != "" {
				pod = yaml.MustParse(tc.pod).YNode()
			}
			require.Equal(t, tc.want, transformers.RestrictedViolations(yaml.MustParse(tc.container).YNode(), pod))
		})
	}
}
