package webhook

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// metrics are the webhook's Prometheus series. Each server has its own
// registry, so that tests can run several.
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      prometheus.Histogram
	inFlight     prometheus.Gauge
	generation   prometheus.Gauge
	reloadErrors prometheus.Counter
	lastReloadOK prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podgraft_webhook_requests_total",
			Help: "AdmissionReviews answered, by outcome: patched, unchanged, skipped (not a Pod CREATE), denied and error_allowed (a graft failed; see --on-error), invalid (not an AdmissionReview v1), shed (overloaded).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "podgraft_webhook_request_duration_seconds",
			Help:    "Time from reading an AdmissionReview to writing its answer, queueing included.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "podgraft_webhook_in_flight_requests",
			Help: "AdmissionReviews being answered or waiting for a slot.",
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "podgraft_webhook_config_generation",
			Help: "How many times a set of configs was loaded: 1 at start-up, +1 on each successful reload.",
		}),
		reloadErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "podgraft_webhook_config_reload_errors_total",
			Help: "Config changes that could not be loaded; the previous configs kept serving.",
		}),
		lastReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "podgraft_webhook_config_last_reload_successful",
			Help: "1 when the configs on disk are the ones serving, 0 when the last change failed to load.",
		}),
	}
	for _, outcome := range []string{outcomePatched, outcomeUnchanged, outcomeSkipped, outcomeDenied, outcomeAllowed, outcomeInvalid, outcomeShed} {
		m.requests.WithLabelValues(outcome) // every outcome is listed from the start, at 0
	}
	m.registry.MustRegister(m.requests, m.latency, m.inFlight, m.generation, m.reloadErrors, m.lastReloadOK,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the webhook's series and controller-runtime's, which
// hold the certificate watcher's reads and read errors.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(prometheus.Gatherers{m.registry, crmetrics.Registry}, promhttp.HandlerOpts{})
}
