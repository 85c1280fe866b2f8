package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// The control window is the drill time a scenario runs before its first
// fault, so that an alert which would page without any fault shows as a
// false alarm there instead of passing for a detection. A rule can only
// show noise once it has filled its longest range window, held for its
// `for:` and been evaluated: a window shorter than that lets a noisy
// alert go pending before the fault and fire after it.

// noiseWindows are the noise windows of the team's alerting rules, from
// the rules the team package loaded.
func noiseWindows(t *team.Team) ([]alerting.NoiseWindow, error) {
	return alerting.NoiseWindows(alertingRules(t))
}

// controlDefault is the control window of a scenario when neither a step
// nor --control-window sets one: the longest `for:` plus the longest range
// window of the team's alerting rules plus two of their longest
// evaluation interval, or features.DefaultControlWindow (5m), whichever is
// longer. why says how it was reached, for the plan.
func controlDefault(ws []alerting.NoiseWindow) (d time.Duration, why string) {
	var longestFor, longestRange, interval alerting.NoiseWindow
	for _, w := range ws {
		if w.For > longestFor.For {
			longestFor = w
		}
		if w.Range > longestRange.Range {
			longestRange = w
		}
		if w.Interval > interval.Interval {
			interval = w
		}
	}
	d = longestFor.For + longestRange.Range + 2*interval.Interval
	parts := []string{}
	if longestFor.For > 0 {
		parts = append(parts, fmt.Sprintf("the longest for: %s (%s)", model.Duration(longestFor.For), longestFor.Alert))
	}
	if longestRange.Range > 0 {
		parts = append(parts, fmt.Sprintf("the longest range %s (%s)", model.Duration(longestRange.Range), longestRange.Alert))
	}
	if interval.Interval > 0 {
		parts = append(parts, fmt.Sprintf("two %s evaluation intervals", model.Duration(interval.Interval)))
	}
	need := "the team has no alerting rule"
	if len(parts) > 0 {
		need = strings.Join(parts, " + ") + " = " + model.Duration(d).String()
	}
	if d < features.DefaultControlWindow {
		return features.DefaultControlWindow, fmt.Sprintf("the default, at least %s (%s)", model.Duration(features.DefaultControlWindow), need)
	}
	return d, "the default, long enough for every alerting rule to show noise: " + need
}

// maxNamedRules is how many rules a control window warning names.
const maxNamedRules = 3

// controlWarning says which alerting rules cannot show noise in a control
// window of d that how set ("--control-window", "the step at F:L"), and
// the default that would let them; "" when every rule can.
func controlWarning(d time.Duration, how string, ws []alerting.NoiseWindow, def time.Duration) string {
	var short []alerting.NoiseWindow
	seen := map[string]bool{}
	for _, w := range ws {
		if w.Need() > d && !seen[w.Alert] {
			seen[w.Alert] = true
			short = append(short, w)
		}
	}
	if len(short) == 0 {
		return ""
	}
	sort.SliceStable(short, func(i, j int) bool { return short[i].Need() > short[j].Need() })
	var names []string
	for i, w := range short {
		if i == maxNamedRules {
			names = append(names, fmt.Sprintf("%d more", len(short)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s needs %s (for: %s + range %s + two %s evaluations)",
			w.Alert, model.Duration(w.Need()), model.Duration(w.For), model.Duration(w.Range), model.Duration(w.Interval)))
	}
	return fmt.Sprintf("the control window of %s (%s) is too short to show these rules' noise: %s. "+
		"An alert that would page without any fault may go pending before the fault and fire after it, where drill can only call it noise; "+
		"without the setting the window is %s", model.Duration(d), how, strings.Join(names, "; "), model.Duration(def))
}

// warnControl warns, at the end of a drill whose control window ended,
// when that window was too short for a rule to show noise in it.
func (w *world) warnControl(d time.Duration, how string, ws []alerting.NoiseWindow, def time.Duration) {
	log := w.Log()
	if _, ok := log.Find(timeline.OfKind(timeline.ControlEnd, "")); !ok {
		return
	}
	if msg := controlWarning(d, how, ws, def); msg != "" {
		log.Append(timeline.Event{Kind: timeline.HarnessWarning, Subject: timeline.ControlWindowWarning, Message: msg})
	}
}
