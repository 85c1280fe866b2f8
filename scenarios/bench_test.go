package scenarios

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/scoring"
)

// BenchmarkLibrary runs every drill of the demo team at speed 60 with two
// worlds at a time, as CI would, and reports the wall time of the whole
// library and the process's peak resident memory. Targets: under 3
// minutes and 500 MB on 2 cores.
func BenchmarkLibrary(b *testing.B) {
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
