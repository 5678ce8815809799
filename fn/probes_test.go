package fn_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateProbesAndRestricted(t *testing.T) {
	const hdr = "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: edge}\n"
	tests := map[string]struct{ spec, want string }{
		"no probe in an entry":         {"{probes: [{containers: [web]}]}", "spec.probes[0]: Required value: at least one of readiness, liveness or startup"},
		"no handler":                   {"{probes: [{readiness: {periodSeconds: 5}}]}", "spec.probes[0].readiness: Required value: one handler: exec, httpGet, tcpSocket or grpc"},
		"two handlers":                 {"{probes: [{liveness: {exec: {command: [x]}, grpc: {port: 9000}}}]}", "spec.probes[0].liveness: Forbidden: probe with 2 handlers (exec, grpc)"},
		"empty exec command":           {"{probes: [{liveness: {exec: {}}}]}", "spec.probes[0].liveness.exec.command: Required value"},
		"port out of range":            {"{probes: [{readiness: {tcpSocket: {port: 0}}}]}", "spec.probes[0].readiness.tcpSocket.port: Invalid value: 0: must be between 1 and 65535"},
		"port name not a name":         {"{probes: [{readiness: {httpGet: {port: 'http_port'}}}]}", `spec.probes[0].readiness.httpGet.port: Invalid value: "http_port"`},
		"grpc port":                    {"{probes: [{startup: {grpc: {port: 70000}}}]}", "spec.probes[0].startup.grpc.port: Invalid value: 70000"},
		"liveness succeeds once":       {"{probes: [{liveness: {tcpSocket: {port: 80}, successThreshold: 2}}]}", "spec.probes[0].liveness.successThreshold: Invalid value: 2: must be 1"},
		"negative period":              {"{probes: [{readiness: {tcpSocket: {port: 80}, periodSeconds: -1}}]}", "spec.probes[0].readiness.periodSeconds: Invalid value: -1"},
		"bad glob":                     {"{probes: [{containers: ['web['], readiness: {tcpSocket: {port: 80}}}]}", `spec.probes[0].containers[0]: Invalid value: "web[": is not a valid glob`},
		"empty container":              {"{probes: [{containers: [''], readiness: {tcpSocket: {port: 80}}}]}", "spec.probes[0].containers[0]: Required value"},
		"restricted: hostPath":         {"{securityProfile: restricted, volumes: [{name: c, hostPath: {path: /x}}]}", "spec.volumes[0].hostPath: Forbidden: securityProfile: restricted forbids hostPath volumes"},
		"restricted: escalation":       {"{securityProfile: restricted, sidecars: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: true}}]}", "spec.sidecars[0].securityContext.allowPrivilegeEscalation: Forbidden"},
		"restricted: runAsNonRoot":     {"{securityProfile: restricted, initContainers: [{name: a, image: x, securityContext: {runAsNonRoot: false}}]}", "spec.initContainers[0].securityContext.runAsNonRoot: Forbidden"},
		"restricted: drop without ALL": {"{securityProfile: restricted, sidecars: [{name: a, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}]}", "spec.sidecars[0].securityContext.capabilities.drop: Invalid value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decode(t, hdr+"spec: "+tc.spec)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// What restricted allows, and hostPath without the profile, pass.
	for _, ok := range []string{
		"{securityProfile: restricted, sidecars: [{name: a, image: x, securityContext: {runAsUser: 101, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, seccompProfile: {type: Localhost, localhostProfile: p.json}}}]}",
		"{volumes: [{name: c, hostPath: {path: /x}}]}",
		"{probes: [{containers: ['api-*', web], readiness: {httpGet: {path: /, port: http}}, liveness: {grpc: {port: 9000}}, startup: {exec: {command: [x]}, failureThreshold: 30}}]}",
	} {
		_, err := decode(t, hdr+"spec: "+ok)
		require.NoError(t, err, ok)
	}
}
