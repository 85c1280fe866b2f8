package scenarios

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/alerting"
)

// minWindowRequests is the fewest requests an alert rule's shortest
// window should hold for the rule's alert times to be the same from run
// to run and from speed to speed. Traffic runs at its rate in real time
// while rules read drill time, so a window of drill time holds
// rate × range / speed requests. Below this, which requests happen to
// fall in the window decides when a ratio crosses its threshold. Measured
// on the demo team's outage drill (an error ratio over 5m, fault at
// +1m0s, seeds 1 to 6): with 12 requests per window (5 rps at ×120) the
// alert went pending a 30s interval late on five seeds of six; with 25
// (5 rps at ×60) and 50 (20 rps at ×120) at +2m0s on every seed, as at
// ×10 on seeds 1 to 4. A quantile over a window needs more.
const minWindowRequests = 25

// speedCheck is what a drill's speed does to its alert times. Traffic and
// request latency are real while rules read drill time, so a high speed
// leaves few requests in each rule window, and a request spans more of
// drill time: what a service records when a request ends reaches the
// rules that much later.
type speedCheck struct {
	Speed float64
	// How the speed is chosen, for the advice: "--speed", or the
	// scenario's own speed step ("the speed step at FILE:LINE").
	How string
	// Rate is the traffic's lowest rate in requests per real second; 0:
	// no traffic.
	Rate    float64
	Windows []alerting.Window // shortest first
	// Latency is the median real time of a request (0: not known, as in
	// a plan), taken before the first fault when BeforeFault; Interval the
	// rules' shortest evaluation interval.
	Latency, Interval time.Duration
	BeforeFault       bool
}

// speedWarning says what makes alert times (and recovery times, whose
// conditions read the same metrics) approximate at the check's speed and
// the speed (or rate) at which they would be steady, which it also
// returns; "" and 0 when nothing does.
func speedWarning(c speedCheck) (string, float64) {
	if !(c.Speed > 0) || !(c.Rate > 0) {
		return "", 0
	}
	var (
		reasons []string
		steady  = math.Inf(1) // the highest speed that keeps times steady
		minRate float64
	)
	held := func(r time.Duration) float64 { return c.Rate * r.Seconds() / c.Speed }
	var thin []alerting.Window
	seen := map[string]bool{}
	for _, w := range c.Windows {
		if held(w.Range) < minWindowRequests && !seen[w.Alert] {
			seen[w.Alert] = true
			thin = append(thin, w)
		}
	}
	if len(thin) > 0 {
		var names []string
		note := ""
		if held(thin[0].Range) < 1 {
			note = "; with under one, an alert may not fire at all"
		}
		for i, w := range thin {
			if i == 3 {
				names = append(names, fmt.Sprintf("%d more", len(thin)-i))
				break
			}
			n := "<1"
			if h := held(w.Range); h >= 1 {
				n = fmt.Sprintf("%.0f", math.Floor(h))
			}
			names = append(names, fmt.Sprintf("%s [%s] %s", w.Alert, model.Duration(w.Range), n))
		}
		reasons = append(reasons, fmt.Sprintf("%g requests per second leave few requests in these alert windows: %s "+
			"(about %d per window keep an alert's time steady%s)",
			c.Rate, strings.Join(names, ", "), minWindowRequests, note))
		shortest := thin[0].Range.Seconds()
		steady = c.Rate * shortest / minWindowRequests
		minRate = math.Ceil(minWindowRequests * c.Speed / shortest)
	}
	slow := false
	if lag := time.Duration(float64(c.Latency) * c.Speed); c.Latency > 0 && c.Interval > 0 && lag > c.Interval {
		slow = true
		when := ""
		if c.BeforeFault {
			when = " before the fault"
		}
		reasons = append(reasons, fmt.Sprintf("a request took about %s of real time%s (median), "+
			"about %s of drill time, longer than the %s evaluation interval, so what the service records when a "+
			"request ends (cost, tokens, latency) reaches the rules about that late",
			c.Latency.Round(100*time.Millisecond), when, lag.Round(time.Second), c.Interval))
		steady = min(steady, float64(c.Interval)/float64(c.Latency))
	}
	if len(reasons) == 0 {
		return "", 0
	}
	var fixes []string
	if steady >= 1 {
		fixes = append(fixes, fmt.Sprintf("at speed %s or lower (%s)", formatSpeed(steady), c.How))
	} else {
		steady = 0
	}
	// More traffic cannot shorten requests. When they are short, the
	// requests in flight at the advised rate stay few: rate × latency
	// ≤ 25 × interval / range, a handful under the default max_in_flight.
	if minRate > 0 && !slow {
		fixes = append(fixes, fmt.Sprintf("with %g or more requests per second", minRate))
	}
	advice := "No speed keeps them within one evaluation interval."
	if len(fixes) > 0 {
		advice = "They stay within an evaluation interval " + strings.Join(fixes, ", or ") + "."
	}
	return fmt.Sprintf("alert and recovery times are approximate at ×%g: %s. %s", c.Speed, strings.Join(reasons, "; and "), advice), roundSpeed(steady)
}

// roundSpeed rounds a largest steady speed down to two significant
// digits, a speed people type.
func roundSpeed(s float64) float64 {
	for _, step := range []float64{100, 10} {
		if s >= step*10 {
			return math.Floor(s/step) * step
		}
	}
	return math.Floor(s)
}

func formatSpeed(s float64) string { return fmt.Sprintf("%g", roundSpeed(s)) }
