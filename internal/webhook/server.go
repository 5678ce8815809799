// Package webhook is podgraft's mutating admission webhook: it grafts Pods
// on CREATE with the same PodGraft configs and the same engine as the
// render-time modes, answering AdmissionReview v1 over TLS with a
// JSONPatch from the request's object to the grafted one.
package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// Options configure a server; Run fills them from flags.
type Options struct {
	Configs             []string
	CertFile, KeyFile   string
	Listen              string
	MetricsListen       string // "" serves no metrics listener
	OnError             string // onErrorDeny or onErrorAllow
	GeneratedNamespaces []string
	// MaxInFlight bounds the reviews answered at once; the others wait
	// for a slot as long as their deadline allows (see mutate).
	MaxInFlight int
	// GraftCache is how many recent grafts are kept for identical Pods
	// (up to twice that many); 0 grafts every review.
	GraftCache      int
	ReloadInterval  time.Duration // how often the configs are re-read
	CertInterval    time.Duration // how often the certificate is re-read, besides file events
	ShutdownDelay   time.Duration // how long to keep serving, not ready, after SIGTERM
	ShutdownTimeout time.Duration // how long in-flight reviews may take to finish after that
	Log             *slog.Logger
	// Started, when set, is called with the listeners' addresses once the
	// server is ready (tests listen on port 0).
	Started func(addr, metricsAddr net.Addr)
}

// Limits of a request.
const (
	maxBodyBytes = 8 << 20 // the API server's objects are at most 3 MiB; a review holds object and oldObject
	// defaultTimeout is the API server's default timeoutSeconds, for a
	// request that names none.
	defaultTimeout = 10 * time.Second
	maxTimeout     = 30 * time.Second // the most timeoutSeconds allows
)

type server struct {
	opts     Options
	log      *slog.Logger
	metrics  *metrics
	configs  *configs
	reviewer *reviewer
	slots    chan struct{}
	ready    atomic.Bool
	// waiting counts reviews waiting for a slot, and serviceNanos is a
	// moving average of how long one holds its slot: together they tell
	// how long a new review would wait.
	waiting      atomic.Int64
	serviceNanos atomic.Int64
}

// Serve runs the webhook until ctx ends, then stops gracefully: it turns
// not ready, keeps serving for ShutdownDelay so that the API server stops
// sending reviews, and waits up to ShutdownTimeout for the reviews in
// flight. It returns an error when it cannot start.
func Serve(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxInFlight <= 0 {
		return errors.New("--max-in-flight must be at least 1")
	}
	s := &server{opts: o, log: o.Log, metrics: newMetrics(), slots: make(chan struct{}, o.MaxInFlight)}
	s.configs = &configs{paths: o.Configs, metrics: s.metrics, log: o.Log}
	if err := s.configs.load(); err != nil {
		return err
	}
	s.reviewer = &reviewer{engine: s.configs.current.Load, onError: o.OnError, generatedNamespaces: o.GeneratedNamespaces, cache: newGraftCache(o.GraftCache)}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)

	var metricsSrv *http.Server
	var metricsAddr net.Addr
	if o.MetricsListen != "" {
		ln, err := net.Listen("tcp", o.MetricsListen)
		if err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		metricsAddr = ln.Addr()
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.metrics.handler())
		s.health(mux)
		metricsSrv = newHTTPServer(mux, o.Log)
		go func() { errs <- serveErr(metricsSrv.Serve(ln), "metrics") }()
	}

	watcher, err := s.certificate(ctx)
	if err != nil {
		return err
	}
	go func() {
		if err := watcher.Start(ctx); err != nil {
			s.log.Error("certificate watcher stopped", "error", err)
		}
	}()
	go s.configs.watch(ctx, o.ReloadInterval)

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", s.mutate)
	s.health(mux)
	srv := newHTTPServer(mux, o.Log)
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: watcher.GetCertificate}
	go func() { errs <- serveErr(srv.ServeTLS(ln, "", ""), "webhook") }()

	s.ready.Store(true)
	s.log.Info("serving", "listen", ln.Addr().String(), "metrics", fmt.Sprint(metricsAddr), "onError", o.OnError, "maxInFlight", o.MaxInFlight)
	if o.Started != nil {
		o.Started(ln.Addr(), metricsAddr)
	}

	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("stopping: not ready; serving in-flight and late reviews", "delay", o.ShutdownDelay.String())
	time.Sleep(o.ShutdownDelay)
	stop, cancelStop := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancelStop()
	err = srv.Shutdown(stop)
	if metricsSrv != nil {
		err = errors.Join(err, metricsSrv.Shutdown(stop))
	}
	if err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// certificate reads the serving certificate, waiting for its files when
// they are not there yet (a cert-manager Secret being issued); /readyz
// says not ready meanwhile.
func (s *server) certificate(ctx context.Context) (*certwatcher.CertWatcher, error) {
	logged := false
	for {
		w, err := certwatcher.New(s.opts.CertFile, s.opts.KeyFile)
		if err == nil {
			return w.WithWatchInterval(s.opts.CertInterval), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--tls-cert-file %s, --tls-private-key-file %s: %w", s.opts.CertFile, s.opts.KeyFile, err)
		}
		if !logged {
			s.log.Info("waiting for the certificate files", "error", err.Error())
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (s *server) health(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       maxTimeout,
		WriteTimeout:      maxTimeout + 5*time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// TLS handshake errors of port scanners and the like are noise.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

func serveErr(err error, which string) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s listener: %w", which, err)
}

// mutate answers one AdmissionReview. The API server gives up on a review
// after its timeoutSeconds (the ?timeout= it sends), and an answer after
// that is lost work: so a review waits for a slot only until the half of
// its deadline that is left for grafting (at most 1 s of it) begins, and
// is otherwise shed with a 503, which the webhook's failurePolicy decides
// on, within the deadline rather than past it.
func (s *server) mutate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	outcome := outcomeInvalid
	defer func() {
		s.metrics.requests.WithLabelValues(outcome).Inc()
		s.metrics.latency.Observe(time.Since(start).Seconds())
	}()
	if r.Method != http.MethodPost {
		http.Error(w, "POST an AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	timeout := requestTimeout(r)
	reserve := min(timeout/2, time.Second)
	budget := timeout - reserve
	waiting := s.waiting.Add(1)
	// A queue that will not drain within the budget sheds at once rather
	// than at the end of the wait, sparing the time of both sides.
	if queueTooLong(waiting, cap(s.slots), time.Duration(s.serviceNanos.Load()), budget) {
		s.waiting.Add(-1)
		outcome = outcomeShed
		http.Error(w, fmt.Sprintf("podgraft-webhook is overloaded: %d reviews are waiting for %d slots, more than the review's %s timeout allows", waiting, cap(s.slots), timeout), http.StatusServiceUnavailable)
		return
	}
	wait := time.NewTimer(budget)
	select {
	case s.slots <- struct{}{}:
		wait.Stop()
		s.waiting.Add(-1)
	case <-wait.C:
		s.waiting.Add(-1)
		outcome = outcomeShed
		http.Error(w, fmt.Sprintf("podgraft-webhook is overloaded: no slot free within %s of the review's %s timeout", budget, timeout), http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		s.waiting.Add(-1)
		outcome = outcomeShed
		return
	}
	held := time.Now()
	defer func() {
		// An exponentially weighted moving average, weight 1/8.
		d := int64(time.Since(held))
		old := s.serviceNanos.Load()
		s.serviceNanos.Store(old + (d-old)/8)
	}()
	defer func() { <-s.slots }()

	body, err := readBody(w, r)
	if err != nil {
		http.Error(w, "reading the AdmissionReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	answer, out, err := s.reviewer.review(body)
	outcome = out
	if err != nil {
		code := http.StatusInternalServerError
		var he *httpError
		if errors.As(err, &he) {
			code = he.code
		}
		s.log.Warn("bad request", "error", err.Error())
		http.Error(w, err.Error(), code)
		return
	}
	if outcome == outcomeDenied || outcome == outcomeAllowed {
		s.log.Warn("graft failed", "outcome", outcome, "response", string(answer))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
	_, _ = w.Write(answer)
}

// queueTooLong says whether a review behind waiting others (itself
// included) for slots slots, each held for about service, would wait past
// budget.
func queueTooLong(waiting int64, slots int, service, budget time.Duration) bool {
	return time.Duration(waiting/int64(slots))*service > budget
}

// requestTimeout is the review's deadline as the API server sends it
// (?timeout=5s), else its default.
func requestTimeout(r *http.Request) time.Duration {
	d, err := time.ParseDuration(r.URL.Query().Get("timeout"))
	if err != nil || d <= 0 {
		return defaultTimeout
	}
	return min(d, maxTimeout)
}

// readBody reads the request's body, at most maxBodyBytes, into one
// buffer of the size the request declares (the API server always does),
// rather than growing one from 512 bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if r.ContentLength <= 0 || r.ContentLength > maxBodyBytes {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	// A body longer than it said is read whole, as io.ReadAll would.
	rest, err := io.ReadAll(body)
	if len(rest) > 0 {
		buf = append(buf, rest...)
	}
	return buf, err
}
