package features

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// Every Then step of the catalog has a wait rule: a new step cannot be
// left out of the plan's schedule.
func TestEveryStepHasAWaitRule(t *testing.T) {
	exprs := map[string]bool{}
	for _, c := range catalog {
		exprs[c.Form] = true
		if c.Keyword != "Then" {
			continue
		}
		r, ok := waits[c.Form]
		require.True(t, ok, "no wait rule for %s", c.Form)
		if strings.Contains(c.Form, "{duration}") {
			require.NotEqual(t, atOnce, r.from, "%s takes a duration: it waits", c.Form)
		}
	}
	for expr := range waits {
		require.True(t, exprs[expr], "a wait rule for a step the catalog does not have: %s", expr)
	}
}

func scheduled(t *testing.T, src string, control time.Duration) ([]StepTime, time.Duration) {
	t.Helper()
	scs, err := Parse("features/plan.feature", []byte("Feature: f\n  Scenario: s\n"+src))
	require.NoError(t, err)
	require.Len(t, scs, 1)
	return Schedule(scs[0], control)
}

// The schedule chains each deadline from its cause, as the steps do: the
// page from the firing, the acknowledgement from the page (which its step
// waits for within its own duration), the runbook from the
// acknowledgement; the scenario ends at its latest deadline.
func TestScheduleChainsDeadlinesFromTheirCauses(t *testing.T) {
	steps, end := scheduled(t, `    Given the team's environment is running
    When provider "primary" is down
    Then alert "A" fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And "up == 1" holds for 5m
    And the fault provably fired
`, 13*time.Minute)
	at := func(i int) string { return steps[i].At.String() }
	require.False(t, steps[0].Known)
	require.True(t, steps[1].Fault && steps[1].ControlEnd && steps[1].Exact)
	require.Equal(t, "13m0s", at(1))
	require.Equal(t, "23m0s", at(2), "fires within 10m of the fault")
	require.Equal(t, "1h3m0s", at(3), "paged within 20m of the firing, acknowledged within 20m of the page")
	require.Equal(t, "1h18m0s", at(4), "within 15m of the acknowledgement")
	require.Equal(t, "1h23m0s", at(5))
	require.False(t, steps[5].Exact, "it holds for 5m from a start that is itself at most")
	require.False(t, steps[6].Known)
	require.Equal(t, 83*time.Minute, end)

	// A page step bounds the page the acknowledgement counts from; a
	// runbook step with no acknowledgement step waits up to an hour for
	// one.
	steps, _ = scheduled(t, `    When provider "primary" is down
    Then alert "A" fires within 5m
    And the page reaches an on-call responder of team "ml" within 2m
    And the page is acknowledged within 10m
`, 3*time.Minute)
	require.Equal(t, "10m0s", steps[2].At.String())
	require.Equal(t, "20m0s", steps[3].At.String(), "the page by +10:00, acknowledged 10m after it")
	steps, _ = scheduled(t, `    When provider "primary" is down
    Then following the runbook brings the service back within 15m
`, 3*time.Minute)
	require.Equal(t, "1h18m0s", steps[1].At.String())

	// A control window step before the fault sets the window; one after
	// it changes nothing, as in the run. A step that must stay quiet ends
	// exactly at its deadline, from the fault.
	src := `    Given a control window of 2m
    When provider "primary" is down
    Given a control window of 9m
    Then alert "A" does not fire within 4m
`
	steps, end = scheduled(t, src, 13*time.Minute)
	require.Equal(t, 2*time.Minute, steps[1].At)
	require.True(t, steps[3].Exact)
	require.Equal(t, 6*time.Minute, end)
	scs, err := Parse("features/plan.feature", []byte("Feature: f\n  Scenario: s\n"+src))
	require.NoError(t, err)
	d, line, ok := ControlWindowSetting(scs[0])
	require.True(t, ok)
	require.Equal(t, 2*time.Minute, d)
	require.Equal(t, 3, line, "the step before the fault")

	// A step whose cause no step bounds has no time; an undefined step
	// is marked.
	steps, _ = scheduled(t, `    When provider "primary" is down
    Then the page is acknowledged within 10m
    And something undefined
`, time.Minute)
	require.False(t, steps[1].Known)
	require.True(t, steps[2].Undefined)
}

// probe is the event a step waits for, written at a drill time.
type probe func(at time.Time) []timeline.Event

// scheduleCases are scenarios whose last step is the one probed, and the
// event it waits for; quiet is set for a step that fails when the event
// comes within its deadline.
var scheduleCases = []struct {
	name, src string
	probe     probe
	quiet     bool
}{
	{name: "fires", src: `Then alert "A" fires within 5m`, probe: firing},
	{name: "an alert fires", src: `Then an alert fires within 5m`, probe: firing},
	{name: "does not fire", src: `Then alert "A" does not fire within 7m`, probe: firing, quiet: true},
	{name: "no alert fires", src: `Then no alert fires within 7m`, probe: firing, quiet: true},
	{name: "someone paged", src: "Then alert \"A\" fires within 5m\n    And someone is paged within 4m", probe: kind(timeline.Page, "alice")},
	{name: "page reaches", src: "Then alert \"A\" fires within 5m\n    And the page reaches an on-call responder of team \"ml\" within 4m", probe: kind(timeline.Page, "alice")},
	{name: "page reaches a responder", src: "Then alert \"A\" fires within 5m\n    And the page reaches responder \"alice\" within 4m", probe: kind(timeline.Page, "alice")},
	{name: "acknowledged", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m", probe: kind(timeline.Ack, "alice")},
	{name: "acknowledged after a page step", src: "Then alert \"A\" fires within 5m\n    And the page reaches an on-call responder of team \"ml\" within 4m\n    And the page is acknowledged within 10m", probe: kind(timeline.Ack, "alice")},
	{name: "runbook condition", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings \"up == 1\" true within 15m", probe: runbookEnd},
	{name: "runbook without an acknowledgement step", src: "Then alert \"A\" fires within 5m\n    And following the runbook brings the service back within 15m", probe: runbookEndResolved},
	{name: "spend", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings spend below $2 per minute within 15m", probe: runbookEnd},
	{name: "success ratio", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings the service's success ratio above 99% within 15m", probe: runbookEnd},
	{name: "error ratio", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings the service's error ratio below 1% within 15m", probe: runbookEnd},
	{name: "latency", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings latency p95 below 2 seconds within 15m", probe: runbookEnd},
	{name: "canary", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings the canary success ratio above 99% within 15m", probe: runbookEnd},
	{name: "doc string condition", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And following the runbook brings this condition true within 15m:", probe: runbookEnd},
	{name: "runbook followed", src: "Then alert \"A\" fires within 5m\n    And the page is acknowledged within 10m\n    And the runbook is followed within 15m", probe: runbookEnd},
	{name: "the alert resolves", src: "Then alert \"A\" fires within 5m\n    And the alert resolves within 20m", probe: resolved},
	{name: "alert resolves", src: "Then alert \"A\" fires within 5m\n    And alert \"A\" resolves within 20m", probe: resolved},
	{name: "role", src: "Then alert \"A\" fires within 5m\n    And role \"scribe\" is assigned within 6m", probe: role("scribe")},
	{name: "incident commander", src: "Then alert \"A\" fires within 5m\n    And an incident commander is assigned within 6m", probe: role("incident_commander")},
	{name: "status update", src: "Then alert \"A\" fires within 5m\n    And a status update is posted within 6m", probe: kind(timeline.StatusUpdate, "bob")},
	{name: "commander is not the executor", src: "Then alert \"A\" fires within 5m\n    And the incident commander is not the person executing the runbook", probe: func(at time.Time) []timeline.Event {
		return []timeline.Event{{At: at, Kind: timeline.RunbookStart, Subject: "a", Attrs: map[string]string{"user": "alice"}}}
	}},
	{name: "owner paged", src: "Then alert \"A\" fires within 5m\n    And the runbook owner is paged", probe: kind(timeline.Page, "alice")},
}

func firing(at time.Time) []timeline.Event {
	return []timeline.Event{alertEvent(timeline.AlertFiring, "A", at, at)}
}

func kind(k timeline.Kind, subject string) probe {
	return func(at time.Time) []timeline.Event { return []timeline.Event{{At: at, Kind: k, Subject: subject}} }
}

func role(id string) probe {
	return func(at time.Time) []timeline.Event {
		return []timeline.Event{{At: at, Kind: timeline.RoleAssigned, Subject: "bob", Attrs: map[string]string{"role": id}}}
	}
}

func runbookEnd(at time.Time) []timeline.Event {
	return []timeline.Event{{At: at, Kind: timeline.RunbookEnd, Subject: "a", Attrs: map[string]string{"status": "ok"}}}
}

func resolved(at time.Time) []timeline.Event {
	return []timeline.Event{alertEvent(timeline.AlertResolved, "A", at, at)}
}

func runbookEndResolved(at time.Time) []timeline.Event {
	return append(runbookEnd(at), alertEvent(timeline.AlertResolved, "A", at, at))
}

// The plan's schedule is what the steps wait: for every step that waits,
// the event it waits for, written at the time Schedule gives, is in time,
// and one second later it is not. The world before it is the latest the
// earlier steps allow: every event they waited for came at its deadline.
func TestScheduleIsWhatTheStepsWait(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range scheduleCases {
		t.Run(c.name, func(t *testing.T) {
			src := "    Given the team's environment is running\n    When provider \"primary\" is down\n    " + c.src + "\n"
			if c.name == "does not fire" {
				src = "    " + c.src + "\n" // before any fault: from the step itself
			}
			steps, _ := scheduled(t, src, 3*time.Minute)
			last := steps[len(steps)-1]
			require.True(t, last.Known, c.name)
			covered[catalog[stepIndex(last.Step.Text)].Form] = true
			for _, late := range []bool{false, true} {
				env, s, start := probeWorld(t, steps)
				at := start.Add(last.At)
				if late {
					at = at.Add(time.Second)
				}
				for _, e := range c.probe(at) {
					env.log.Append(e)
				}
				err := invoke(t, s, last.Step.Text)
				if late != c.quiet {
					require.Error(t, err, "%s: the event a second after the schedule's %s should be late", c.name, last.At)
				} else {
					require.NoError(t, err, "%s: the event at the schedule's %s should be in time", c.name, last.At)
				}
			}
		})
	}
	for expr, r := range waits {
		if r.from != atOnce && r.from != fromStart && !r.reads {
			require.True(t, covered[expr], "no case probes %s", expr)
		}
	}
}

// A condition that must hold for D is evaluated until D after the step
// starts, as Schedule has it.
func TestScheduleHoldsFromTheStepsStart(t *testing.T) {
	steps, _ := scheduled(t, "    When provider \"primary\" is down\n    Then \"up == 1\" holds for 5m\n", 3*time.Minute)
	env, s, start := probeWorld(t, steps)
	var queried []time.Time
	env.query = func() { queried = append(queried, env.clock.Now()) }
	errc := make(chan error, 1)
	go func() { errc <- invoke(t, s, steps[1].Step.Text) }()
	// The step's only timer is its sleep between evaluations: advance
	// the clock by an evaluation interval each time it sleeps.
	var err error
	for done := false; !done; {
		require.Eventually(t, func() bool {
			select {
			case err = <-errc:
				done = true
				return true
			default:
				return env.clock.Pending() == 1
			}
		}, 10*time.Second, time.Millisecond)
		if !done {
			env.clock.Advance(env.EvalInterval())
		}
	}
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(queried), 2)
	require.Equal(t, start.Add(steps[0].At), queried[0], "from its start")
	end := start.Add(steps[1].At)
	require.False(t, queried[len(queried)-1].Before(end), "evaluated until %s", steps[1].At)
	require.True(t, queried[len(queried)-2].Before(end), "and no longer")
}

// probeWorld is the world just before the last of steps runs, the latest
// the earlier steps allow: the fault at its time, each awaited event at
// its step's deadline, and the clock at the previous step's end.
func probeWorld(t *testing.T, steps []StepTime) (*teamEnv, *State, time.Time) {
	t.Helper()
	env, _, _ := newRolesEnv(t)
	env.fakeEnv = newFake()
	s := NewState(env, []string{"A"})
	require.NoError(t, s.ensureStarted(context.Background()))
	start := env.clock.Now()
	var fault, firing, page time.Time
	acked := false
	for i, st := range steps {
		if !st.Known {
			continue
		}
		at := start.Add(st.At)
		if i == len(steps)-1 {
			break
		}
		env.clock.Set(at)
		expr := catalog[stepIndex(st.Step.Text)].Form
		switch {
		case st.Fault:
			env.log.Append(timeline.Event{At: at, Kind: timeline.FaultOn, Subject: "outage"})
			s.mu.Lock()
			if s.firstFaultAt.IsZero() {
				s.firstFaultAt = at
			}
			s.lastFaultAt, s.controlDone = at, true
			s.faults = append(s.faults, "outage")
			s.mu.Unlock()
			fault = at
		case waits[expr].sets == fromFiring:
			env.log.Append(alertEvent(timeline.AlertFiring, "A", at, at))
			firing = at
		case waits[expr].sets == fromPage:
			env.log.Append(timeline.Event{At: at, Kind: timeline.Page, Subject: "alice"})
			page = at
		case waits[expr].sets == fromAck:
			if page.IsZero() {
				page = firing.Add(stepDuration(stepIndex(st.Step.Text), st.Step.Text))
				env.log.Append(timeline.Event{At: page, Kind: timeline.Page, Subject: "alice"})
			}
			env.log.Append(timeline.Event{At: at, Kind: timeline.Ack, Subject: "alice"})
			acked = true
		}
	}
	// The step under test waits for its page itself, within its
	// duration of the firing; a runbook step with no acknowledgement
	// step before it for the acknowledgement, within an hour of the
	// fault.
	last := steps[len(steps)-1]
	i := stepIndex(last.Step.Text)
	switch d := stepDuration(i, last.Step.Text); {
	case waits[catalog[i].Form].from == fromPage && page.IsZero():
		env.log.Append(timeline.Event{At: firing.Add(d), Kind: timeline.Page, Subject: "alice"})
	case waits[catalog[i].Form].from == fromAck && !acked:
		env.log.Append(timeline.Event{At: fault.Add(max(time.Hour, d)), Kind: timeline.Ack, Subject: "alice"})
	}
	if strings.Contains(last.Step.Text, "commander is not") {
		env.log.Append(timeline.Event{At: firing, Kind: timeline.RoleAssigned, Subject: "bob", Attrs: map[string]string{"role": "incident_commander"}})
	}
	return env, s, start
}

// invoke runs the catalog step text matches, bound to s, as godog would:
// a context, then its groups. It gives up after 10s of real time, so a
// step that waits on the virtual clock fails instead of hanging.
func invoke(t *testing.T, s *State, text string) error {
	t.Helper()
	i := stepIndex(text)
	require.GreaterOrEqual(t, i, 0, text)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, _ := matchOne(text)
	if h, ok := catalog[i].bind(s).(func(context.Context, StepArg, ...string) error); ok {
		err := h(ctx, StepArg{Doc: "up == 1"}, m.args...)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s waited on the virtual clock: the world is not the one its schedule assumes", text)
		}
		return err
	}
	fn := reflect.ValueOf(catalog[i].bind(s))
	groups := m.args
	var args []reflect.Value
	for j := 0; j < fn.Type().NumIn(); j++ {
		if fn.Type().In(j) == reflect.TypeOf((*context.Context)(nil)).Elem() {
			args = append(args, reflect.ValueOf(ctx))
			continue
		}
		args = append(args, reflect.ValueOf(groups[0]))
		groups = groups[1:]
	}
	out := fn.Call(args)
	err, _ := out[len(out)-1].Interface().(error)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s waited on the virtual clock: the world is not the one its schedule assumes", text)
	}
	return err
}

// A scenario expects an alert when a step waits for one to fire; one
// that tolerates an alert ("may fire") or wants none does not. Of the
// built-in library and the demo team, only the schema change expects
// none.
func TestExpectsAlert(t *testing.T) {
	require.True(t, ExpectsAlert([]string{`the team's environment is running`, `an alert fires within 10m`}))
	require.True(t, ExpectsAlert([]string{`alert "A" fires within 5m`}))
	require.False(t, ExpectsAlert([]string{`alert "A" may fire`, `"up == 1" holds for 5m`, `alert "B" does not fire within 5m`}))
	for i, c := range catalog {
		text := exampleLine(c)
		require.Equal(t, waitsForFiring(i), ExpectsAlert([]string{text}), c.Example)
	}

	sources := Builtin()
	for _, f := range []string{"inference-outage", "quality-anomaly", "third-party-failure"} {
		b, err := os.ReadFile("../examples/acme-ml/features/" + f + ".feature")
		require.NoError(t, err)
		sources["features/"+f+".feature"] = string(b)
	}
	var none []string
	for file, src := range sources {
		scs, err := Parse(file, []byte(src))
		require.NoError(t, err)
		for _, sc := range scs {
			var texts []string
			for _, st := range sc.Steps {
				texts = append(texts, st.Text)
			}
			if !ExpectsAlert(texts) {
				none = append(none, sc.Name)
			}
		}
	}
	require.Equal(t, []string{"The search API changes its schema"}, none)
}
