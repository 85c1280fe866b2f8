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
// ×10 on seeds 1 to 4.
const minWindowRequests = 25

// thinWindows says which alert rules' windows hold fewer than
// minWindowRequests requests of traffic at rate (requests per real
// second) and speed, and how to make them steady; "" when none do or
// there is no traffic.
func thinWindows(ws []alerting.Window, rate, speed float64) string {
	if rate <= 0 || speed <= 0 {
		return ""
	}
	held := func(r time.Duration) float64 { return rate * r.Seconds() / speed }
	var thin []alerting.Window
	for _, w := range ws { // shortest first
		if held(w.Range) < minWindowRequests {
			thin = append(thin, w)
		}
	}
	if len(thin) == 0 {
		return ""
	}
	var names []string
	for i, w := range thin {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(thin)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s [%s] ≈%.2g", w.Alert, model.Duration(w.Range), held(w.Range)))
	}
	shortest := thin[0].Range.Seconds()
	maxSpeed := rate * shortest / minWindowRequests
	minRate := math.Ceil(minWindowRequests * speed / shortest)
	fix := fmt.Sprintf("with %g or more requests per second", minRate)
	if maxSpeed >= 1 {
		fix = fmt.Sprintf("at --speed %s or lower, or %s", formatSpeed(maxSpeed), fix)
	}
	per := "requests per second put"
	if rate == 1 {
		per = "request per second puts"
	}
	return fmt.Sprintf("at ×%g, %g %s few requests in these alert rules' windows: %s (steady from about %d); "+
		"their alert times may vary by an evaluation interval from run to run. Steady %s",
		speed, rate, per, strings.Join(names, ", "), minWindowRequests, fix)
}

// formatSpeed rounds a largest steady speed down to two significant
// digits, a speed people type.
func formatSpeed(s float64) string {
	for _, step := range []float64{100, 10, 1} {
		if s >= step*10 || step == 1 {
			return fmt.Sprintf("%g", math.Floor(s/step)*step)
		}
	}
	return ""
}

// slowRequests says when requests whose median takes median of real time
// span more than one evaluation interval of drill time at speed, and what
// speed would keep them within one; "" otherwise.
func slowRequests(median time.Duration, speed float64, interval time.Duration) string {
	lag := time.Duration(float64(median) * speed)
	if median <= 0 || interval <= 0 || lag <= interval {
		return ""
	}
	fix := "no speed keeps it under the interval"
	if s := float64(interval) / float64(median); s >= 1 {
		fix = fmt.Sprintf("Exact at --speed %s or lower", formatSpeed(s))
	}
	return fmt.Sprintf("requests took %s of real time (median), %s of drill time at ×%g, longer than the %s "+
		"evaluation interval: what the service records when a request ends (cost, tokens, latency) reaches "+
		"the rules that late, so alert times may read up to %s late. %s",
		median.Round(100*time.Millisecond), lag.Round(time.Second), speed, interval, lag.Round(time.Second), fix)
}
