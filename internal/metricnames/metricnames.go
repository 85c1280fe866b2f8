package metricnames

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fqName reads a metric's fully-qualified name from its description:
// client_golang keeps it unexported and prints it first in Desc.String.
var fqName = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*")`)

// Of returns the sorted, distinct names of the series cs expose in the
// Prometheus text format. A collector whose description cannot be read
// (a client_golang that prints descriptions differently) is an error,
// never a silently shorter list.
func Of(cs ...prometheus.Collector) ([]string, error) {
	set := map[string]bool{}
	for _, c := range cs {
		names, err := describe(c)
		if err != nil {
			return nil, err
		}
		suffixes := []string{""}
		switch typeOf(c) {
		case dto.MetricType_HISTOGRAM:
			suffixes = []string{"_bucket", "_sum", "_count"}
		case dto.MetricType_SUMMARY:
			suffixes = []string{"", "_sum", "_count"}
		}
		for _, n := range names {
			for _, s := range suffixes {
				set[n+s] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// MustOf is Of for a package's own fixed collectors, which cannot fail
// unless client_golang changes how it prints a description.
func MustOf(cs ...prometheus.Collector) []string {
	out, err := Of(cs...)
	if err != nil {
		panic(err)
	}
	return out
}

func describe(c prometheus.Collector) ([]string, error) {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	var out []string
	var err error
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			err = fmt.Errorf("metricnames: cannot read the name of %s", d)
			continue // drain the channel
		}
		n, uerr := strconv.Unquote(m[1])
		if uerr != nil {
			err = fmt.Errorf("metricnames: cannot read the name of %s: %w", d, uerr)
			continue
		}
		out = append(out, n)
	}
	return out, err
}

// typeOf is the type of the series a collector exposes. A vector says it
// by its Go type; a single metric by what it writes.
func typeOf(c prometheus.Collector) dto.MetricType {
	switch c.(type) {
	case *prometheus.HistogramVec:
		return dto.MetricType_HISTOGRAM
	case *prometheus.SummaryVec:
		return dto.MetricType_SUMMARY
	case *prometheus.CounterVec:
		return dto.MetricType_COUNTER
	case *prometheus.GaugeVec:
		return dto.MetricType_GAUGE
	}
	m, ok := c.(prometheus.Metric)
	if !ok {
		return dto.MetricType_UNTYPED
	}
	var pb dto.Metric
	if m.Write(&pb) != nil {
		return dto.MetricType_UNTYPED
	}
	switch {
	case pb.Histogram != nil:
		return dto.MetricType_HISTOGRAM
	case pb.Summary != nil:
		return dto.MetricType_SUMMARY
	case pb.Counter != nil:
		return dto.MetricType_COUNTER
	case pb.Gauge != nil:
		return dto.MetricType_GAUGE
	}
	return dto.MetricType_UNTYPED
}
