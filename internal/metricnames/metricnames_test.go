package metricnames

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
)

// The names Of reports are the names a scrape of the same collectors
// shows, for every kind of metric, single or vector.
func TestOfMatchesTheExposition(t *testing.T) {
	cv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_requests_total", Help: "h"}, []string{"code"})
	gv := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "x_in_flight", Help: "h"}, []string{"route"})
	hv := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "x_duration_seconds", Help: "h"}, []string{"route"})
	sv := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "x_size_bytes", Help: "h", Objectives: map[float64]float64{0.5: 0.05}}, []string{"route"})
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "x", Name: "fallbacks_total", Help: "h"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x_budget", Help: "h"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "x_steps", Help: "h"})
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "x_latency", Help: "h", Objectives: map[float64]float64{0.9: 0.01}})
	all := []prometheus.Collector{cv, gv, hv, sv, c, g, h, s}

	got, err := Of(all...)
	require.NoError(t, err)
	require.Equal(t, []string{
		"x_budget", "x_duration_seconds_bucket", "x_duration_seconds_count", "x_duration_seconds_sum",
		"x_fallbacks_total", "x_in_flight", "x_latency", "x_latency_count", "x_latency_sum",
		"x_requests_total", "x_size_bytes", "x_size_bytes_count", "x_size_bytes_sum",
		"x_steps_bucket", "x_steps_count", "x_steps_sum",
	}, got)

	// What a scrape shows, once every vector has a child.
	reg := prometheus.NewRegistry()
	reg.MustRegister(all...)
	cv.WithLabelValues("200").Inc()
	gv.WithLabelValues("chat").Set(1)
	hv.WithLabelValues("chat").Observe(1)
	sv.WithLabelValues("chat").Observe(1)
	h.Observe(1)
	s.Observe(1)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	scraped := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		scraped[name] = true
	}
	for _, n := range got {
		require.True(t, scraped[n], "%s is not in the exposition:\n%s", n, rec.Body.String())
		delete(scraped, n)
	}
	require.Empty(t, scraped, "series the exposition has and Of does not")
}

func TestOfNothing(t *testing.T) {
	got, err := Of()
	require.NoError(t, err)
	require.Empty(t, got)
}
