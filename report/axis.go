package report

import (
	"fmt"
	"math"
	"time"
)

// textWidth estimates how wide a label is drawn at the given font size,
// erring wide: the widths are DejaVu Sans's (the widest common sans
// serif) rounded up, so a label laid out by this estimate does not run
// into its neighbour in any usual font.
func textWidth(s string, px float64) float64 {
	var em float64
	for _, r := range s {
		switch {
		case r == 'i' || r == 'l' || r == 'j' || r == 't' || r == 'f' || r == 'r' || r == ' ' || r == '.' || r == ',' ||
			r == ':' || r == ';' || r == '|' || r == '!' || r == '\'' || r == '(' || r == ')' || r == '-' || r == '/':
			em += 0.42
		case r == 'm' || r == 'w' || r == 'M' || r == 'W' || r == '+' || r == '%' || r == '→' || r == '—' || r == '■':
			em += 1.0
		case r >= 'A' && r <= 'Z':
			em += 0.8
		default:
			em += 0.66
		}
	}
	return em * px
}

// durationSteps are the axis steps a duration axis may use: each reads as
// a round number of seconds, minutes or hours.
var durationSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// durationStep is the smallest round step that covers span (seconds) in
// at most maxTicks steps.
func durationStep(span float64, maxTicks int) time.Duration {
	for _, s := range durationSteps {
		if span/s.Seconds() <= float64(maxTicks) {
			return s
		}
	}
	last := durationSteps[len(durationSteps)-1]
	return time.Duration(math.Ceil(span/last.Seconds()/float64(maxTicks))) * last
}

// durationLabel writes a round duration for an axis: "0", "30s", "5m",
// "1h30m".
func durationLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	out := ""
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if s > 0 || out == "" {
		out += fmt.Sprintf("%ds", s)
	}
	return out
}

// calendarSteps are the steps a date axis may use.
var calendarSteps = []time.Duration{
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// dateTick is one labelled tick of a date axis.
type dateTick struct {
	At    time.Time
	Label string
}

// dateTicks puts at most maxTicks ticks on [from, to] at round UTC times
// (whole hours, midnights, every second day or week from a midnight),
// labelled so that no two read the same: "Nov 3" when the step is a day
// or more, else the hour, with the date where a new day starts.
func dateTicks(from, to time.Time, maxTicks int) []dateTick {
	span := to.Sub(from)
	step := calendarSteps[len(calendarSteps)-1]
	for _, s := range calendarSteps {
		if span/s <= time.Duration(maxTicks) {
			step = s
			break
		}
	}
	for span/step > time.Duration(maxTicks) {
		step *= 2
	}
	from, to = from.UTC(), to.UTC()
	// the first round time in the window: a midnight for steps of days,
	// a multiple of the step for hours
	t := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for t.Before(from) {
		t = t.Add(min(step, 24*time.Hour))
	}
	var out []dateTick
	prevDay := ""
	for ; !t.After(to); t = t.Add(step) {
		day := t.Format("Jan 2")
		label := day
		if step < 24*time.Hour {
			label = t.Format("15:04")
			if day != prevDay {
				label = day + " " + label
			}
		}
		prevDay = day
		out = append(out, dateTick{t, label})
	}
	return out
}

// rows lays out labels along a line without overlap: each item [from, to)
// in pixels goes in the first row whose last item ends at least gap
// before it. It returns each item's row and the number of rows.
func layoutRows(spans [][2]float64, gap float64) ([]int, int) {
	var ends []float64
	out := make([]int, len(spans))
	for i, s := range spans {
		row := -1
		for r, e := range ends {
			if e+gap <= s[0] {
				row = r
				break
			}
		}
		if row < 0 {
			row = len(ends)
			ends = append(ends, 0)
		}
		ends[row] = s[1]
		out[i] = row
	}
	return out, max(1, len(ends))
}
