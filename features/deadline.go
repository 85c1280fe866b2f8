package features

import (
	"time"
)

// A scenario's steps run in order, and each Then step waits, at the
// latest, until a deadline that runs from its cause: the rules below
// say, for every step of the catalog that waits, which cause and how
// long, as its handler measures it. Schedule applies them to a whole
// scenario: when each step ends at the latest if the scenario passes,
// which is what `drill run --plan` prints. A test drives every handler
// against these rules on a virtual clock (TestScheduleIsWhatTheStepsWait),
// so the plan and the run cannot part.

// anchor is the instant a step's deadline runs from.
type anchor int

const (
	// atOnce: the step checks and returns; it waits for nothing.
	atOnce anchor = iota
	// fromFault: the latest fault went on (the step's start when no
	// fault was injected before it): State.sinceFault.
	fromFault
	// fromFiring: the first expected alert fired after the latest fault
	// (State.firstExpectedFiring).
	fromFiring
	// fromPage: the first page at or after that firing, which the step
	// itself waits for within its duration of the firing.
	fromPage
	// fromAck: the first acknowledgement after the latest fault, which
	// the step waits for within max(1h, D) of the fault when no earlier
	// step bounds it (State.runbookRan).
	fromAck
	// fromStart: the step's own start ("holds for D").
	fromStart
)

// waitRule is how long a step waits at the latest: its duration (or a
// fixed bound) after its anchor.
type waitRule struct {
	from anchor
	// bound, when set, is the wait instead of the step's duration.
	bound time.Duration
	// sets is what the step establishes when it passes, bounding the
	// anchors of the steps after it: fromFiring, fromPage or fromAck.
	sets anchor
	// quiet is set for a step that passes only once its deadline has
	// passed without what it waits against ("does not fire").
	quiet bool
	// reads is set for a step that waits for a reading of the data (a
	// measure coming good), which TestMeasureWithinIsItsSchedule probes.
	reads bool
}

// waits are the rules of the catalog's Then steps, by expression; a
// Then step not listed checks at once (TestEveryStepHasAWaitRule holds
// the catalog to this list).
var waits = map[string]waitRule{
	`alert {alert} fires within {duration}`:                                                        {from: fromFault, sets: fromFiring},
	`an alert fires within {duration}`:                                                             {from: fromFault, sets: fromFiring},
	`alert {alert} does not fire within {duration}`:                                                {from: fromFault, quiet: true},
	`no alert fires within {duration}`:                                                             {from: fromFault, quiet: true},
	`the page reaches an on-call responder of team {team} within {duration}`:                       {from: fromFiring, sets: fromPage},
	`the page reaches responder {responder} within {duration}`:                                     {from: fromFiring, sets: fromPage},
	`someone is paged[ within {duration}]`:                                                         {from: fromFiring, sets: fromPage},
	`the page is acknowledged within {duration}`:                                                   {from: fromPage, sets: fromAck},
	`following the runbook brings {promql} true within {duration}`:                                 {from: fromAck},
	`following the runbook brings the service back within {duration}`:                              {from: fromAck},
	`following the runbook brings spend below {money} per minute[ within {duration}]`:              {from: fromAck, bound: time.Hour},
	`following the runbook brings the service's success ratio above {percent}[ within {duration}]`: {from: fromAck, bound: time.Hour},
	`following the runbook brings the service's error ratio below {percent}[ within {duration}]`:   {from: fromAck, bound: time.Hour},
	`the runbook is followed[ within {duration}]`:                                                  {from: fromAck, bound: time.Hour},
	`the alert resolves[ within {duration}]`:                                                       {from: fromFiring},
	`alert {alert} resolves within {duration}`:                                                     {from: fromFiring},
	`{promql} holds for {duration}`:                                                                {from: fromStart},
	`role {role} is assigned within {duration}`:                                                    {from: fromFiring},
	`an incident commander is assigned within {duration}`:                                          {from: fromFiring},
	`a status update is posted within {duration}`:                                                  {from: fromFiring},
	`the incident commander is not the person executing the runbook`:                               {from: fromFiring, bound: responseBound},
	`the runbook owner is paged`:                                                                   {from: fromFiring, bound: responseBound},
	`following the runbook brings latency p95 below {latency}[ within {duration}]`:                 {from: fromAck, bound: time.Hour},
	`following the runbook brings this condition true within {duration}`:                           {from: fromAck},
	`this condition holds for {duration}`:                                                          {from: fromStart},
	`the service's success ratio stays above {percent} for {duration}`:                             {from: fromStart},
	`the service's error ratio stays below {percent}[ for {duration}]`:                             {from: fromStart},
	`spend stays below {money} per minute[ for {duration}]`:                                        {from: fromStart},
	`latency p95 stays below {latency}[ for {duration}]`:                                           {from: fromStart},
	`the service's success ratio is above {percent} within {duration}`:                             {from: fromFault, reads: true},
	`the service's error ratio is below {percent} within {duration}`:                               {from: fromFault, reads: true},
	`spend is below {money} per minute within {duration}`:                                          {from: fromFault, reads: true},
	`latency p95 is below {latency} within {duration}`:                                             {from: fromFault, reads: true},
	`the service's error ratio goes above {percent}[ within {duration}]`:                           {from: fromFault, bound: time.Hour, reads: true},
	`the service's success ratio drops below {percent}[ within {duration}]`:                        {from: fromFault, bound: time.Hour, reads: true},
	`spend goes above {money} per minute[ within {duration}]`:                                      {from: fromFault, bound: time.Hour, reads: true},
	`latency p95 goes above {latency}[ within {duration}]`:                                         {from: fromFault, bound: time.Hour, reads: true},
	`the canary success ratio drops below {percent}[ within {duration}]`:                           {from: fromFault, bound: time.Hour, reads: true},
	`the canary success ratio stays above {percent}[ for {duration}]`:                              {from: fromStart},
	`the canary success ratio is above {percent} within {duration}`:                                {from: fromFault, reads: true},
	`following the runbook brings the canary success ratio above {percent}[ within {duration}]`:    {from: fromAck, bound: time.Hour},
	`alert {alert} may fire`:                                                                       {},
	`alert {alert} links a runbook that exists, is fresh and has an owner`:                         {},
	`the service's success ratio stays above {percent}`:                                            {},
	`no other alert fires`:                                                                         {},
	`the fault provably fired`:                                                                     {},
}

// StepTime is when one step of a scenario ends at the latest, in drill
// time from the scenario's start, if every step before it passed.
type StepTime struct {
	Step ScenarioStep
	// At is the latest end; meaningful when Known.
	At time.Duration
	// Known is false for a step that waits for nothing, and for one
	// whose cause no earlier step bounds (a page step with no alert step
	// before it): it is shown without a time.
	Known bool
	// Exact is set when the step ends exactly then (a fault goes on, a
	// condition holds for D, an alert stays quiet for D), not at most then.
	Exact bool
	// Fault marks a When step: a fault goes on at At. ControlEnd marks
	// the first, which waits for the control window to end.
	Fault, ControlEnd bool
	// Undefined is a step that matches no step of the catalog.
	Undefined bool
}

// Schedule returns when each step of sc ends at the latest, if every
// step passes, with a control window of control (the run's: a control
// window step before the first fault replaces it, as it does in the
// run), and the scenario's end: its latest deadline.
func Schedule(sc *Scenario, control time.Duration) (steps []StepTime, end time.Duration) {
	var (
		// now is the latest end so far, exact when no earlier step's end
		// depends on when something happened; fault the latest fault.
		now, fault                 time.Duration
		nowExact, faultExact       = true, true
		faulted                    bool
		firing, page, ack          time.Duration // bounds of the anchors since the latest fault
		hasFiring, hasPage, hasAck bool
	)
	for _, st := range sc.Steps {
		t := StepTime{Step: st}
		i := stepIndex(st.Text)
		if i < 0 {
			t.Undefined = true
			steps = append(steps, t)
			continue
		}
		c := catalog[i]
		d := stepDuration(i, st.Text)
		switch {
		case c.sets == "control" && !faulted:
			control = d // a window set after the first fault changes nothing
		case c.injects():
			if !faulted {
				t.ControlEnd = true
				if control >= now {
					now, nowExact = control, true
				}
			}
			fault, faultExact, faulted = now, nowExact, true
			hasFiring, hasPage, hasAck = false, false, false
			t.At, t.Known, t.Exact, t.Fault = now, true, nowExact, true
		case c.Keyword == "Then":
			r := waits[c.Form]
			if d == 0 && r.bound > 0 { // a step that gives no duration waits its bound
				d = r.bound
			}
			from, known := now, true
			switch r.from {
			case atOnce:
				known = false
			case fromFault:
				if faulted {
					from = fault
				}
			case fromFiring:
				from, known = firing, hasFiring
			case fromPage:
				// The step waits for the page within d of the firing,
				// then for the acknowledgement within d of the page.
				if known = hasFiring; known {
					from = firing + d
					if hasPage {
						from = min(from, page)
					}
				}
			case fromAck:
				from = ack
				if !hasAck {
					base := now
					if faulted {
						base = fault
					}
					from = base + max(time.Hour, d) // runbookRan's own wait
				}
			}
			if !known {
				break
			}
			deadline := from + d
			switch {
			case r.from == fromStart: // it holds for d from its start
				now += d
			case r.quiet: // it stays quiet until its deadline
				if deadline >= now {
					exact := nowExact // from its own start, without a fault
					if faulted {
						exact = faultExact
					}
					now, nowExact = deadline, exact
				}
			case deadline > now: // it ends when what it waits for happens, by its deadline
				now, nowExact = deadline, false
			}
			t.At, t.Known, t.Exact = now, true, nowExact
			switch r.sets {
			case fromFiring:
				if !hasFiring || deadline < firing {
					firing, hasFiring = deadline, true
				}
			case fromPage:
				if !hasPage || deadline < page {
					page, hasPage = deadline, true
				}
			case fromAck:
				if !hasAck || deadline < ack {
					ack, hasAck = deadline, true
				}
			}
		}
		steps = append(steps, t)
	}
	return steps, now
}

// stepIndex is the catalog index of the one step a text matches, or -1.
func stepIndex(text string) int {
	if m, ok := matchOne(text); ok && m.err == nil {
		return m.step
	}
	return -1
}

// stepDuration is the last duration a step's text gives, else 0.
func stepDuration(_ int, text string) time.Duration {
	a, _ := Accept(text)
	return a.Duration()
}
