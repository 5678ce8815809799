package podspec_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/podgraft/podgraft/internal/podspec"
)

func keys(t *testing.T, container string) []string {
	t.Helper()
	var ids []string
	for _, p := range podspec.Ports(yaml.MustParse(container).YNode()) {
		for _, k := range p.Keys {
			ids = append(ids, k.ID)
		}
	}
	return ids
}

func TestPortKeys(t *testing.T) {
	for name, tc := range map[string]struct {
		a, b  string
		clash bool
	}{
		"same number, protocol defaults to TCP": {"ports: [{containerPort: 80}]", "ports: [{containerPort: 80, protocol: TCP}]", true},
		"lower-case protocol is the same port":  {"ports: [{containerPort: 80, protocol: tcp}]", "ports: [{containerPort: 80}]", true},
		"other protocol":                        {"ports: [{containerPort: 53, protocol: UDP}]", "ports: [{containerPort: 53}]", false},
		"hostPort on two host IPs":              {"ports: [{containerPort: 1, hostPort: 80, hostIP: 10.0.0.1}]", "ports: [{containerPort: 2, hostPort: 80, hostIP: 10.0.0.2}]", false},
		"hostPort in upper and lower case":      {"ports: [{containerPort: 1, hostPort: 80, protocol: Udp}]", "ports: [{containerPort: 2, hostPort: 80, protocol: UDP}]", true},
	} {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, id := range keys(t, tc.a) {
				seen[id] = true
			}
			clash := false
			for _, id := range keys(t, tc.b) {
				clash = clash || seen[id]
			}
			require.Equal(t, tc.clash, clash)
		})
	}
}

func TestPortShowsWhatWasWritten(t *testing.T) {
	ports := podspec.Ports(yaml.MustParse("ports: [{containerPort: 80, protocol: tcp}]").YNode())
	require.Len(t, ports, 1)
	require.Equal(t, "80/tcp", ports[0].Keys[0].Show)
	require.Equal(t, "ports[0].containerPort", ports[0].Field(ports[0].Keys[0]))
}
