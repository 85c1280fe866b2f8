package scenarios

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/gctune"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
)

// BenchmarkLibrary runs every drill of the demo team at speed 60 with two
// worlds at a time, as CI would, and reports the wall time of the whole
// library and the process's peak resident memory. Targets: under 3
// minutes and 500 MB on 2 cores.
func BenchmarkLibrary(b *testing.B) {
	defer gctune.Apply(func(string) string { return "" })() // as the drill binary runs
	tm := demoTeam(b)
	for b.Loop() {
		start := time.Now()
		card, err := Run(context.Background(), Options{Team: tm, All: true, Speed: 60, Seed: 1, Parallel: 2})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		b.ReportMetric(float64(card.Summary.Passed), "passed")
		b.ReportMetric(float64(len(card.Scenarios)), "scenarios")
		if card.Summary.Passed != len(card.Scenarios) {
			for _, sc := range card.Scenarios {
				if sc.Status != scoring.Passed {
					b.Logf("%s: %s: %s", sc.Name, sc.Status, sc.Reason)
				}
			}
		}
	}
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(hwm/(1<<20), "peak-MB")
	}
}

// BenchmarkDemoTeamTick is one scrape-and-evaluate tick of the demo
// team's own rules over its own running testbed (providers, stubs,
// gateway, traffic and toxiproxy, scraped for real), with 5 minutes of
// drill time already stored. max_speed is the largest clock speed at
// which ticks keep up: the team's evaluation interval over the real time
// of one tick.
func BenchmarkDemoTeamTick(b *testing.B) {
	defer gctune.Apply(func(string) string { return "" })() // as the drill binary runs
	tm := demoTeam(b)
	top, err := TopologyOf(tm)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tb, err := testbed.Start(ctx, top, testbed.Options{Dir: tm.Dir, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Close()
	clock := timeline.NewVirtual(time.Now())
	e, err := alerting.New(alerting.Options{Clock: clock, RuleFiles: ruleFiles(tm), Targets: alertTargets(tb), Speed: 60,
		ExternalLabels: map[string]string{"drill": "true"}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	tick := func() {
		if err := e.Tick(ctx, clock.Now()); err != nil {
			b.Fatal(err)
		}
		clock.Advance(e.Interval())
	}
	for range int(5*time.Minute/e.Interval()) + 1 {
		tick()
	}
	b.ResetTimer()
	for b.Loop() {
		tick()
	}
	perTick := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perTick.Microseconds())/1000, "ms/tick")
	b.ReportMetric(float64(e.Interval())/float64(perTick), "max_speed")
	if v, err := e.Query(ctx, `count({__name__=~".+"})`); err == nil && len(v) == 1 {
		b.ReportMetric(v[0].F, "series")
	}
	b.ReportMetric(float64(len(tm.Rules)), "rules")
}

// peakRSS is the process's peak resident set (VmHWM) in bytes, or 0
// where /proc is not available.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
