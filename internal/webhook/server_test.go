package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/podgraft/podgraft/internal/testcerts"
)

// running is a webhook served in-process on loopback ports.
type running struct {
	addr, metricsAddr string
	client            *http.Client
	ca                *testcerts.CA
	certDir           string
	configDir         string
	logs              *syncBuffer
	stop              context.CancelFunc
	done              chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t testing.TB, edit func(o *Options)) *running {
	t.Helper()
	ca, err := testcerts.NewCA("podgraft-webhook-test-ca")
	require.NoError(t, err)
	pair, err := ca.Issue()
	require.NoError(t, err)
	r := &running{ca: ca, certDir: t.TempDir(), configDir: t.TempDir(), logs: &syncBuffer{}, done: make(chan error, 1)}
	certFile, keyFile, err := pair.Write(r.certDir)
	require.NoError(t, err)
	graft, err := os.ReadFile("testdata/graft.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(r.configDir, "graft.yaml"), graft, 0o644))

	started := make(chan struct{})
	o := Options{
		Configs: []string{r.configDir}, CertFile: certFile, KeyFile: keyFile,
		Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0", OnError: onErrorDeny, MaxInFlight: 4, GraftCache: 16,
		ReloadInterval: 50 * time.Millisecond, CertInterval: 50 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		Log: slog.New(slog.NewTextHandler(r.logs, nil)),
		Started: func(addr, metricsAddr net.Addr) {
			r.addr, r.metricsAddr = addr.String(), metricsAddr.String()
			close(started)
		},
	}
	if edit != nil {
		edit(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- Serve(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		if t.Failed() {
			t.Logf("webhook log:\n%s", r.logs.String())
		}
	})
	select {
	case <-started:
	case err := <-r.done:
		t.Fatalf("the webhook did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook did not start within 10s")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	r.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return r
}

func (r *running) post(t *testing.T, query string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := r.client.Post("https://"+r.addr+"/mutate"+query, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func (r *running) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + r.metricsAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// metric returns the value of the series named exactly series ("name" or
// `name{label="v"}`).
func (r *running) metric(t *testing.T, series string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(r.metrics(t))
	require.NotNil(t, m, "no series %s", series)
	return m[1]
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeAdmissionOverTLS(t *testing.T) {
	r := start(t, nil)
	for _, addr := range []string{"https://" + r.addr, "http://" + r.metricsAddr} {
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := r.client.Get(addr + path)
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, addr+path)
		}
	}

	resp, body := r.post(t, "?timeout=5s", reviewBody(t, deploymentPod, reviewCase{}))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Contains(t, string(body), `"patchType":"JSONPatch"`)
	require.Equal(t, "HTTP/1.1", resp.Proto)

	resp, body = r.post(t, "", []byte(`{"kind":"nope"}`))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))

	get, err := r.client.Get("https://" + r.addr + "/mutate")
	require.NoError(t, err)
	_ = get.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)

	// HTTP/2, as the API server speaks it.
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: r.client.Transport.(*http.Transport).TLSClientConfig, ForceAttemptHTTP2: true}}
	resp2, err := h2.Post("https://"+r.addr+"/mutate", "application/json", bytes.NewReader(reviewBody(t, deploymentPod, reviewCase{})))
	require.NoError(t, err)
	_ = resp2.Body.Close()
	require.Equal(t, "HTTP/2.0", resp2.Proto)

	// TLS older than 1.2 is refused.
	old := r.client.Transport.(*http.Transport).TLSClientConfig.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	_, err = tls.Dial("tcp", r.addr, old)
	require.Error(t, err)

	require.Equal(t, "2", r.metric(t, `podgraft_webhook_requests_total{outcome="patched"}`))
	require.Equal(t, "2", r.metric(t, `podgraft_webhook_requests_total{outcome="invalid"}`), "the bad body and the GET")
	require.Equal(t, "0", r.metric(t, `podgraft_webhook_requests_total{outcome="shed"}`))
	require.Equal(t, "1", r.metric(t, "podgraft_webhook_config_generation"))
	require.Equal(t, "0", r.metric(t, "podgraft_webhook_config_reload_errors_total"))
	require.Equal(t, "0", r.metric(t, "podgraft_webhook_in_flight_requests"))
	require.Contains(t, r.metrics(t), "podgraft_webhook_request_duration_seconds_bucket{le=\"0.005\"}")
	require.Contains(t, r.metrics(t), "certwatcher_read_certificate_total")
}

// servedSerial is the serial number of the certificate the webhook serves.
func (r *running) servedSerial(t *testing.T) string {
	t.Helper()
	conn, err := tls.Dial("tcp", r.addr, r.client.Transport.(*http.Transport).TLSClientConfig)
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func TestServeReloadsCertificates(t *testing.T) {
	r := start(t, nil)
	before := r.servedSerial(t)
	pair, err := r.ca.Issue()
	require.NoError(t, err)
	_, _, err = pair.Write(r.certDir)
	require.NoError(t, err)
	eventually(t, "the new certificate is served", func() bool { return r.servedSerial(t) == pair.Serial.String() })
	require.NotEqual(t, before, pair.Serial.String())
	resp, body := r.post(t, "", reviewBody(t, deploymentPod, reviewCase{}))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestServeReloadsConfigs(t *testing.T) {
	r := start(t, nil)
	file := filepath.Join(r.configDir, "graft.yaml")
	graft, err := os.ReadFile(file)
	require.NoError(t, err)
	image := func() string {
		_, body := r.post(t, "", reviewBody(t, deploymentPod, reviewCase{}))
		var review admissionv1.AdmissionReview
		require.NoError(t, json.Unmarshal(body, &review))
		m := regexp.MustCompile(`"image":"(nginx[^"]*)"`).FindStringSubmatch(string(review.Response.Patch))
		require.NotNil(t, m, "patch: %s", review.Response.Patch)
		return m[1]
	}
	require.Equal(t, "nginx:1.27-alpine", image())

	replace := func(content string) {
		tmp := file + ".tmp"
		require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
		require.NoError(t, os.Rename(tmp, file))
	}
	replace(strings.Replace(string(graft), "nginx:1.27-alpine", "nginx:1.28-alpine", 1))
	eventually(t, "the new config serves", func() bool { return r.metric(t, "podgraft_webhook_config_generation") == "2" })
	require.Equal(t, "nginx:1.28-alpine", image())

	// A broken config keeps the last good one serving, once logged and counted.
	replace(strings.Replace(string(graft), "containerPort: 8080", "containerPort: eighty", 1))
	eventually(t, "the broken config is counted", func() bool { return r.metric(t, "podgraft_webhook_config_reload_errors_total") == "1" })
	require.Equal(t, "0", r.metric(t, "podgraft_webhook_config_last_reload_successful"))
	require.Equal(t, "nginx:1.28-alpine", image())
	time.Sleep(200 * time.Millisecond) // several more polls
	require.Equal(t, "1", r.metric(t, "podgraft_webhook_config_reload_errors_total"), "counted once, not once a poll")
	require.Equal(t, "2", r.metric(t, "podgraft_webhook_config_generation"))
	logs := r.logs.String()
	require.Contains(t, logs, "config change not loaded; the previous configs keep serving")
	require.Contains(t, logs, file+", document 1")
	require.Contains(t, logs, "spec.sidecars[0].ports[0].containerPort: expected an integer, got the string")

	// fronts is refused on reload as at start-up.
	fronts, err := os.ReadFile("testdata/fronts.yaml")
	require.NoError(t, err)
	replace(string(fronts))
	eventually(t, "fronts is refused", func() bool { return r.metric(t, "podgraft_webhook_config_reload_errors_total") == "2" })
	require.Equal(t, "nginx:1.28-alpine", image())

	replace(string(graft))
	eventually(t, "the fixed config serves", func() bool { return r.metric(t, "podgraft_webhook_config_generation") == "3" })
	require.Equal(t, "1", r.metric(t, "podgraft_webhook_config_last_reload_successful"))
	require.Equal(t, "nginx:1.27-alpine", image())
}

// slowReview starts a review whose body is written only when the returned
// function is called; the response comes on the channel.
func (r *running) slowReview(t *testing.T, query string) (send func(), answer chan *http.Response) {
	t.Helper()
	pr, pw := io.Pipe()
	answer = make(chan *http.Response, 1)
	go func() {
		resp, err := r.client.Post("https://"+r.addr+"/mutate"+query, "application/json", pr)
		if err != nil {
			t.Errorf("slow review: %v", err)
			answer <- nil
			return
		}
		answer <- resp
	}()
	body := reviewBody(t, deploymentPod, reviewCase{})
	return func() {
		_, _ = pw.Write(body)
		_ = pw.Close()
	}, answer
}

func TestServeStopsGracefully(t *testing.T) {
	r := start(t, func(o *Options) { o.ShutdownDelay = 300 * time.Millisecond })
	send, answer := r.slowReview(t, "")
	eventually(t, "the review is in flight", func() bool { return r.metric(t, "podgraft_webhook_in_flight_requests") == "1" })
	r.stop() // SIGTERM
	eventually(t, "not ready while stopping", func() bool {
		resp, err := http.Get("http://" + r.metricsAddr + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	send()
	resp := <-answer
	require.NotNil(t, resp)
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the review in flight is answered")
	require.Contains(t, string(b), `"patchType":"JSONPatch"`)
	select {
	case err := <-r.done:
		require.NoError(t, err)
		r.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook did not stop")
	}
	require.Contains(t, r.logs.String(), "stopped")
}

// Overloaded, a review that would wait past its deadline is shed with a
// 503 within the deadline, not answered after the API server gave up.
func TestServeShedsWithinTheDeadline(t *testing.T) {
	r := start(t, func(o *Options) { o.MaxInFlight = 1 })
	send, answer := r.slowReview(t, "")
	eventually(t, "the only slot is taken", func() bool { return r.metric(t, "podgraft_webhook_in_flight_requests") == "1" })
	began := time.Now()
	resp, body := r.post(t, "?timeout=400ms", reviewBody(t, deploymentPod, reviewCase{}))
	took := time.Since(began)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(body))
	require.Contains(t, string(body), "podgraft-webhook is overloaded: no slot free within 200ms of the review's 400ms timeout")
	require.Less(t, took, 400*time.Millisecond, "shed within the deadline")
	require.GreaterOrEqual(t, took, 200*time.Millisecond, "after waiting for a slot as long as the deadline allowed")
	require.Equal(t, "1", r.metric(t, `podgraft_webhook_requests_total{outcome="shed"}`))
	send()
	first := <-answer
	require.NotNil(t, first)
	_ = first.Body.Close()
	require.Equal(t, http.StatusOK, first.StatusCode)
}

func TestServeRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	ca, err := testcerts.NewCA("ca")
	require.NoError(t, err)
	pair, err := ca.Issue()
	require.NoError(t, err)
	cert, key, err := pair.Write(dir)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"fronts":                              {Options{Configs: []string{"testdata/fronts.yaml"}}, "spec.sidecars[0].fronts: the webhook sees Pods, not Services"},
		"a folder without configs":            {Options{Configs: []string{dir}}, "the folder holds no PodGraft files"},
		"a key that is not the certificate's": {Options{Configs: []string{"testdata/graft.yaml"}, KeyFile: cert}, "--tls-cert-file " + cert + ", --tls-private-key-file " + cert},
	} {
		t.Run(name, func(t *testing.T) {
			o := tc.o
			o.Listen, o.MetricsListen, o.MaxInFlight, o.OnError = "127.0.0.1:0", "", 1, onErrorDeny
			if o.CertFile == "" {
				o.CertFile = cert
			}
			if o.KeyFile == "" {
				o.KeyFile = key
			}
			o.ReloadInterval, o.CertInterval = time.Second, time.Second
			err := Serve(context.Background(), o)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestRunFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"version":        {[]string{"--version"}, exitOK, "podgraft-webhook test\n"},
		"no config":      {[]string{"--tls-cert-file", "c", "--tls-private-key-file", "k"}, exitUsage, "--config is required"},
		"no certificate": {[]string{"--config", "testdata/graft.yaml"}, exitUsage, "--tls-cert-file and --tls-private-key-file are required"},
		"bad on-error":   {[]string{"--config", "c", "--tls-cert-file", "c", "--tls-private-key-file", "k", "--on-error", "maybe"}, exitUsage, `--on-error must be deny or allow, not "maybe"`},
		"arguments":      {[]string{"--config", "c", "x.yaml"}, exitUsage, `unexpected arguments ["x.yaml"]`},
		"check":          {[]string{"--check", "--config", "testdata/graft.yaml", "--config", "testdata/files.yaml"}, exitOK, "podgraft-webhook: 2 PodGraft(s) in 2 file(s) would serve: edge, conf\n"},
		"check refuses":  {[]string{"--check", "--config", "testdata/fronts.yaml"}, exitError, "podgraft-webhook: error: PodGraft fronted (testdata/fronts.yaml, document 1): spec.sidecars[0].fronts"},
		"a bad config":   {[]string{"--config", "testdata/fronts.yaml", "--tls-cert-file", "c", "--tls-private-key-file", "k", "--metrics-listen", ""}, exitError, "podgraft-webhook: error: PodGraft fronted"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run("test", tc.args, &stdout, &stderr)
			require.Equal(t, tc.code, code, "stderr: %s", stderr.String())
			require.Contains(t, stdout.String()+stderr.String(), tc.want)
		})
	}
}

func ExampleRun() {
	var stdout bytes.Buffer
	Run("v1.2.3", []string{"version"}, &stdout, io.Discard)
	fmt.Print(stdout.String())
	// Output: podgraft-webhook v1.2.3
}

func TestQueueTooLong(t *testing.T) {
	ms := time.Millisecond
	require.False(t, queueTooLong(8, 8, 2*ms, 100*ms), "one round of slots")
	require.False(t, queueTooLong(400, 8, 2*ms, 100*ms), "50 rounds of 2 ms fit in 100 ms")
	require.True(t, queueTooLong(408, 8, 2*ms, 100*ms), "51 do not")
	require.False(t, queueTooLong(10000, 8, 0, 100*ms), "no review served yet: wait and see")
}
