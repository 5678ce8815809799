package webhook

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkReview answers one AdmissionReview of a Pod grafted with
// examples/web-with-proxy's PodGraft (without fronts), as the load
// benchmark (bench/webhookload) sends it.
func BenchmarkReview(b *testing.B) {
	dir := b.TempDir()
	raw, err := os.ReadFile("../../examples/web-with-proxy/graft.yaml")
	if err != nil {
		b.Fatal(err)
	}
	graft := strings.Replace(string(raw), "      fronts: {port: http, via: proxy}\n", "", 1)
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		b.Fatal(err)
	}
	conf, err := os.ReadFile("../../examples/web-with-proxy/conf/nginx.conf")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "conf", "nginx.conf"), conf, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "graft.yaml"), []byte(graft), 0o644); err != nil {
		b.Fatal(err)
	}
	e, err := loadEngine([]string{filepath.Join(dir, "graft.yaml")})
	if err != nil {
		b.Fatal(err)
	}
	rv := &reviewer{engine: func() *engine { return e }, onError: onErrorDeny}
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"storefront-7d9f8c6b5-","namespace":"shop",` +
		`"labels":{"app.kubernetes.io/name":"storefront","app.kubernetes.io/part-of":"web","pod-template-hash":"7d9f8c6b5"},` +
		`"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"storefront-7d9f8c6b5","uid":"1","controller":true}]},` +
		`"spec":{"containers":[{"name":"backend","image":"registry.example.com/shop/storefront:2.4.1","imagePullPolicy":"IfNotPresent",` +
		`"ports":[{"name":"http","containerPort":3000,"protocol":"TCP"}],"resources":{"requests":{"cpu":"250m","memory":"256Mi"}},` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst"}}`
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},` +
		`"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{},"object":` + pod + `}}`)
	b.ReportAllocs()
	for b.Loop() {
		answer, outcome, err := rv.review(body)
		if err != nil || outcome != outcomePatched || len(answer) == 0 {
			b.Fatalf("%s %v %s", outcome, err, answer)
		}
	}
}

// BenchmarkServe sends reviews of distinct Pods to a server in the same
// process over TLS and HTTP/2, 8 at a time: the whole path, for profiles
// (-cpuprofile) of what the webhook spends beside the graft.
func BenchmarkServe(b *testing.B) {
	r := start(b, func(o *Options) { o.Configs = []string{"testdata/graft.yaml"}; o.Log = nil; o.GraftCache = 0 })
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: r.client.Transport.(*http.Transport).TLSClientConfig, ForceAttemptHTTP2: true}}
	var n atomic.Int64
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			pod := strings.Replace(deploymentPod, `"app": "web"`, `"app": "web", "n": "`+strconv.FormatInt(n.Add(1), 10)+`"`, 1)
			resp, err := h2.Post("https://"+r.addr+"/mutate?timeout=5s", "application/json", bytes.NewReader(reviewBody(b, pod, reviewCase{})))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
