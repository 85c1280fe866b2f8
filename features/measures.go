package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/drillkit/drill/timeline"
)

// latencyP95 is the built-in latency measure: the 95th percentile of the
// traffic generator's client-side request latency (its
// drill_traffic_request_duration_seconds histogram) over the last minute,
// in seconds.
const latencyP95 = `histogram_quantile(0.95, sum by (le) (rate(drill_traffic_request_duration_seconds_bucket[1m])))`

// measure is a built-in measure a step names in words: the PromQL of its
// value, the side of its bound that is good, and how its bound and
// value are written.
type measure struct {
	what  string // as a message names it
	value string // PromQL returning its value
	// below is true when the measure is good below its bound.
	below bool
	// scale turns the step's canonical bound into the value's unit
	// (a percentage into a ratio, milliseconds into seconds).
	scale float64
	// format writes a value of the measure, in the unit a trainer writes.
	format func(float64) string
	// since is the PromQL of its value over the window w since the
	// environment started (its worst over the window for a rate, the
	// whole window's share for a ratio), for a "stays" step with no
	// duration of its own; step is the evaluation interval.
	since func(w, step string) string
}

func usdPerMinute(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) + " per minute" }
func ratioPercent(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }
func secondsText(v float64) string {
	return time.Duration(v * float64(time.Second)).Round(time.Millisecond).String()
}

// ratioSince is the share of the traffic generator's requests (of those
// the matchers sel select, "" for all; dropped requests left out) that
// succeeded over a window.
func ratioSince(sel, w string) string {
	return `sum(increase(drill_traffic_requests_total{` + sel + `outcome="ok"}[` + w + `])) / sum(increase(drill_traffic_requests_total{` + sel + `outcome!="dropped"}[` + w + `]))`
}

// canarySel selects the traffic generator's canary requests: prompts
// with a known answer, which fail when the answer is wrong.
const canarySel = `kind="canary",`

// canaryRatio is the built-in canary success ratio: the share of the
// traffic generator's canary requests answered correctly over the last
// minute.
const canaryRatio = `(sum(rate(drill_traffic_requests_total{` + canarySel + `outcome="ok"}[1m])) / sum(rate(drill_traffic_requests_total{` + canarySel + `outcome!="dropped"}[1m])))`

var measures = map[string]measure{
	"spend": {what: "spend", value: spendPerMinute, below: true, scale: 1, format: usdPerMinute,
		since: func(w, step string) string { return `max_over_time((` + spendPerMinute + `)[` + w + `:` + step + `])` }},
	"success": {what: "the success ratio", value: successRatio, scale: 0.01, format: ratioPercent,
		since: func(w, _ string) string { return ratioSince("", w) }},
	"error": {what: "the error ratio", value: `(1 - ` + successRatio + `)`, below: true, scale: 0.01, format: ratioPercent,
		since: func(w, _ string) string { return `(1 - ` + ratioSince("", w) + `)` }},
	"canary": {what: "the canary success ratio", value: canaryRatio, scale: 0.01, format: ratioPercent,
		since: func(w, _ string) string { return ratioSince(canarySel, w) }},
	"latency": {what: "latency p95", value: latencyP95, below: true, scale: 0.001, format: secondsText,
		since: func(w, _ string) string {
			return `histogram_quantile(0.95, sum by (le) (increase(drill_traffic_request_duration_seconds_bucket[` + w + `])))`
		}},
}

// measureOf returns a measure and its bound in the value's unit.
func measureOf(name, bound string) (measure, float64, error) {
	m, ok := measures[name]
	if !ok {
		return m, 0, fmt.Errorf("no built-in measure %q", name)
	}
	v, err := strconv.ParseFloat(bound, 64)
	if err != nil {
		return m, 0, fmt.Errorf("%s: want a number, got %q", m.what, bound)
	}
	return m, v * m.scale, nil
}

// good reports whether a value is on the good side of the bound.
func (m measure) good(v, bound float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if m.below {
		return v < bound
	}
	return v > bound
}

// side words the good side of a bound: "below $2.00 per minute".
func (m measure) side(bound float64) string {
	if m.below {
		return "below " + m.format(bound)
	}
	return "above " + m.format(bound)
}

// measureCondition is the PromQL condition of a built-in measure against
// a bound: spend below USD per minute, the success ratio above a
// percentage, the error ratio below one, latency p95 below milliseconds.
func measureCondition(name, bound string) (string, error) {
	m, b, err := measureOf(name, bound)
	if err != nil {
		return "", err
	}
	op := ">"
	if m.below {
		op = "<"
	}
	return fmt.Sprintf("%s %s %g", m.value, op, b), nil
}

// lastValue words a measure's value now, for a failure: "last value
// $3.10 per minute at +12:30", or that it had no data.
func (s *State) lastValue(ctx context.Context, m measure) string {
	v, ok, err := s.Env.Query(ctx, m.value)
	at := s.at(s.Env.Clock().Now())
	switch {
	case err != nil:
		return fmt.Sprintf("%s could not be read at %s: %v", m.what, at, err)
	case !ok || math.IsNaN(v):
		return fmt.Sprintf("%s had no data at %s", m.what, at)
	}
	return fmt.Sprintf("last value %s at %s", m.format(v), at)
}

// maxDarkReadings is how many readings in a row a measure that must
// hold may have no data, once it had data, before the step fails: a rate
// over a minute at high drill speed may miss a scrape now and then, but
// a measure that stays dark cannot show that it held.
const maxDarkReadings = 2

// measureHolds reads a measure at every evaluation interval for d from
// now and fails at the first reading on the wrong side of the bound,
// with its drill time and value. A reading with no data is evidence of
// nothing: before any data came it is waited past (a rate needs two
// scrapes); after data came, more than maxDarkReadings in a row fail,
// as they cannot show the measure held; a window that never read data
// fails too.
func (s *State) measureHolds(ctx context.Context, name, bound string, d time.Duration) error {
	m, b, err := measureOf(name, bound)
	if err != nil {
		return err
	}
	c := s.Env.Clock()
	start := c.Now()
	deadline := start.Add(d)
	seen, dark := false, 0
	var darkFrom time.Time
	for {
		v, ok, err := s.Env.Query(ctx, m.value)
		if err != nil {
			return fmt.Errorf("%s: %w", m.what, err)
		}
		now := c.Now()
		switch {
		case ok && !math.IsNaN(v):
			seen, dark = true, 0
			if !m.good(v, b) {
				return fmt.Errorf("%s was %s at %s, not %s: it had to stay %s for %s from %s", m.what, m.format(v), s.at(now), m.side(b), m.side(b), fmtDur(d), s.at(start))
			}
		case seen:
			if dark == 0 {
				darkFrom = now
			}
			if dark++; dark > maxDarkReadings {
				return fmt.Errorf("%s had no data from %s to %s, so it cannot be shown to stay %s for %s from %s: no data is not holding", m.what, s.at(darkFrom), s.at(now), m.side(b), fmtDur(d), s.at(start))
			}
		}
		if !now.Before(deadline) {
			if !seen {
				return fmt.Errorf("%s had no data from %s to %s: the traffic generator and the mock providers recorded nothing it reads", m.what, s.at(start), s.at(now))
			}
			return nil
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(now))); err != nil {
			return err
		}
	}
}

// measureSinceStart checks a measure over the scenario so far: the worst
// per-minute spend, the whole window's ratio, its latency p95.
func (s *State) measureSinceStart(ctx context.Context, name, bound string) error {
	m, b, err := measureOf(name, bound)
	if err != nil {
		return err
	}
	s.mu.Lock()
	start := s.startedAt
	s.mu.Unlock()
	window := s.Env.Clock().Now().Sub(start).Round(time.Second)
	if window < time.Minute {
		window = time.Minute
	}
	step := s.Env.EvalInterval().Round(time.Second)
	if step < time.Second {
		step = time.Second
	}
	w := strconv.Itoa(int(window.Seconds())) + "s"
	v, ok, err := s.Env.Query(ctx, m.since(w, strconv.Itoa(int(step.Seconds()))+"s"))
	if err != nil {
		return fmt.Errorf("%s: %w", m.what, err)
	}
	if !ok || math.IsNaN(v) {
		return fmt.Errorf("%s over the last %s had no data: the traffic generator and the mock providers recorded nothing it reads", m.what, window)
	}
	if !m.good(v, b) {
		worst := ""
		if name == "spend" {
			worst = " at its highest"
		}
		return fmt.Errorf("%s over the last %s was %s%s, not %s", m.what, window, m.format(v), worst, m.side(b))
	}
	return nil
}

// measureHoldsFor is measureHolds for a step's duration.
func (s *State) measureHoldsFor(ctx context.Context, name, bound, d string) error {
	dur, err := ParseDuration(d)
	if err != nil {
		return err
	}
	return s.measureHolds(ctx, name, bound, dur)
}

// measureStays is a "stays" step: over its window when it gives one
// (measureHolds), else over the scenario so far (measureSinceStart).
func (s *State) measureStays(ctx context.Context, name, bound, d string) error {
	if d == "" {
		return s.measureSinceStart(ctx, name, bound)
	}
	return s.measureHoldsFor(ctx, name, bound, d)
}

// measureWithin waits until a measure reads good on data, at most d (a
// duration string) after the latest fault, and records the recovery.
func (s *State) measureWithin(ctx context.Context, name, bound, d string) error {
	dur, err := ParseDuration(d)
	if err != nil {
		return err
	}
	m, b, err := measureOf(name, bound)
	if err != nil {
		return err
	}
	expr, err := measureCondition(name, bound)
	if err != nil {
		return err
	}
	from, readFrom := s.sinceFault(), s.Env.Clock().Now()
	deadline := from.Add(dur)
	last, err := s.awaitRecovery(ctx, recovery{
		subject: expr, recoveredAs: m.what + " " + m.side(b),
		read: func(at time.Time) (Reading, string, error) {
			r, err := s.Env.ReadCondition(ctx, expr, at)
			if err != nil {
				return r, "", fmt.Errorf("%s: %w", m.what, err)
			}
			if r.NoData {
				return r, fmt.Sprintf("%s cannot be read: %s; no data is not recovery", m.what, r.Detail), nil
			}
			return r, "", nil
		},
		recovered: func(at time.Time, _ Reading) string {
			return fmt.Sprintf("%s read %s %s after %s", m.what, m.side(b), fmtDur(at.Sub(from)), s.sinceWhat())
		},
	}, readFrom, deadline)
	if !errors.Is(err, timeline.ErrDeadline) {
		return err
	}
	nodata := ""
	if last.NoData {
		nodata = "; no data is not recovery"
	}
	return fmt.Errorf("%s was not %s within %s of %s: it never read so from %s to %s (%s)%s", m.what, m.side(b), fmtDur(dur), s.sinceWhat(), s.at(readFrom), s.at(deadline), s.lastValue(ctx, m), nodata)
}

// bad reports whether a value read on data is on the bad side of the
// bound: at or above it for a measure good below it, at or below it for
// one good above it (the exact complement of good, so a "stays" step
// fails on the very readings a "goes above" step passes on).
func (m measure) bad(v, bound float64) bool { return !math.IsNaN(v) && !m.good(v, bound) }

// badSide words the bad side of a bound: "at or above 5.0%".
func (m measure) badSide(bound float64) string {
	if m.below {
		return "at or above " + m.format(bound)
	}
	return "at or below " + m.format(bound)
}

// worstOver is the PromQL of a measure's worst reading (its highest for
// a measure good below its bound, its lowest otherwise) at every step of
// the window w that ends offset before now ("" for now).
func (m measure) worstOver(w, step, offset string) string {
	agg := "min_over_time"
	if m.below {
		agg = "max_over_time"
	}
	q := agg + "((" + m.value + ")[" + w + ":" + step + "]"
	if offset != "" {
		q += " offset " + offset
	}
	return q + ")"
}

// seconds writes a duration as whole PromQL seconds: 90s.
func seconds(d time.Duration) string { return strconv.Itoa(int(d.Round(time.Second).Seconds())) + "s" }

// measureReaches is a step that asserts the fault is visible where users
// are: it passes at the first reading of the measure on data on the bad
// side of the bound (m.bad), at most d (defaultWait when "") after the
// latest fault (after the step's start when no fault came before it).
// A step that starts after the fault first reads back over the time
// since the fault, at the evaluation interval, so a spike that came and
// went while earlier steps waited still counts; it then reads the
// measure at every evaluation interval until its deadline. A reading
// with no data shows nothing and is never taken for the fault showing;
// when no reading is bad, the failure says from when to when it was read
// and the last value.
func (s *State) measureReaches(ctx context.Context, name, bound, d string) error {
	dur, err := durationOr(d, defaultWait)
	if err != nil {
		return err
	}
	m, b, err := measureOf(name, bound)
	if err != nil {
		return err
	}
	c := s.Env.Clock()
	from, now := s.sinceFault(), c.Now()
	deadline := from.Add(dur)
	readFrom, seen := now, false
	step := max(s.Env.EvalInterval().Round(time.Second), time.Second)
	end := now
	if deadline.Before(end) {
		end = deadline
	}
	if end.Sub(from) >= step {
		// What the window held before the step started.
		offset := ""
		if now.After(end) {
			offset = seconds(now.Sub(end))
		}
		v, ok, err := s.Env.Query(ctx, m.worstOver(seconds(end.Sub(from)), seconds(step), offset))
		if err != nil {
			return fmt.Errorf("%s: %w", m.what, err)
		}
		if ok && m.bad(v, b) {
			return nil
		}
		readFrom, seen = from, ok && !math.IsNaN(v)
	}
	for !now.After(deadline) {
		v, ok, err := s.Env.Query(ctx, m.value)
		if err != nil {
			return fmt.Errorf("%s: %w", m.what, err)
		}
		if ok && m.bad(v, b) {
			return nil
		}
		seen = seen || ok && !math.IsNaN(v)
		if !now.Before(deadline) {
			break
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(now))); err != nil {
			return err
		}
		now = c.Now()
	}
	if !seen {
		return fmt.Errorf("%s had no data from %s to %s, so it cannot show the fault: no data is not the fault showing", m.what, s.at(readFrom), s.at(deadline))
	}
	return fmt.Errorf("%s never read %s within %s of %s: it was read from %s to %s (%s)", m.what, m.badSide(b), fmtDur(dur), s.sinceWhat(), s.at(readFrom), s.at(deadline), s.lastValue(ctx, m))
}
