//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/podgraft/podgraft/internal/testcluster"
)

const pluginChart = `apiVersion: v2
name: shop
version: 0.1.0
`

const pluginChartDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {{ .Release.Namespace }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: shop/web:1.2
          ports: [{name: http, containerPort: 3000}]
`

func pluginGraft(name, sidecar string) string {
	return `apiVersion: podgraft.dev/v1alpha1
kind: PodGraft
metadata:
  name: ` + name + `
spec:
  sidecars:
    - name: ` + sidecar + `
      image: busybox:1.36
`
}

// podgraftBinary is $PODGRAFT_BIN (set by make e2e), else a fresh build.
func podgraftBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("PODGRAFT_BIN"); b != "" {
		_, err := os.Stat(b)
		require.NoError(t, err, "PODGRAFT_BIN=%s", b)
		return b
	}
	out := filepath.Join(t.TempDir(), "podgraft")
	build := exec.Command("go", "build", "-o", out, "../cmd/podgraft")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "building podgraft: %s", msg)
	return out
}

// helm4 runs bin/tools/helm4 with its homes in dir, so that the test never
// sees or touches the user's plugins.
type helm4 struct {
	bin, dir string
}

func (h helm4) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Dir = h.dir
	// Drop inherited HELM_* settings: a HELM_PLUGINS pointing elsewhere
	// makes the installed plugin unfindable.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"HELM_DATA_HOME="+filepath.Join(h.dir, "data"),
		"HELM_CONFIG_HOME="+filepath.Join(h.dir, "config"),
		"HELM_CACHE_HOME="+filepath.Join(h.dir, "cache"),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestHelm4Plugin installs plugin/helm4 as `make helm-plugin` lays it out
// (plugin.yaml plus bin/podgraft) and renders a chart through it with
// --post-renderer podgraft, passing podgraft's flags as post-renderer args.
func TestHelm4Plugin(t *testing.T) {
	bin := filepath.Join(testcluster.ToolsBin(), "helm4")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no Helm 4 at %s (make tools builds it): %v", bin, err)
	}
	if runtime.GOOS == "windows" {
		t.Skip("the plugin layout is tested on Unix")
	}
	dir := t.TempDir()
	h := helm4{bin: bin, dir: dir}

	// The plugin folder: the checked-in plugin.yaml and the binary.
	pluginDir := filepath.Join(dir, "plugin", "podgraft")
	require.NoError(t, os.MkdirAll(filepath.Join(pluginDir, "bin"), 0o755))
	manifest, err := os.ReadFile("../plugin/helm4/plugin.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pluginDir, "plugin.yaml"), manifest, 0o644))
	binary, err := os.ReadFile(podgraftBinary(t))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(pluginDir, "bin", "podgraft"), binary, 0o755))

	out, err := h.run(t, "plugin", "install", pluginDir)
	require.NoError(t, err, out)
	out, err = h.run(t, "plugin", "list")
	require.NoError(t, err, out)
	require.Regexp(t, `(?m)^podgraft\s+0\.1\.0\s+postrenderer/v1\s`, out)

	// A tiny local chart and two configs.
	chart := filepath.Join(dir, "chart")
	require.NoError(t, os.MkdirAll(filepath.Join(chart, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte(pluginChart), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(chart, "templates", "web.yaml"), []byte(pluginChartDeployment), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "edge.yaml"), []byte(pluginGraft("edge", "proxy")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logs.yaml"), []byte(pluginGraft("logs", "shipper")), 0o644))

	t.Run("args reach podgraft", func(t *testing.T) {
		out, err := h.run(t, "template", "shop", "./chart", "--namespace", "shop",
			"--post-renderer", "podgraft",
			"--post-renderer-args", "-c", "--post-renderer-args", "edge.yaml",
			"--post-renderer-args", "--config=logs.yaml")
		require.NoError(t, err, out)
		require.Contains(t, out, "# Source: shop/templates/web.yaml", "Helm's source comment survives")
		require.Contains(t, out, "name: proxy")
		require.Contains(t, out, "name: shipper", "the second -c arrived too")
		require.Contains(t, out, `podgraft.dev/grafts: '{"edge":`)
		require.NotContains(t, out, "postrenderer.helm.sh/postrender-filename", "Helm takes its own annotation out again")
	})

	t.Run("an error fails the render", func(t *testing.T) {
		bad := strings.Replace(pluginGraft("edge", "proxy"), "image:", "imagee:", 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644))
		out, err := h.run(t, "template", "shop", "./chart", "--namespace", "shop",
			"--post-renderer", "podgraft", "--post-renderer-args", "-c", "--post-renderer-args", "bad.yaml")
		require.Error(t, err, out)
		require.NotContains(t, out, "kind: Deployment", "no partial output")
		// Helm 4.3 drops a postrenderer/v1 plugin's stderr: the user sees
		// only that the plugin failed, not podgraft's message.
		require.Contains(t, out, `plugin "podgraft" exited with error`)
	})
}
