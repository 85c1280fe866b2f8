package testbed

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// rssBytes reads this process's resident memory from /proc (Linux); 0
// elsewhere.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkStartToReady measures a testbed from Start to a service that
// answers (targets: < 300 ms), and the resident memory an idle testbed
// adds (target: < 100 MB), with the standard test topology.
func BenchmarkStartToReady(b *testing.B) {
	top := loadTopology(b, filepath.Join("testdata", "drill.yaml"))
	runtime.GC()
	base := rssBytes()
	var peak int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
		if err != nil {
			b.Fatal(err)
		}
		if r := get(tb.Endpoints().Service.URL + "/healthz"); r.status != 200 {
			b.Fatalf("service not ready: %d %v", r.status, r.err)
		}
		b.StopTimer()
		if rss := rssBytes() - base; rss > peak {
			peak = rss
		}
		if err := tb.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "MB-rss/testbed")
}

// BenchmarkSideBySide starts several testbeds at once: every port is
// dynamic, so they never collide.
func BenchmarkSideBySide(b *testing.B) {
	top := loadTopology(b, filepath.Join("testdata", "drill.yaml"))
	for b.Loop() {
		var tbs []*Testbed
		for range 4 {
			tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
			if err != nil {
				b.Fatal(err)
			}
			tbs = append(tbs, tb)
		}
		for _, tb := range tbs {
			if err := tb.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
