package examples_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/examples"
)

var (
	trafficStep = regexp.MustCompile(`^(?:Given|And)\s+steady traffic of ([0-9.]+) requests per second`)
	holdStep    = regexp.MustCompile(`^(?:Then|And)\s+"(.+)" holds for `)
)

type hold struct {
	at   string // FILE:LINE of the step
	rate float64
	expr string
}

// demoHolds returns every "holds for" step of the demo team's features
// with the traffic rate of its scenario.
func demoHolds(t *testing.T) []hold {
	t.Helper()
	fsys := examples.AcmeML()
	files, err := fs.Glob(fsys, "features/*.feature")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []hold
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		require.NoError(t, err)
		rate := 0.0
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "Scenario:") {
				rate = 0
			}
			if m := trafficStep.FindStringSubmatch(line); m != nil {
				rate, err = strconv.ParseFloat(m[1], 64)
				require.NoError(t, err, "%s:%d", f, n)
			}
			if m := holdStep.FindStringSubmatch(line); m != nil {
				out = append(out, hold{at: fmt.Sprintf("%s:%d", path.Base(f), n), rate: rate, expr: m[1]})
			}
		}
		require.NoError(t, sc.Err())
	}
	return out
}

// schemaHold is the hold of the schema-change drill, found by its
// selector.
func schemaHold(t *testing.T) hold {
	t.Helper()
	for _, h := range demoHolds(t) {
		if strings.HasPrefix(h.at, "third-party-failure.feature:") && strings.Contains(h.expr, "route='agent'") {
			return h
		}
	}
	t.Fatal("third-party-failure.feature has no hold over the agent route")
	return hold{}
}

// The schema-change drill's hold reads agent runs in a 2m window of drill
// time at 3 requests per second: at ×60 a window holds about 3.6 of them
// and often none. A window in which no agent run ended shows nothing
// either way and must not fail the hold (it did: 4 seeds of 5 failed at
// ×120); a window in which agent runs ended and none answered 200 must.
// The series are as drill records them: a scrape every 30s, each real
// request counted 60 times (×60).
func TestDemoSchemaHoldReadsAgentRunsNotEmptyWindows(t *testing.T) {
	h := schemaHold(t)
	require.Positive(t, h.rate, "%s: the scenario sets a traffic rate", h.at)
	// 0-5m: a run ends 200 every 30s; 5m-8m: no run ends; from 8m: runs
	// end 502 only.
	st := promqltest.LoadedStorage(t, `
load 30s
  drill_gateway_requests_total{route="agent",status="200"} 0+60x10 600+0x15
  drill_gateway_requests_total{route="agent",status="502"} 0+0x16 60+60x8
`)
	ng := promqltest.NewTestEngine(t, false, 5*time.Minute, 100000)
	holds := func(at time.Duration) bool {
		q, err := ng.NewInstantQuery(context.Background(), st, nil, h.expr, time.Unix(0, 0).Add(at))
		require.NoError(t, err, h.at)
		defer q.Close()
		r := q.Exec(context.Background())
		require.NoError(t, r.Err, h.at)
		v, err := r.Vector()
		require.NoError(t, err, h.at)
		return len(v) > 0
	}
	require.True(t, holds(4*time.Minute), "%s: runs answer 200", h.at)
	require.True(t, holds(7*time.Minute+30*time.Second), "%s: a window in which no agent run ended fails the hold", h.at)
	require.False(t, holds(11*time.Minute+30*time.Second), "%s: runs answer 502 only and the hold still holds", h.at)
}
