package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
)

// Traffic runs in real time and rules read drill time, so a window holds
// rate × range / speed requests: thin windows are named with what they
// hold, and the warning says which speed or rate would make them steady.
func TestThinWindows(t *testing.T) {
	ws := []alerting.Window{
		{Alert: "Spend", Range: 2 * time.Minute},
		{Alert: "Errors", Range: 5 * time.Minute},
		{Alert: "Canary", Range: 10 * time.Minute},
		{Alert: "Slo", Range: time.Hour},
	}
	require.Empty(t, thinWindows(ws, 5, 5), "×5: 120 requests in the shortest window")
	require.Empty(t, thinWindows(ws, 5, 24), "×24: 25 requests in the shortest window")
	require.Empty(t, thinWindows(ws, 5, 0), "no speed, no judgement")
	require.Empty(t, thinWindows(ws, 0, 60), "no traffic, no judgement")

	msg := thinWindows(ws, 5, 60)
	require.Contains(t, msg, "at ×60, 5 requests per second")
	require.Contains(t, msg, "Spend [2m] ≈10 (steady from about 25);")
	require.NotContains(t, msg, "Errors", "25 requests in 5m at ×60 is enough")
	require.Contains(t, msg, "Steady at --speed 24 or lower, or with 13 or more requests per second")

	msg = thinWindows(ws, 1, 600)
	require.Contains(t, msg, "at ×600, 1 request per second puts")
	require.Contains(t, msg, "Spend [2m] ≈0.2, Errors [5m] ≈0.5, Canary [10m] ≈1, 1 more (steady")
	require.Contains(t, msg, "Steady at --speed 4 or lower, or with 125 or more requests per second")
	msg = thinWindows(ws, 0.1, 600)
	require.Contains(t, msg, "Steady with 125 or more requests per second",
		"no speed of 1 or more would do: only the rate is offered")
}

func TestFormatSpeed(t *testing.T) {
	for in, want := range map[float64]string{1: "1", 7.2: "7", 12: "12", 99: "99", 120: "120", 1234: "1200"} {
		require.Equal(t, want, formatSpeed(in), "%v", in)
	}
}

// Request latency is real: at high speeds a request spans drill minutes,
// and what the service records at its end reaches the rules that late.
func TestSlowRequests(t *testing.T) {
	require.Empty(t, slowRequests(2500*time.Millisecond, 10, 30*time.Second), "25s at ×10: within one interval")
	require.Empty(t, slowRequests(0, 60, 30*time.Second), "no requests finished")
	msg := slowRequests(2500*time.Millisecond, 60, 30*time.Second)
	require.Contains(t, msg, "requests took 2.5s of real time (median), 2m30s of drill time at ×60, longer than the 30s evaluation interval")
	require.Contains(t, msg, "may read up to 2m30s late. Exact at --speed 12 or lower")
	require.Contains(t, slowRequests(time.Minute, 60, 30*time.Second), "no speed keeps it under the interval")
}
