//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/podgraft/podgraft/internal/testcerts"
	"github.com/podgraft/podgraft/internal/testcluster"
)

// The podgraft-webhook binary: $PODGRAFT_WEBHOOK_BIN (make e2e sets it),
// else built once for the package.
var webhookBinary struct {
	once sync.Once
	path string
	err  error
}

func webhookBin(t testing.TB) string {
	t.Helper()
	webhookBinary.once.Do(func() {
		if b := os.Getenv("PODGRAFT_WEBHOOK_BIN"); b != "" {
			webhookBinary.path, webhookBinary.err = filepath.Abs(b)
			if webhookBinary.err == nil {
				_, webhookBinary.err = os.Stat(webhookBinary.path)
			}
			return
		}
		dir, err := os.MkdirTemp("", "podgraft-e2e-webhook-")
		if err != nil {
			webhookBinary.err = err
			return
		}
		webhookBinary.path = filepath.Join(dir, "podgraft-webhook")
		build := exec.Command("go", "build", "-o", webhookBinary.path, "../cmd/podgraft-webhook")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			webhookBinary.err = fmt.Errorf("go build ../cmd/podgraft-webhook: %v\n%s", err, out)
		}
	})
	require.NoError(t, webhookBinary.err, "the podgraft-webhook binary (PODGRAFT_WEBHOOK_BIN=%q)", os.Getenv("PODGRAFT_WEBHOOK_BIN"))
	return webhookBinary.path
}

// webhookProc is a running podgraft-webhook on loopback.
type webhookProc struct {
	cmd        *exec.Cmd
	done       chan struct{}
	URL        string // https://127.0.0.1:<port>/mutate
	addr       string
	metricsURL string
	CA         *testcerts.CA
	certDir    string
	logPath    string
	tlsConfig  *tls.Config
}

// trusting is a client TLS config that trusts ca alone.
func trusting(ca *testcerts.CA) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startWebhook runs podgraft-webhook with the configs of configDir and a
// fresh certificate for 127.0.0.1, and waits until it is ready. It is
// stopped when the test ends.
func startWebhook(t testing.TB, configDir string, args ...string) *webhookProc {
	t.Helper()
	ca, err := testcerts.NewCA("podgraft-e2e-webhook-ca")
	require.NoError(t, err)
	pair, err := ca.Issue()
	require.NoError(t, err)
	w := &webhookProc{CA: ca, certDir: t.TempDir(), done: make(chan struct{})}
	certFile, keyFile, err := pair.Write(w.certDir)
	require.NoError(t, err)
	w.tlsConfig = trusting(ca)

	port, metricsPort := freePort(t), freePort(t)
	w.addr = "127.0.0.1:" + strconv.Itoa(port)
	w.URL = "https://" + w.addr + "/mutate"
	w.metricsURL = "http://127.0.0.1:" + strconv.Itoa(metricsPort)
	w.logPath = filepath.Join(t.TempDir(), "webhook.log")
	logFile, err := os.Create(w.logPath)
	require.NoError(t, err)
	w.cmd = exec.Command(webhookBin(t), append([]string{
		"--config", configDir,
		"--tls-cert-file", certFile, "--tls-private-key-file", keyFile,
		"--listen", w.addr, "--metrics-listen", "127.0.0.1:" + strconv.Itoa(metricsPort),
		"--reload-interval", "200ms", "--cert-reload-interval", "500ms",
	}, args...)...)
	w.cmd.Stdout, w.cmd.Stderr = logFile, logFile
	require.NoError(t, w.cmd.Start())
	go func() {
		_ = w.cmd.Wait()
		_ = logFile.Close()
		close(w.done)
	}()
	t.Cleanup(func() {
		w.stop(t)
		if t.Failed() {
			t.Logf("podgraft-webhook log (%s):\n%s", w.logPath, w.log())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(w.metricsURL + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w
			}
		}
		select {
		case <-w.done:
			t.Fatalf("podgraft-webhook exited before it was ready:\n%s", w.log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("podgraft-webhook not ready within 30s:\n%s", w.log())
		}
	}
}

func (w *webhookProc) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

// stop sends SIGTERM and waits for the process; it is idempotent.
func (w *webhookProc) stop(t testing.TB) {
	t.Helper()
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
		t.Errorf("podgraft-webhook did not stop within 30s of SIGTERM")
	}
}

// metric reads one series from /metrics ("name" or `name{label="v"}`).
func (w *webhookProc) metric(t testing.TB, series string) float64 {
	t.Helper()
	resp, err := http.Get(w.metricsURL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(b)
	require.NotNil(t, m, "no series %s in /metrics", series)
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}

// servedSerial is the serial number of the certificate it serves.
func (w *webhookProc) servedSerial(t testing.TB) string {
	t.Helper()
	conn, err := tls.Dial("tcp", w.addr, w.tlsConfig)
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// webhookConfig is a MutatingWebhookConfiguration for Pods on CREATE in
// the namespaces labelled selector=value, calling url.
type webhookConfig struct {
	name, url     string
	caPEM         []byte
	label, value  string
	failurePolicy string
}

func (wc webhookConfig) yaml() string {
	return fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: %[1]s
webhooks:
  - name: pods.%[1]s.podgraft.dev
    clientConfig:
      url: %[2]s
      caBundle: %[3]s
    rules:
      - {apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE], scope: Namespaced}
    namespaceSelector:
      matchLabels: {%[4]s: "%[5]s"}
    failurePolicy: %[6]s
    sideEffects: None
    timeoutSeconds: 5
    reinvocationPolicy: IfNeeded
    admissionReviewVersions: [v1]
`, wc.name, wc.url, base64.StdEncoding.EncodeToString(wc.caPEM), wc.label, wc.value, wc.failurePolicy)
}

// register creates the configuration, deleted when the test ends.
func register(ctx context.Context, t testing.TB, c *testcluster.Cluster, wc webhookConfig) {
	t.Helper()
	_, err := c.Create(ctx, wc.yaml(), false)
	require.NoError(t, err, "create MutatingWebhookConfiguration %s", wc.name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Delete(ctx, "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", wc.name); err != nil {
			t.Errorf("delete MutatingWebhookConfiguration %s: %v", wc.name, err)
		}
	})
}

// apiClient sends requests to the API server and returns its warnings too,
// which testcluster's helpers drop.
type apiClient struct {
	c      *testcluster.Cluster
	client *http.Client
}

func newAPIClient(t testing.TB, c *testcluster.Cluster) *apiClient {
	t.Helper()
	ca, err := os.ReadFile(c.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &apiClient{c: c, client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}}
}

// createPod POSTs a Pod (JSON or YAML) to namespace and returns the stored
// (or, with dryRun, the would-be) Pod, and the API server's warnings.
func (a *apiClient) createPod(ctx context.Context, t testing.TB, namespace, pod string, dryRun bool) (map[string]any, []string, error) {
	t.Helper()
	body, err := yamlToJSON(pod)
	require.NoError(t, err)
	path := "/api/v1/namespaces/" + namespace + "/pods?fieldValidation=Strict"
	if dryRun {
		path += "&dryRun=All"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.c.Server+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+a.c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, h := range resp.Header.Values("Warning") {
		// 299 - "text"
		if _, text, ok := strings.Cut(h, ` - "`); ok {
			h = strings.ReplaceAll(strings.TrimSuffix(text, `"`), `\"`, `"`)
		}
		warnings = append(warnings, h)
	}
	if resp.StatusCode/100 != 2 {
		se := &testcluster.StatusError{Method: http.MethodPost, Path: path, Code: resp.StatusCode, Body: out, Message: string(out)}
		var st struct {
			Message, Reason string
		}
		if json.Unmarshal(out, &st) == nil && st.Message != "" {
			se.Message, se.Reason = st.Message, st.Reason
		}
		return nil, warnings, se
	}
	var obj map[string]any
	require.NoError(t, json.Unmarshal(out, &obj))
	return obj, warnings, nil
}

func yamlToJSON(doc string) ([]byte, error) { return yaml.YAMLToJSON([]byte(doc)) }
