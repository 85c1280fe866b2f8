package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
)

var testWindows = []alerting.Window{
	{Alert: "Spend", Range: 2 * time.Minute},
	{Alert: "Errors", Range: 5 * time.Minute},
	{Alert: "Canary", Range: 10 * time.Minute},
	{Alert: "Errors", Range: 30 * time.Minute}, // defined twice: named once
	{Alert: "Slo", Range: time.Hour},
}

// Traffic runs in real time and rules read drill time, so a window holds
// rate × range / speed requests: thin windows are named with what they
// hold, and the warning says which speed or rate would make them steady.
func TestSpeedWarningThinWindows(t *testing.T) {
	check := func(rate, speed float64) speedCheck {
		return speedCheck{Speed: speed, How: "--speed", Rate: rate, Windows: testWindows}
	}
	for _, c := range []speedCheck{check(5, 5), check(5, 24), check(5, 0), check(0, 60)} {
		msg, steady := speedWarning(c)
		require.Empty(t, msg, "%+v", c)
		require.Zero(t, steady)
	}

	msg, steady := speedWarning(check(5, 60))
	require.Contains(t, msg, "alert and recovery times are approximate at ×60: 5 requests per second leave few requests in these alert windows: Spend [2m] 10 (about 25 per window")
	require.NotContains(t, msg, "Errors", "25 requests in 5m at ×60 is enough")
	require.Contains(t, msg, "They stay within an evaluation interval at speed 24 or lower (--speed), or with 13 or more requests per second.")
	require.Equal(t, 24.0, steady)

	msg, _ = speedWarning(check(1, 600))
	require.Contains(t, msg, "Spend [2m] <1, Errors [5m] <1, Canary [10m] 1, 1 more (")
	require.Equal(t, 1, strings.Count(msg, "Errors"), "an alert defined twice is named once")
	require.Contains(t, msg, "at speed 4 or lower (--speed), or with 125 or more requests per second.")

	msg, steady = speedWarning(check(0.1, 600))
	require.Contains(t, msg, "They stay within an evaluation interval with 125 or more requests per second.",
		"no speed of 1 or more would do: only the rate is offered")
	require.Zero(t, steady)
}

// Request latency is real: at high speeds a request spans drill minutes,
// and what the service records at its end reaches the rules that late.
// More traffic does not help then, and the advice names how the speed
// was chosen.
func TestSpeedWarningSlowRequests(t *testing.T) {
	c := speedCheck{Speed: 60, How: "the speed step at x.feature:9", Rate: 50,
		Windows: testWindows, Latency: 2500 * time.Millisecond, Interval: 30 * time.Second, BeforeFault: true}
	msg, steady := speedWarning(c)
	require.Contains(t, msg, "alert and recovery times are approximate at ×60: a request took about 2.5s of real time before the fault (median), about 2m30s of drill time, longer than the 30s evaluation interval")
	require.Contains(t, msg, "They stay within an evaluation interval at speed 12 or lower (the speed step at x.feature:9).")
	require.NotContains(t, msg, "requests per second", "50 rps fill every window; more would not shorten requests")
	require.Equal(t, 12.0, steady)

	c.Speed = 10
	msg, _ = speedWarning(c)
	require.Empty(t, msg, "25s at ×10: within one interval")

	c.Speed, c.Latency = 60, time.Minute
	msg, steady = speedWarning(c)
	require.Contains(t, msg, "No speed keeps them within one evaluation interval.")
	require.Zero(t, steady)

	// Thin windows and slow requests: the lower speed wins, no rate.
	c = speedCheck{Speed: 60, How: "--speed", Rate: 5, Windows: testWindows, Latency: 1400 * time.Millisecond, Interval: 30 * time.Second}
	msg, steady = speedWarning(c)
	require.Contains(t, msg, "Spend [2m] 10")
	require.Contains(t, msg, "; and a request took about 1.4s of real time (median), about 1m24s of drill time", "no fault: the median of the whole drill")
	require.Contains(t, msg, "at speed 21 or lower (--speed).")
	require.Equal(t, 21.0, steady)
}

func TestRoundSpeed(t *testing.T) {
	for in, want := range map[float64]string{1: "1", 7.2: "7", 12: "12", 99: "99", 120: "120", 1234: "1200"} {
		require.Equal(t, want, formatSpeed(in), "%v", in)
	}
}
