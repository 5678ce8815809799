package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Two releases of one chart in one namespace used to generate the same
// ConfigMap, and Helm refused the second install. Each workload's
// generated ConfigMaps and Secrets are now named after its release; a
// claim keeps the claimName the config gives.
func TestGeneratedNamesFollowTheRelease(t *testing.T) {
	const dir = "../../testdata/generated/named-after-release/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, input, "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	objs := objects(t, out)

	for release, workload := range map[string]string{"blue-": "blue-web", "green-": "green-web", "": "plain-web"} {
		mounted := mountedNames(t, objs["Deployment/"+workload])
		require.Regexp(t, "^ConfigMap/"+release+"ops-conf-[0-9a-f]{10}$", mounted["conf"], workload)
		require.Equal(t, "PersistentVolumeClaim/web-uploads", mounted["uploads"], workload)
		for _, ref := range mounted {
			require.Contains(t, objs, ref, "%s mounts what the stream holds", workload)
		}
	}

	// --release names every workload's after it, whatever its labels say.
	out, stderr, code = runCLI(t, input, "--release", "teal", "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	objs = objects(t, out)
	for _, workload := range []string{"blue-web", "green-web", "plain-web"} {
		require.Regexp(t, "^ConfigMap/teal-ops-conf-", mountedNames(t, objs["Deployment/"+workload])["conf"])
	}

	// Removal takes every release's out.
	removed, stderr, code := runCLI(t, []byte(out), "--remove", "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, removed, "podgraft.dev/generated-by")
}

// Output grafted before podgraft named generated resources after the
// release moves to the release's ConfigMap, as on any content change, and
// keeps its claim. A workload relabelled into another release gets that
// release's, not a rename of the old one's.
func TestReleaseChangesMoveTheConfigMap(t *testing.T) {
	const dir = "../../testdata/generated/named-after-release/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	before, stderr, code := runCLI(t, []byte(strings.ReplaceAll(string(input), "app.kubernetes.io/instance", "was-not-read")), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	upgraded := strings.ReplaceAll(before, "was-not-read", "app.kubernetes.io/instance")

	out, stderr, code := runCLI(t, []byte(upgraded), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	objs := objects(t, out)
	mounted := mountedNames(t, objs["Deployment/blue-web"])
	require.Equal(t, "PersistentVolumeClaim/web-uploads", mounted["uploads"])
	require.Regexp(t, "^ConfigMap/blue-ops-conf-", mounted["conf"])
	require.Contains(t, objs, mounted["conf"])

	again, stderr, code := runCLI(t, []byte(out), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, out, again)

	relabelled := strings.ReplaceAll(out, "instance: blue", "instance: red")
	out, stderr, code = runCLI(t, []byte(relabelled), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	objs = objects(t, out)
	require.Regexp(t, "^ConfigMap/red-ops-conf-", mountedNames(t, objs["Deployment/blue-web"])["conf"])
	require.Contains(t, objs, mountedNames(t, objs["Deployment/blue-web"])["conf"])
}

// Helm takes release names with dots (a DNS subdomain of up to 53
// characters), and so does podgraft.
func TestReleaseAsHelmTakesIt(t *testing.T) {
	const dir = "../../testdata/generated/named-after-release/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, input, "--release", "shop.eu", "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, "^ConfigMap/shop.eu-ops-conf-", mountedNames(t, objects(t, out)["Deployment/blue-web"])["conf"])
	_, stderr, code = runCLI(t, input, "--release", strings.Repeat("a", 54), "-c", dir+"config.yaml", "-")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "must be no more than 53 characters, as Helm requires")
}

func TestReleaseMustBeAName(t *testing.T) {
	_, stderr, code := runCLI(t, nil, "--release", "Not_A_Name", "-c", "../../testdata/generated/named-after-release/config.yaml", "-")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--release "Not_A_Name": a lowercase RFC 1123 subdomain`)

	// From the environment, it is named as such; a KRM function reports
	// it in the ResourceList it hands back, its items as they came.
	t.Setenv("PODGRAFT_RELEASE", "Not_A_Name")
	_, stderr, code = runCLI(t, nil, "-c", "../../testdata/generated/named-after-release/config.yaml", "-")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `PODGRAFT_RELEASE "Not_A_Name": a lowercase RFC 1123 subdomain`)
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n" +
		"functionConfig:\n  apiVersion: podgraft.dev/v1alpha1\n  kind: PodGraft\n  metadata:\n    name: edge\n  spec:\n    sidecars:\n    - name: nginx\n      image: nginx\n"
	out, stderr, code := runCLI(t, []byte(rl))
	require.Equal(t, exitError, code, stderr)
	require.Contains(t, out, "kind: ResourceList")
	require.Contains(t, out, "name: a\n")
	require.Regexp(t, `(?s)results:.*message: 'PODGRAFT_RELEASE "Not_A_Name": a lowercase RFC 1123 subdomain.*severity: error`, out)
	require.Contains(t, stderr, `podgraft: error: PODGRAFT_RELEASE "Not_A_Name"`)
}

func TestInstanceLabelThatIsNoNameWarns(t *testing.T) {
	const dir = "../../testdata/generated/named-after-release/"
	input, err := os.ReadFile(dir + "input.yaml")
	require.NoError(t, err)
	out, stderr, code := runCLI(t, []byte(strings.ReplaceAll(string(input), "instance: blue", "instance: Blue_1")), "-c", dir+"config.yaml", "-")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `podgraft: warning: Deployment shop/blue-web: metadata.labels.app.kubernetes.io/instance: ops: the release "Blue_1" is not a Helm release name`)
	require.Regexp(t, "^ConfigMap/ops-conf-", mountedNames(t, objects(t, out)["Deployment/blue-web"])["conf"])
}
