//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/fn/v1alpha1"
	"github.com/podgraft/podgraft/internal/testcluster"
)

// enumCarrier puts one value of an enum field into a sidecar (the flow
// mapping fields after name and image) or into a volume (its source), and
// says what the pod needs besides.
type enumCarrier struct {
	sidecar func(value string, i int) string
	volume  func(value string) string
	pod     string // more pod spec fields
}

func fields(format string) func(string, int) string {
	return func(v string, _ int) string { return fmt.Sprintf(format, v) }
}

func source(format string) func(string) string {
	return func(v string) string { return fmt.Sprintf(format, v) }
}

// enumCarriers has one entry for each of v1alpha1.Enums, by Type.field.
var enumCarriers = map[string]enumCarrier{
	"Container.imagePullPolicy":          {sidecar: fields("imagePullPolicy: %q")},
	"Container.terminationMessagePolicy": {sidecar: fields("terminationMessagePolicy: %q")},
	"ContainerPort.protocol": {sidecar: func(v string, i int) string {
		return fmt.Sprintf("ports: [{containerPort: %d, protocol: %q}]", 1000+i, v)
	}},
	"ContainerResizePolicy.resourceName":       {sidecar: fields("resizePolicy: [{resourceName: %q, restartPolicy: NotRequired}]")},
	"ContainerResizePolicy.restartPolicy":      {sidecar: fields("resizePolicy: [{resourceName: cpu, restartPolicy: %q}]")},
	"ContainerRestartRule.action":              {sidecar: fields("restartPolicyRules: [{action: %q, exitCodes: {operator: In, values: [42]}}]")},
	"ContainerRestartRuleOnExitCodes.operator": {sidecar: fields("restartPolicyRules: [{action: Restart, exitCodes: {operator: %q, values: [42]}}]")},
	"HTTPGetAction.scheme":                     {sidecar: fields("readinessProbe: {httpGet: {path: /, port: 80, scheme: %q}}")},
	"SecurityContext.procMount":                {sidecar: fields("securityContext: {procMount: %q}"), pod: "hostUsers: false"},
	"SeccompProfile.type": {sidecar: func(v string, _ int) string {
		if v == "Localhost" {
			return "securityContext: {seccompProfile: {type: Localhost, localhostProfile: profile.json}}"
		}
		return fmt.Sprintf("securityContext: {seccompProfile: {type: %q}}", v)
	}},
	"AppArmorProfile.type": {sidecar: func(v string, _ int) string {
		if v == "Localhost" {
			return "securityContext: {appArmorProfile: {type: Localhost, localhostProfile: profile}}"
		}
		return fmt.Sprintf("securityContext: {appArmorProfile: {type: %q}}", v)
	}},
	// Bidirectional propagation is for privileged containers only.
	"VolumeMount.mountPropagation":  {sidecar: fields("securityContext: {privileged: true}, volumeMounts: [{name: data, mountPath: /data, mountPropagation: %q}]")},
	"VolumeMount.recursiveReadOnly": {sidecar: fields("volumeMounts: [{name: data, mountPath: /data, readOnly: true, recursiveReadOnly: %q}]")},
	"HostPathVolumeSource.type":     {volume: source("hostPath: {path: /var/lib/probe, type: %q}")},
	"PersistentVolumeClaimSpec.accessModes": {volume: source(
		"ephemeral: {volumeClaimTemplate: {spec: {accessModes: [%q], resources: {requests: {storage: 1Gi}}}}}")},
	"PersistentVolumeClaimSpec.volumeMode": {volume: source(
		"ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], volumeMode: %q, resources: {requests: {storage: 1Gi}}}}}")},
	"AzureDiskVolumeSource.cachingMode": {volume: source(
		"azureDisk: {diskName: d, diskURI: 'https://a.blob.core.windows.net/c/d.vhd', cachingMode: %q}")},
	"AzureDiskVolumeSource.kind": {volume: func(v string) string {
		uri := "https://a.blob.core.windows.net/c/d.vhd"
		if v == "Managed" {
			uri = "/subscriptions/s/resourcegroups/g/providers/microsoft.compute/disks/d"
		}
		return fmt.Sprintf("azureDisk: {diskName: d, diskURI: %q, kind: %q}", uri, v)
	}},
}

// enumsOnlyWithFeatureGates are enums whose field the API server drops,
// unchecked, while an alpha feature gate is off (as it is by default).
var enumsOnlyWithFeatureGates = map[string]string{
	"Lifecycle.stopSignal": "ContainerStopSignals",
}

// TestEnumsAreTheAPIServers proves podgraft's enum table against the real
// API server: every value podgraft accepts in a grafted sidecar or volume
// is admitted in the grafted Pod, and a value it refuses is refused by the
// server too, in a Pod written by hand.
func TestEnumsAreTheAPIServers(t *testing.T) {
	t.Parallel()
	c := cluster(t)
	ctx := testCtx(t, 3*time.Minute)
	createNamespace(ctx, t, c, "enums", nil)
	for _, e := range v1alpha1.Enums {
		id := e.Type.Name() + "." + e.Field
		t.Run(id, func(t *testing.T) {
			if gate, ok := enumsOnlyWithFeatureGates[id]; ok {
				t.Skipf("the API server drops %s unless the feature gate %s is on", e.Field, gate)
			}
			carrier, ok := enumCarriers[id]
			require.True(t, ok, "add a carrier for %s to enumCarriers", id)
			values := e.Values
			if e.Optional {
				values = append([]string{""}, values...)
			}
			dir := t.TempDir()
			pod := func(initContainers, volumes []string) string {
				return "apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: enums}\nspec:\n" +
					"  " + carrier.pod + "\n" +
					"  initContainers: [" + strings.Join(initContainers, ", ") + "]\n" +
					"  containers: [{name: web, image: shop/web:1.2}]\n" +
					"  volumes: [" + strings.Join(append([]string{"{name: data, emptyDir: {}}"}, volumes...), ", ") + "]\n"
			}
			write := func(name, content string) string {
				path := filepath.Join(dir, name)
				require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
				return path
			}
			graft := func(vals []string) (sidecars, volumes []string) {
				for i, v := range vals {
					if carrier.sidecar != nil {
						sidecars = append(sidecars, fmt.Sprintf("{name: probe-%d, image: busybox:1.36, %s}", i, carrier.sidecar(v, i)))
					} else {
						volumes = append(volumes, fmt.Sprintf("{name: v-%d, %s}", i, carrier.volume(v)))
					}
				}
				return sidecars, volumes
			}
			config := func(vals []string) string {
				sidecars, volumes := graft(vals)
				for i := range volumes {
					volumes[i] = strings.TrimSuffix(volumes[i], "}") + fmt.Sprintf(", mounts: [{containers: [web], mountPath: /v-%d}]}", i)
				}
				return "apiVersion: podgraft.dev/v1alpha1\nkind: PodGraft\nmetadata: {name: enums}\nspec:\n" +
					"  sidecars: [" + strings.Join(sidecars, ", ") + "]\n" +
					"  volumes: [" + strings.Join(volumes, ", ") + "]\n"
			}
			input := write("pod.yaml", pod(nil, nil))

			// Every value podgraft takes: grafted, and admitted.
			res := run(ctx, t, dir, nil, podgraftBin(t), "-c", write("all.yaml", config(values)), input)
			require.NoError(t, res.Err, res.Output())
			_, err := c.Create(ctx, res.Stdout, true)
			require.NoError(t, err, "the API server refuses a value podgraft accepts:\n%s", res.Stdout)

			// A value podgraft refuses, and so does the server.
			const bogus = "NotAValue"
			res = run(ctx, t, dir, nil, podgraftBin(t), "-c", write("bogus.yaml", config([]string{bogus})), input)
			require.Error(t, res.Err, "podgraft accepted %s: %s", bogus, res.Output())
			require.Contains(t, res.Stderr, "."+e.Field)
			require.Contains(t, res.Stderr, `Unsupported value: "`+bogus+`"`)
			sidecars, volumes := graft([]string{bogus})
			for i := range sidecars {
				sidecars[i] = strings.Replace(sidecars[i], "image: busybox:1.36,", "image: busybox:1.36, restartPolicy: Always,", 1)
			}
			byHand := pod(sidecars, volumes)
			_, err = c.Create(ctx, byHand, true)
			var se *testcluster.StatusError
			require.ErrorAs(t, err, &se, "the API server admits a value podgraft refuses:\n%s", byHand)
			require.Contains(t, se.Message, `Unsupported value: "`+bogus+`"`)
		})
	}
}
