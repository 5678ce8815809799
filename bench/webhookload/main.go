// Command webhookload benchmarks podgraft-webhook: a load generator that
// sends AdmissionReviews to the webhook on loopback, bounded in count and
// time, at concurrency 1, 8 and 64, and an overloaded run that shows
// reviews shed within their deadline; then N dry-run Pod creates through a
// real kube-apiserver with and without the webhook registered. It prints a
// Markdown report and writes it to bench/results/webhook.md. Run it from the
// repository root: `make bench-webhook` (make bench runs it too).
//
// The graft is examples/web-with-proxy's without fronts (which admission
// refuses), on a typical Pod of that example's Deployment as a ReplicaSet
// creates it: defaulted by the API server, with a projected service
// account token volume.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/podgraft/podgraft/internal/testcerts"
	"github.com/podgraft/podgraft/internal/testcluster"
)

type options struct {
	webhook     string
	example     string
	out         string
	duration    time.Duration // per concurrency level
	maxReviews  int           // per concurrency level
	levels      []int
	overload    int           // concurrency of the overloaded run
	overloadTTL time.Duration // the reviews' timeout in the overloaded run
	pods        int           // dry-run creates through the API server, per case
	skipCluster bool
}

func main() {
	o := options{}
	levels := "1,8,64"
	flag.StringVar(&o.webhook, "webhook", "bin/podgraft-webhook", "the podgraft-webhook binary")
	flag.StringVar(&o.example, "example", "examples/web-with-proxy", "the example whose graft (without fronts) and Deployment are used")
	flag.StringVar(&o.out, "out", "bench/results/webhook.md", "where the report is written")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each concurrency level runs")
	flag.IntVar(&o.maxReviews, "max", 50000, "at most this many reviews per level")
	flag.StringVar(&levels, "concurrency", levels, "concurrency levels")
	flag.IntVar(&o.overload, "overload", 300, "concurrency of the overloaded run (0: skip it)")
	flag.DurationVar(&o.overloadTTL, "overload-timeout", 250*time.Millisecond, "the ?timeout= of the overloaded run's reviews")
	flag.IntVar(&o.pods, "pods", 300, "dry-run Pod creates through the API server, with and without the webhook")
	flag.BoolVar(&o.skipCluster, "skip-cluster", false, "skip the API server case")
	flag.Parse()
	for _, l := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "webhookload: -concurrency: bad level", l)
			os.Exit(2)
		}
		o.levels = append(o.levels, n)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	work, err := os.MkdirTemp("", "podgraft-webhookload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	configDir := filepath.Join(work, "grafts")
	if err := writeConfig(o.example, configDir); err != nil {
		return err
	}
	pod, err := typicalPod()
	if err != nil {
		return err
	}
	var report strings.Builder
	fmt.Fprintf(&report, "## podgraft-webhook load\n\nMachine: %d cores, %s %s/%s; %s; one-minute load average LOADSTART before the run, LOADEND after it; the load generator runs on the same cores as the webhook.\n\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	loadStart := loadAverage()
	fmt.Fprintf(&report, "Graft: `%s/graft.yaml` without `fronts`, on a %d-byte Pod of its Deployment (a ReplicaSet's, defaulted, with a projected token volume); each review is answered with a %s-byte JSONPatch. One fresh webhook process per row (default `--max-in-flight`), over HTTP/2 and TLS as the API server calls it, for %s or %d reviews, whichever comes first, after 200 warm-up reviews. Peak RSS is the webhook's VmHWM; CPU is the webhook's user+system time per review.\n\n",
		o.example, len(pod), "PATCH", o.duration, o.maxReviews)
	fmt.Fprintln(&report, "| concurrency | Pods | reviews | reviews/s | p50 ms | p99 ms | max ms | errors | shed | webhook CPU µs/review | peak RSS MiB |")
	fmt.Fprintln(&report, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	patchSize := 0
	type level struct {
		c        int
		distinct bool
	}
	var levels []level
	for _, c := range o.levels {
		levels = append(levels, level{c, true})
	}
	levels = append(levels, level{8, false})
	for _, l := range levels {
		r, err := loadLevel(o, configDir, pod, l.c, l.distinct, "?timeout=5s", o.duration, o.maxReviews)
		if err != nil {
			return fmt.Errorf("concurrency %d: %w", l.c, err)
		}
		patchSize = r.patchBytes
		row := r.row(l.c, l.distinct)
		fmt.Fprintf(os.Stderr, "webhookload: %s\n", row)
		fmt.Fprintln(&report, row)
	}
	if o.overload > 0 {
		r, err := loadLevel(o, configDir, pod, o.overload, true, "?timeout="+o.overloadTTL.String(), 5*time.Second, o.maxReviews)
		if err != nil {
			return fmt.Errorf("overload: %w", err)
		}
		row := r.row(o.overload, true) + " overloaded: `?timeout=" + o.overloadTTL.String() + "`"
		fmt.Fprintf(os.Stderr, "webhookload: %s\n", row)
		fmt.Fprintln(&report, row)
		fmt.Fprintf(&report, "\nDistinct Pods differ in an annotation, so that every review is grafted; identical Pods (a ReplicaSet scaling up) are answered from the webhook's graft cache after the first. The overloaded row sends %d concurrent reviews with a %s deadline: the webhook sheds a review with a 503 at once when the queue ahead of it would not drain within half the deadline, or after waiting that long (the failurePolicy decides). By its own clock (its latency histogram) %.1f%% of all answers, served or shed, left within the deadline; the load generator, starved of CPU on the same two cores, saw its slowest answer after %.1f ms.\n",
			o.overload, o.overloadTTL, r.withinDeadline*100, r.max)
	}
	out := strings.Replace(report.String(), "PATCH", strconv.Itoa(patchSize), 1)
	if !o.skipCluster {
		table, err := apiServerCase(o, configDir, pod)
		if err != nil {
			return fmt.Errorf("API server case: %w", err)
		}
		out += "\n" + table
	}
	out = strings.Replace(strings.Replace(out, "LOADSTART", loadStart, 1), "LOADEND", loadAverage(), 1)
	fmt.Print(out)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(o.out, []byte(out), 0o644)
}

// loadAverage is the one-minute load average: other work on the machine
// shows in every figure.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}

// shareWithin reads from the webhook's latency histogram the share of its
// answers that took at most d (a bucket bound).
func (w *webhook) shareWithin(d time.Duration) float64 {
	resp, err := http.Get(w.metricsURL + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	value := func(series string) float64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return 0
	}
	le := strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
	total := value("podgraft_webhook_request_duration_seconds_count")
	if total == 0 {
		return 0
	}
	return value(`podgraft_webhook_request_duration_seconds_bucket{le="`+le+`"}`) / total
}

// writeConfig writes the example's PodGraft without fronts, and the files
// it reads, into dir.
func writeConfig(example, dir string) error {
	raw, err := os.ReadFile(filepath.Join(example, "graft.yaml"))
	if err != nil {
		return err
	}
	stripped, err := withoutFronts(raw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		return err
	}
	conf, err := os.ReadFile(filepath.Join(example, "conf", "nginx.conf"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "conf", "nginx.conf"), conf, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "graft.yaml"), stripped, 0o644)
}

// withoutFronts drops spec.sidecars[*].fronts.
func withoutFronts(raw []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	spec := child(doc.Content[0], "spec")
	sidecars := child(spec, "sidecars")
	if sidecars == nil {
		return nil, errors.New("the example has no sidecars")
	}
	for _, sc := range sidecars.Content {
		for i := 0; i+1 < len(sc.Content); i += 2 {
			if sc.Content[i].Value == "fronts" {
				sc.Content = append(sc.Content[:i], sc.Content[i+2:]...)
				break
			}
		}
	}
	return yaml.Marshal(&doc)
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// typicalPod is a Pod of the example's storefront Deployment as the API
// server hands it to a webhook: created by the ReplicaSet, defaulted.
func typicalPod() ([]byte, error) {
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"generateName": "storefront-7d9f8c6b5-",
			"namespace":    "shop",
			"labels": map[string]any{
				"app.kubernetes.io/name": "storefront", "app.kubernetes.io/part-of": "web", "pod-template-hash": "7d9f8c6b5",
			},
			"annotations": map[string]any{"kubectl.kubernetes.io/restartedAt": restartedAt},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "storefront-7d9f8c6b5",
				"uid": "0d9b3a8e-5f3c-4a8e-9c1d-2b6f7e8a9c0d", "controller": true, "blockOwnerDeletion": true,
			}},
		},
		"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "backend", "image": "registry.example.com/shop/storefront:2.4.1", "imagePullPolicy": "IfNotPresent",
				"ports": []any{map[string]any{"name": "http", "containerPort": 3000, "protocol": "TCP"}},
				"env": []any{
					map[string]any{"name": "LOG_LEVEL", "value": "info"},
					map[string]any{"name": "DATABASE_URL", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "storefront-db", "key": "url"}}},
					map[string]any{"name": "POD_NAME", "valueFrom": map[string]any{"fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.name"}}},
				},
				"resources": map[string]any{
					"requests": map[string]any{"cpu": "250m", "memory": "256Mi"},
					"limits":   map[string]any{"memory": "512Mi"},
				},
				"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
				"volumeMounts": []any{map[string]any{"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}},
			}},
			"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
			"serviceAccountName": "default", "serviceAccount": "default", "securityContext": map[string]any{},
			"schedulerName": "default-scheduler", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
			"tolerations": []any{
				map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
				map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
			},
			"volumes": []any{map[string]any{"name": "kube-api-access-x7k2p", "projected": map[string]any{
				"defaultMode": 420,
				"sources": []any{
					map[string]any{"serviceAccountToken": map[string]any{"expirationSeconds": 3607, "path": "token"}},
					map[string]any{"configMap": map[string]any{"name": "kube-root-ca.crt", "items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}},
					map[string]any{"downwardAPI": map[string]any{"items": []any{map[string]any{"path": "namespace", "fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}}},
				},
			}}},
		},
	}
	return json.Marshal(pod)
}

// reviews returns the n-th review to send: of the same Pod every time, or,
// distinct, of a Pod whose restartedAt annotation differs in each, so that
// no two reviews are alike (the webhook's graft cache never hits).
func reviews(pod []byte, distinct bool) func(n int) []byte {
	same := review(pod, 0)
	if !distinct {
		return func(int) []byte { return same }
	}
	pre, post, ok := bytes.Cut(same, []byte(restartedAt))
	if !ok {
		panic("the review lost its restartedAt annotation")
	}
	return func(n int) []byte {
		b := make([]byte, 0, len(same)+12)
		b = append(append(append(b, pre...), strconv.Itoa(n)...), post...)
		return b
	}
}

const restartedAt = "2026-11-30T10:00:00Z"

func review(pod []byte, uid int) []byte {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid":       fmt.Sprintf("00000000-0000-4000-8000-%012d", uid),
			"kind":      map[string]any{"group": "", "version": "v1", "kind": "Pod"},
			"resource":  map[string]any{"group": "", "version": "v1", "resource": "pods"},
			"namespace": "shop", "operation": "CREATE",
			"userInfo": map[string]any{"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": []any{"system:serviceaccounts", "system:authenticated"}},
			"object":   json.RawMessage(pod),
			"options":  map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
			"dryRun":   false,
		},
	})
	return b
}

// webhook is a started podgraft-webhook process.
type webhook struct {
	cmd         *exec.Cmd
	url         string
	metricsURL  string
	ca          *testcerts.CA
	client      *http.Client
	done        chan struct{}
	stderr      *bytes.Buffer
	stderrMutex *sync.Mutex
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startWebhook(bin, configDir string) (*webhook, error) {
	ca, err := testcerts.NewCA("podgraft-webhookload")
	if err != nil {
		return nil, err
	}
	pair, err := ca.Issue()
	if err != nil {
		return nil, err
	}
	certDir, err := os.MkdirTemp("", "podgraft-webhookload-tls-")
	if err != nil {
		return nil, err
	}
	certFile, keyFile, err := pair.Write(certDir)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	w := &webhook{
		url: fmt.Sprintf("https://127.0.0.1:%d/mutate", port), metricsURL: fmt.Sprintf("http://127.0.0.1:%d", metrics),
		ca: ca, done: make(chan struct{}), stderr: &bytes.Buffer{}, stderrMutex: &sync.Mutex{},
	}
	w.cmd = exec.Command(bin, "--config", configDir, "--tls-cert-file", certFile, "--tls-private-key-file", keyFile,
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metrics))
	w.cmd.Stderr = lockedBuffer{w.stderrMutex, w.stderr}
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = w.cmd.Wait()
		_ = os.RemoveAll(certDir)
		close(w.done)
	}()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	w.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64,
	}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(w.metricsURL + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w, nil
			}
		}
		select {
		case <-w.done:
			return nil, fmt.Errorf("podgraft-webhook exited: %s", w.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.stop()
			return nil, fmt.Errorf("podgraft-webhook not ready after 30s: %s", w.log())
		}
	}
}

func (w *webhook) log() string {
	w.stderrMutex.Lock()
	defer w.stderrMutex.Unlock()
	return w.stderr.String()
}

func (w *webhook) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// usage reads the webhook's peak RSS (MiB) and its CPU time so far.
func (w *webhook) usage() (peakMiB float64, cpu time.Duration, err error) {
	pid := w.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, 0, err
			}
			peakMiB = kb / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command's closing parenthesis: utime is the 14th
	// field of the line, stime the 15th, in clock ticks (100 a second).
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return peakMiB, time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

type levelResult struct {
	reviews, errors, shed int
	seconds               float64
	p50, p99, max         float64 // ms
	cpuPerReview          float64 // µs
	peakMiB               float64
	patchBytes            int
	withinDeadline        float64 // share of answers the webhook's histogram puts within the deadline
}

func (r levelResult) row(c int, distinct bool) string {
	pods := "identical"
	if distinct {
		pods = "distinct"
	}
	return fmt.Sprintf("| %d | %s | %d | %.0f | %.2f | %.2f | %.1f | %d | %d | %.0f | %.0f |",
		c, pods, r.reviews, float64(r.reviews)/r.seconds, r.p50, r.p99, r.max, r.errors, r.shed, r.cpuPerReview, r.peakMiB)
}

// loadLevel runs one fresh webhook under c concurrent reviewers for d or
// max reviews.
func loadLevel(o options, configDir string, pod []byte, c int, distinct bool, query string, d time.Duration, maxReviews int) (levelResult, error) {
	w, err := startWebhook(o.webhook, configDir)
	if err != nil {
		return levelResult{}, err
	}
	defer w.stop()
	body := reviews(pod, distinct)
	// Warm up, and check that the review is grafted.
	var res levelResult
	for i := range 200 {
		status, answer, err := post(w.client, w.url+"?timeout=5s", body(i))
		if err != nil || status != http.StatusOK {
			return res, fmt.Errorf("warm-up review: %d %v %s\n%s", status, err, answer, w.log())
		}
		var out struct {
			Response struct {
				Allowed bool   `json:"allowed"`
				Patch   string `json:"patch"`
			} `json:"response"`
		}
		if err := json.Unmarshal(answer, &out); err != nil || !out.Response.Allowed || out.Response.Patch == "" {
			return res, fmt.Errorf("the review was not grafted: %s", answer)
		}
		patch, _ := base64.StdEncoding.DecodeString(out.Response.Patch)
		res.patchBytes = len(patch)
	}
	_, cpuBefore, err := w.usage()
	if err != nil {
		return res, err
	}
	var (
		count          atomic.Int64
		errs, shed     atomic.Int64
		mu             sync.Mutex
		latencies      []float64
		wg             sync.WaitGroup
		ctx, cancel    = context.WithTimeout(context.Background(), d)
		start          = time.Now()
		perWorkerLimit = make(chan struct{}, maxReviews)
	)
	defer cancel()
	for range maxReviews {
		perWorkerLimit <- struct{}{}
	}
	close(perWorkerLimit)
	for i := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]float64, 0, 1024)
			for n := 0; ctx.Err() == nil; n++ {
				if _, ok := <-perWorkerLimit; !ok {
					break
				}
				began := time.Now()
				status, _, err := post(w.client, w.url+query, body(n*c+i))
				ms := float64(time.Since(began)) / float64(time.Millisecond)
				switch {
				case err != nil:
					errs.Add(1)
				case status == http.StatusServiceUnavailable:
					shed.Add(1)
				case status != http.StatusOK:
					errs.Add(1)
				}
				local = append(local, ms)
				count.Add(1)
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.seconds = time.Since(start).Seconds()
	peak, cpuAfter, err := w.usage()
	if err != nil {
		return res, err
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(query, "?timeout=")); err == nil {
		res.withinDeadline = w.shareWithin(d)
	}
	slices.Sort(latencies)
	res.reviews = len(latencies)
	res.errors, res.shed = int(errs.Load()), int(shed.Load())
	res.p50, res.p99, res.max = percentile(latencies, 0.50), percentile(latencies, 0.99), latencies[len(latencies)-1]
	res.cpuPerReview = float64(cpuAfter-cpuBefore) / float64(time.Microsecond) / float64(res.reviews)
	res.peakMiB = peak
	return res, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func post(client *http.Client, url string, body []byte) (int, []byte, error) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// apiServerCase creates N Pods (dry run) through a real kube-apiserver,
// sequentially and 8 at a time, without and then with the webhook
// registered, so that the webhook's share of an admission shows.
func apiServerCase(o options, configDir string, pod []byte) (string, error) {
	dir, err := os.MkdirTemp("", "podgraft-webhookload-cluster-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	c, err := testcluster.StartForHuman(dir)
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Stop() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := c.CreateNamespace(ctx, "shop", map[string]string{"podgraft-bench": "on"}); err != nil {
		return "", err
	}
	// The Pod as a client sends it: the API server defaults it itself.
	var p map[string]any
	if err := json.Unmarshal(pod, &p); err != nil {
		return "", err
	}
	spec := p["spec"].(map[string]any)
	delete(spec, "volumes")
	spec["containers"].([]any)[0].(map[string]any)["volumeMounts"] = nil
	delete(spec, "priority") // the Priority admission plugin sets it
	delete(spec, "serviceAccountName")
	delete(spec, "serviceAccount")
	clientPod, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	w, err := startWebhook(o.webhook, configDir)
	if err != nil {
		return "", err
	}
	defer w.stop()

	type row struct {
		what string
		conc int
		lat  []float64
		secs float64
	}
	var rows []row
	measure := func(what string, conc int) error {
		lat, secs, err := creates(ctx, c, clientPod, o.pods, conc)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		rows = append(rows, row{what, conc, lat, secs})
		return nil
	}
	for _, conc := range []int{1, 8} {
		if err := measure("without the webhook", conc); err != nil {
			return "", err
		}
	}
	cfg := fmt.Sprintf(`{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":"podgraft-bench"},
"webhooks":[{"name":"pods.podgraft.dev","clientConfig":{"url":%q,"caBundle":%q},
"rules":[{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"],"operations":["CREATE"],"scope":"Namespaced"}],
"namespaceSelector":{"matchLabels":{"podgraft-bench":"on"}},"failurePolicy":"Fail","sideEffects":"None","timeoutSeconds":5,
"reinvocationPolicy":"IfNeeded","admissionReviewVersions":["v1"]}]}`, w.url, base64.StdEncoding.EncodeToString(w.ca.PEM))
	if _, err := c.Create(ctx, cfg, false); err != nil {
		return "", err
	}
	// A new configuration is not live at once: create until one is grafted.
	deadline := time.Now().Add(60 * time.Second)
	for {
		obj, err := c.Create(ctx, string(clientPod), true)
		if err == nil && strings.Contains(fmt.Sprint(obj["metadata"]), "podgraft.dev/grafts") {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the webhook configuration is not live after 60s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, conc := range []int{1, 8} {
		if err := measure("with podgraft-webhook", conc); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### Through the API server\n\n%d dry-run Pod creates (`?dryRun=All`) of the same Pod into a namespace the webhook selects, against a kube-apiserver and etcd on loopback (internal/testcluster), first without the webhook registered, then with it (`failurePolicy: Fail`, `timeoutSeconds: 5`).\n\n", o.pods)
	fmt.Fprintln(&b, "| case | concurrency | creates/s | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(&b, "|---|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f | %.2f | %.1f |\n", r.what, r.conc, float64(len(r.lat))/r.secs, percentile(r.lat, 0.5), percentile(r.lat, 0.99), r.lat[len(r.lat)-1])
	}
	fmt.Fprintf(&b, "\nThe webhook's share of one admission (sequential, p50): %.2f ms of %.2f ms.\n",
		percentile(rows[2].lat, 0.5)-percentile(rows[0].lat, 0.5), percentile(rows[2].lat, 0.5))
	return b.String(), nil
}

func creates(ctx context.Context, c *testcluster.Cluster, pod []byte, n, conc int) ([]float64, float64, error) {
	var (
		mu   sync.Mutex
		lat  []float64
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, conc)
	)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				began := time.Now()
				if _, err := c.Create(ctx, string(pod), true); err != nil {
					errs <- err
					return
				}
				ms := float64(time.Since(began)) / float64(time.Millisecond)
				mu.Lock()
				lat = append(lat, ms)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	select {
	case err := <-errs:
		return nil, 0, err
	default:
	}
	slices.Sort(lat)
	return lat, secs, nil
}
