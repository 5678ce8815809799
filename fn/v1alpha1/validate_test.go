package v1alpha1_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// validationCase is a spec (indented under "spec:") and the messages its
// validation must give; none for a valid spec.
type validationCase struct {
	spec string
	want []string
}

// errorStart finds where each message of an error list begins.
var errorStart = regexp.MustCompile(`(?:^|[\[\s])spec\.`)

func runValidation(t *testing.T, cases map[string]validationCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decode(t, header+"spec:"+tc.spec+"\n")
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.Len(t, errorStart.FindAllString(err.Error(), -1), len(tc.want), "exactly the expected errors: %s", err)
		})
	}
}

// TestEnums: the enum fields of the Kubernetes types in a config are
// checked as the API server checks them, wherever they appear, with the
// field path and the values it accepts.
func TestEnums(t *testing.T) {
	runValidation(t, map[string]validationCase{
		"the values the API server takes": {spec: `
  sidecars:
  - name: a
    image: x
    imagePullPolicy: IfNotPresent
    terminationMessagePolicy: FallbackToLogsOnError
    ports: [{containerPort: 53, protocol: UDP}, {containerPort: 80, protocol: TCP}, {containerPort: 81}]
    readinessProbe: {httpGet: {path: /, port: 80, scheme: HTTPS}}
    lifecycle: {preStop: {httpGet: {path: /stop, port: 80, scheme: HTTP}}, stopSignal: SIGQUIT}
    securityContext: {procMount: Default, seccompProfile: {type: RuntimeDefault}, appArmorProfile: {type: Unconfined}}
    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
    resources: {limits: {cpu: 1, memory: 1Gi, ephemeral-storage: 1Gi, hugepages-2Mi: 2Mi, example.com/gpu: 1}}
    volumeMounts: [{name: data, mountPath: /d, mountPropagation: HostToContainer}]
  volumes:
  - {name: data, hostPath: {path: /var/data, type: DirectoryOrCreate}}
  - {name: disk, azureDisk: {diskName: d, diskURI: "https://a.blob.core.windows.net/c/d.vhd", cachingMode: ReadOnly, kind: Shared}}
  - name: scratch
    ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], volumeMode: Filesystem, resources: {requests: {storage: 1Gi}}}}}`},
		"imagePullPolicy of a sidecar": {spec: `
  sidecars: [{name: a, image: x, imagePullPolicy: Sometimes}]`,
			want: []string{`spec.sidecars[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`}},
		"imagePullPolicy of an init container": {spec: `
  initContainers: [{name: a, image: x, imagePullPolicy: always}]`,
			want: []string{`spec.initContainers[0].imagePullPolicy: Unsupported value: "always"`}},
		"protocol in lower case": {spec: `
  sidecars: [{name: a, image: x, ports: [{containerPort: 80}, {containerPort: 81, protocol: tcp}]}]`,
			want: []string{`spec.sidecars[0].ports[1].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"`}},
		"terminationMessagePolicy": {spec: `
  sidecars: [{name: a, image: x, terminationMessagePolicy: Logs}]`,
			want: []string{`spec.sidecars[0].terminationMessagePolicy: Unsupported value: "Logs": supported values: "FallbackToLogsOnError", "File"`}},
		"scheme of a grafted probe": {spec: `
  probes: [{readiness: {httpGet: {path: /, port: 80, scheme: https}}}]`,
			want: []string{`spec.probes[0].readiness.httpGet.scheme: Unsupported value: "https": supported values: "HTTP", "HTTPS"`}},
		"scheme of a sidecar's own probe and lifecycle hook": {spec: `
  sidecars:
  - name: a
    image: x
    livenessProbe: {httpGet: {path: /, port: 80, scheme: FTP}}
    lifecycle: {postStart: {httpGet: {path: /, port: 80, scheme: ftp}}}`,
			want: []string{
				`spec.sidecars[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP"`,
				`spec.sidecars[0].lifecycle.postStart.httpGet.scheme: Unsupported value: "ftp"`,
			}},
		"stop signal": {spec: `
  sidecars: [{name: a, image: x, lifecycle: {stopSignal: SIGTREM}}]`,
			want: []string{`spec.sidecars[0].lifecycle.stopSignal: Unsupported value: "SIGTREM": supported values: "SIGABRT",`}},
		"security context": {spec: `
  sidecars:
  - name: a
    image: x
    securityContext: {procMount: Masked, seccompProfile: {type: runtime/default}, appArmorProfile: {type: ""}}`,
			want: []string{
				`spec.sidecars[0].securityContext.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"`,
				`spec.sidecars[0].securityContext.seccompProfile.type: Unsupported value: "runtime/default": supported values: "Localhost", "RuntimeDefault", "Unconfined"`,
				`spec.sidecars[0].securityContext.appArmorProfile.type: Unsupported value: "": supported values: "Localhost", "RuntimeDefault", "Unconfined"`,
			}},
		"resize policy": {spec: `
  sidecars: [{name: a, image: x, resizePolicy: [{resourceName: gpu, restartPolicy: Restart}]}]`,
			want: []string{
				`spec.sidecars[0].resizePolicy[0].resourceName: Unsupported value: "gpu": supported values: "cpu", "memory"`,
				`spec.sidecars[0].resizePolicy[0].restartPolicy: Unsupported value: "Restart": supported values: "NotRequired", "RestartContainer"`,
			}},
		"restart rules": {spec: `
  sidecars: [{name: a, image: x, restartPolicy: Always, restartPolicyRules: [{action: Stop, exitCodes: {operator: Is, values: [1]}}]}]`,
			want: []string{
				`spec.sidecars[0].restartPolicyRules[0].action: Unsupported value: "Stop": supported values: "Restart", "RestartAllContainers"`,
				`spec.sidecars[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Is": supported values: "In", "NotIn"`,
			}},
		"a sidecar's own volume mounts": {spec: `
  sidecars: [{name: a, image: x, volumeMounts: [{name: v, mountPath: /v, mountPropagation: Shared, readOnly: true, recursiveReadOnly: Always}]}]`,
			want: []string{
				`spec.sidecars[0].volumeMounts[0].mountPropagation: Unsupported value: "Shared": supported values: "Bidirectional", "HostToContainer", "None"`,
				`spec.sidecars[0].volumeMounts[0].recursiveReadOnly: Unsupported value: "Always": supported values: "Disabled", "Enabled", "IfPossible"`,
			}},
		"resource names": {spec: `
  sidecars: [{name: a, image: x, resources: {limits: {gpu: 1}, requests: {cpus: 1, example.com/Bad_: 1}}}]`,
			want: []string{
				`spec.sidecars[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers (cpu, ephemeral-storage, memory, hugepages-<size>)`,
				`spec.sidecars[0].resources.requests[cpus]: Invalid value: "cpus"`,
				`spec.sidecars[0].resources.requests[example.com/Bad_]: Invalid value: "example.com/Bad_"`,
			}},
		"hostPath type": {spec: `
  volumes: [{name: data, hostPath: {path: /var/data, type: Dir}}]`,
			want: []string{`spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"`}},
		"an ephemeral volume's claim": {spec: `
  volumes:
  - name: scratch
    ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce, ReadWriteAll], volumeMode: Raw, resources: {requests: {storage: 1Gi}}}}}`,
			want: []string{
				`spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes[1]: Unsupported value: "ReadWriteAll": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
				`spec.volumes[0].ephemeral.volumeClaimTemplate.spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"`,
			}},
		"azure disk": {spec: `
  volumes: [{name: disk, azureDisk: {diskName: d, diskURI: "https://a.blob.core.windows.net/c/d.vhd", cachingMode: All, kind: Big}}]`,
			want: []string{
				`spec.volumes[0].azureDisk.cachingMode: Unsupported value: "All": supported values: "None", "ReadOnly", "ReadWrite"`,
				`spec.volumes[0].azureDisk.kind: Unsupported value: "Big": supported values: "Dedicated", "Managed", "Shared"`,
			}},
	})
}

// TestContainerParts: what the API server checks in a grafted container's
// own ports, env, probes and hooks, podgraft checks before it grafts.
func TestContainerParts(t *testing.T) {
	runValidation(t, map[string]validationCase{
		"valid parts": {spec: `
  sidecars:
  - name: a
    image: x
    ports: [{name: proxy, containerPort: 8080, hostPort: 80}, {containerPort: 9090}]
    env: [{name: UPSTREAM, value: x}, {name: "1 relaxed.name", value: z}]
    readinessProbe: {httpGet: {path: /, port: proxy}}
    livenessProbe: {tcpSocket: {port: 8080}}
    startupProbe: {grpc: {port: 9090}, failureThreshold: 30}
    lifecycle: {preStop: {sleep: {seconds: 5}}, postStart: {exec: {command: [warm]}}}
  initContainers:
  - {name: b, image: x, ports: [{containerPort: 9000}], env: [{name: A, value: b}]}`},
		"port without a number": {spec: `
  sidecars: [{name: a, image: x, ports: [{name: proxy}]}]`,
			want: []string{`spec.sidecars[0].ports[0].containerPort: Required value`}},
		"port numbers out of range": {spec: `
  initContainers: [{name: a, image: x, ports: [{containerPort: 70000, hostPort: -1}]}]`,
			want: []string{
				`spec.initContainers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
				`spec.initContainers[0].ports[0].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive`,
			}},
		"port name": {spec: `
  sidecars: [{name: a, image: x, ports: [{name: Proxy_1, containerPort: 80}]}]`,
			want: []string{`spec.sidecars[0].ports[0].name: Invalid value: "Proxy_1"`}},
		"env names": {spec: `
  sidecars: [{name: a, image: x, env: [{value: x}, {name: "A=B"}]}]`,
			want: []string{
				`spec.sidecars[0].env[0].name: Required value`,
				`spec.sidecars[0].env[1].name: Invalid value: "A=B"`,
			}},
		"a sidecar's own probes": {spec: `
  sidecars:
  - name: a
    image: x
    readinessProbe: {periodSeconds: 5}
    livenessProbe: {exec: {command: [x]}, successThreshold: 2}
    startupProbe: {tcpSocket: {port: 0}}`,
			want: []string{
				`spec.sidecars[0].readinessProbe: Required value: one handler`,
				`spec.sidecars[0].livenessProbe.successThreshold: Invalid value: 2: must be 1 for liveness and startup probes`,
				`spec.sidecars[0].startupProbe.tcpSocket.port: Invalid value: 0`,
			}},
		"hooks": {spec: `
  sidecars:
  - name: a
    image: x
    lifecycle:
      postStart: {exec: {command: []}}
      preStop: {httpGet: {path: /, port: 80}, sleep: {seconds: -1}}`,
			want: []string{
				`spec.sidecars[0].lifecycle.postStart.exec.command: Required value`,
				`spec.sidecars[0].lifecycle.preStop.sleep.seconds: Invalid value: -1`,
				`spec.sidecars[0].lifecycle.preStop: Forbidden: hook with 2 handlers (httpGet, sleep)`,
			}},
		"a hook without a handler": {spec: `
  sidecars: [{name: a, image: x, lifecycle: {preStop: {}}}]`,
			want: []string{`spec.sidecars[0].lifecycle.preStop: Required value: one handler: exec, httpGet, tcpSocket or sleep`}},
		"hooks on an init container": {spec: `
  initContainers: [{name: a, image: x, lifecycle: {preStop: {sleep: {seconds: 1}}}}]`,
			want: []string{`spec.initContainers[0].lifecycle: Forbidden`}},
	})
}

// TestNullsAreUnset: an explicit null is accepted wherever a value is
// optional, and the grafted parts do not carry it.
func TestNullsAreUnset(t *testing.T) {
	pg, err := decode(t, header+`spec:
  targets: null
  sidecars:
  - {name: a, image: x, native: null, ports: null, resources: {limits: null, requests: {cpu: 1}}, env: [{name: A, value: null}]}
  volumes:
  - {name: v, emptyDir: {}, hostPath: null, mounts: [{containers: [a], mountPath: /v, subPath: null}]}
`)
	require.NoError(t, err)
	require.True(t, pg.Spec.Sidecars[0].IsNative())
	sidecar, err := yaml.NewRNode(pg.Spec.Sidecars[0].Node).String()
	require.NoError(t, err)
	require.Equal(t, "{name: a, image: x, resources: {requests: {cpu: 1}}, env: [{name: A}]}\n", sidecar)
	volume, err := yaml.NewRNode(pg.Spec.Volumes[0].Node).String()
	require.NoError(t, err)
	require.Equal(t, "{name: v, emptyDir: {}}\n", volume)
	mount, err := yaml.NewRNode(pg.Spec.Volumes[0].Mounts[0].Node).String()
	require.NoError(t, err)
	require.Equal(t, "{mountPath: /v}\n", mount)
}
