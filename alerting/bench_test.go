package alerting

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/gctune"
	"github.com/drillkit/drill/timeline"
)

// cpuTime is the CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTarget exposes 5,000 series: 25 counter and 25 gauge families of
// 100 series each. Counters grow on every scrape. The page is built with
// appends, not fmt, so that the tick's time is drill's, not the fake
// target's.
func benchTarget() *httptest.Server {
	n := 0
	var buf []byte
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n++
		b := buf[:0]
		for f := range 25 {
			fam := strconv.Itoa(f)
			b = append(b, "# TYPE bench_requests_"+fam+"_total counter\n"...)
			for s := range 100 {
				b = append(b, "bench_requests_"+fam+`_total{route="/r`...)
				b = strconv.AppendInt(b, int64(s), 10)
				b = append(b, `",code="`...)
				b = strconv.AppendInt(b, int64(200+s%3), 10)
				b = append(b, `"} `...)
				b = strconv.AppendInt(b, int64(n*(s+1)), 10)
				b = append(b, '\n')
			}
			b = append(b, "# TYPE bench_inflight_"+fam+" gauge\n"...)
			for s := range 100 {
				b = append(b, "bench_inflight_"+fam+`{route="/r`...)
				b = strconv.AppendInt(b, int64(s), 10)
				b = append(b, `",code="`...)
				b = strconv.AppendInt(b, int64(200+s%3), 10)
				b = append(b, `"} `...)
				b = strconv.AppendInt(b, int64(s%7), 10)
				b = append(b, '\n')
			}
		}
		buf = b
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write(b)
	}))
}

// benchRules writes 100 rules in 5 groups: per counter family a recording
// rule, an alert on the recorded series and a ratio alert; per gauge
// family a threshold alert.
func benchRules(b *testing.B) string {
	var r strings.Builder
	r.WriteString("groups:\n")
	for g := range 5 {
		fmt.Fprintf(&r, "  - name: g%d\n    rules:\n", g)
		for i := g * 5; i < g*5+5; i++ {
			fmt.Fprintf(&r, "      - record: route:bench_requests_%d:rate5m\n        expr: sum by (route) (rate(bench_requests_%d_total[5m]))\n", i, i)
			fmt.Fprintf(&r, "      - alert: Busy%d\n        expr: route:bench_requests_%d:rate5m > 1e6\n        for: 5m\n        annotations: {summary: \"{{ $labels.route }} {{ $value }}\"}\n", i, i)
			fmt.Fprintf(&r, "      - alert: Errors%d\n        expr: sum(rate(bench_requests_%d_total{code=\"202\"}[5m])) / sum(rate(bench_requests_%d_total[5m])) > 0.9\n        for: 2m\n", i, i, i)
			fmt.Fprintf(&r, "      - alert: Inflight%d\n        expr: bench_inflight_%d > 5\n        for: 10m\n", i, i)
		}
	}
	p := b.TempDir() + "/rules.yaml"
	if err := writeFile(p, r.String()); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkTick is one scrape-and-evaluate tick over 5,000 series and 100
// rules, with the garbage collector set as the drill binary sets it
// (gc=drill, see internal/gctune) and as Go sets it by default (gc=go).
// max_speed@15s is the largest clock speed at which ticks keep up with
// 15s evaluation intervals (15s of drill time / real tick time).
func BenchmarkTick(b *testing.B) {
	b.Run("gc=drill", func(b *testing.B) {
		defer gctune.Apply(func(string) string { return "" })()
		benchTick(b)
	})
	b.Run("gc=go", benchTick)
}

func benchTick(b *testing.B) {
	srv := benchTarget()
	defer srv.Close()
	clock := timeline.NewVirtual(time.Now())
	e, err := New(Options{Clock: clock, RuleFiles: []string{benchRules(b)}, EvalInterval: 15 * time.Second,
		Targets: []Target{{Name: "bench", URL: srv.URL}}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for range 25 { // fill the 5m windows
		if err := e.Tick(ctx, clock.Now()); err != nil {
			b.Fatal(err)
		}
		clock.Advance(15 * time.Second)
	}
	cpu0 := cpuTime()
	var parts tickCost
	b.ResetTimer()
	for b.Loop() {
		if err := e.Tick(ctx, clock.Now()); err != nil {
			b.Fatal(err)
		}
		parts.scrape += e.lastCost.scrape
		parts.rules += e.lastCost.rules
		clock.Advance(15 * time.Second)
	}
	perTick := b.Elapsed() / time.Duration(b.N)
	cpuPerTick := (cpuTime() - cpu0) / time.Duration(b.N)
	b.ReportMetric(float64(15*time.Second)/float64(perTick), "max_speed@15s")
	// CPU time of the whole process per tick (scrape target included):
	// the figure that does not depend on what else runs on the machine.
	b.ReportMetric(float64(cpuPerTick)/float64(time.Millisecond), "cpu_ms/tick")
	// Where the tick's time goes: the scrape, and the rules (Prometheus'
	// own rule groups and PromQL engine, plus reading their alerts).
	b.ReportMetric(float64(parts.scrape)/float64(b.N)/float64(time.Millisecond), "scrape_ms")
	b.ReportMetric(float64(parts.rules)/float64(b.N)/float64(time.Millisecond), "rules_ms")
}
