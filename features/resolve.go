package features

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drillkit/drill/timeline"
)

// alertResolves waits until an alert that detected the fault has
// resolved and its condition reads good on data (Env.ReadAlert), at most
// d after it fired: the alert named, or, for "", the first alert the
// scenario expects that fired after the latest fault. It credits
// recovery by the rule followRunbookUntilResolved follows: an alert that
// resolves because its series vanished or its expression returned no
// sample is no recovery; the step records why and keeps waiting.
func (s *State) alertResolves(ctx context.Context, alert string, d time.Duration) error {
	var fired timeline.Event
	var err error
	if alert == "" {
		// The alert of the step before, as a reader takes "it".
		if fired, err = s.subjectFiring(); err != nil {
			fired, err = s.firstExpectedFiringEvent()
		}
	} else {
		fired, err = s.waitFrom(ctx, s.sinceFault(), d, s.detection(alert))
		if errors.Is(err, timeline.ErrDeadline) {
			return fmt.Errorf("alert %q did not fire within %s of %s, so it cannot resolve%s", alert, fmtDur(d), s.sinceWhat(), s.alertContext(alert, s.sinceFault()))
		}
	}
	if err != nil {
		return err
	}
	alert, deadline := fired.Subject, fired.At.Add(d)
	s.expect(alert)
	s.setSubject(fired)
	stillFires := fmt.Errorf("alert %q still fired %s after it fired", alert, fmtDur(d))
	res, err := s.waitFrom(ctx, fired.At, d, timeline.OfKind(timeline.AlertResolved, alert))
	if errors.Is(err, timeline.ErrDeadline) {
		return stillFires
	}
	if err != nil {
		return err
	}
	last, active, err := s.awaitResolvedOnData(ctx, alert, res.At, deadline, func(at time.Time, r Reading) string {
		return fmt.Sprintf("alert %s resolved %s after it fired, and its condition reads good on data: %s", alert, fmtDur(at.Sub(fired.At)), r.Detail)
	})
	switch {
	case !errors.Is(err, timeline.ErrDeadline):
		return err
	case active:
		return stillFires
	case last.NoData:
		return fmt.Errorf("alert %q resolved at %s but never read good on data within %s of firing (%s): no data is not recovery",
			alert, s.at(res.At), fmtDur(d), last.Detail)
	}
	return fmt.Errorf("alert %q resolved at %s, but its condition still read bad %s after it fired (%s): resolving is not recovering",
		alert, s.at(res.At), fmtDur(d), last.Detail)
}

// runbookFollowed waits for the acknowledging responder's runbook to run
// and end well, at most d after the acknowledgement (1h when d is 0).
// It credits no recovery: a step about the service's health does.
func (s *State) runbookFollowed(ctx context.Context, d time.Duration) error {
	if d == 0 {
		d = time.Hour
	}
	ack, err := s.awaitAck(ctx, d)
	if err != nil {
		return err
	}
	s.tell("waiting for the runbook to be followed: drill runbook done STEP / run STEP for every step (drill runbook lists them); judged within %s of the ack by %s (until %s)",
		fmtDur(d), ack.Subject, ack.At.Add(d).Format("15:04:05"))
	return s.runbookEnded(ctx, ack, d)
}

// Built-in measures: conditions on drill's own metrics that a step names
// in words, so a trainer needs no PromQL. Spend is what the mock
// providers bill (their own cost counters), in USD per drill minute; the
// success ratio is the share of the traffic generator's requests that
// got a valid answer (dropped requests left out), over the last minute.
const (
	spendPerMinute = `sum(rate(drill_mockllm_cost_usd_total[1m])) * 60`
	successRatio   = `(sum(rate(drill_traffic_requests_total{outcome="ok"}[1m])) / sum(rate(drill_traffic_requests_total{outcome!="dropped"}[1m])))`
)

// followRunbookToMeasure is followRunbook on a built-in measure, at most
// d (1h when 0) after the acknowledgement.
func (s *State) followRunbookToMeasure(ctx context.Context, measure, bound, d string) error {
	expr, err := measureCondition(measure, bound)
	if err != nil {
		return err
	}
	dur := time.Hour
	if d != "" {
		if dur, err = ParseDuration(d); err != nil {
			return err
		}
	}
	m := measures[measure]
	return s.followRunbookWith(ctx, expr, dur, func() string { return s.lastValue(ctx, m) })
}

// awaitResolvedOnData waits, from from to deadline, until alert is
// resolved and its condition reads good on data (awaitRecovery): a
// resolution is no recovery while the alert fires again or its data is
// missing. active says whether the alert was firing (or pending) again at
// the last reading; recovered words the recovery for the timeline.
func (s *State) awaitResolvedOnData(ctx context.Context, alert string, from, deadline time.Time, recovered func(time.Time, Reading) string) (last Reading, active bool, err error) {
	last, err = s.awaitRecovery(ctx, recovery{
		subject: alert, recoveredAs: alert + " resolved",
		read: func(at time.Time) (Reading, string, error) {
			if active = timeline.AlertActive(s.Env.Log().Sorted(), alert, at); active {
				return Reading{}, "", nil // firing (or pending) again: not resolved
			}
			r, err := s.Env.ReadAlert(ctx, alert, at)
			if err != nil {
				return r, "", fmt.Errorf("alert %q: %w", alert, err)
			}
			return r, fmt.Sprintf("alert %s is resolved, but that is not a recovery: %s", alert, r.Detail), nil
		},
		recovered: recovered,
	}, from, deadline)
	return last, active, err
}
