package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// Step is one step definition of the catalog.
type Step struct {
	Keyword string // Given, When or Then: how trainers are meant to use it
	Expr    string // the regular expression godog matches
	Doc     string // what it does, and from when its deadline runs
	Example string // a line a feature file may contain

	bind func(s *State) any // returns the godog step function bound to s

	// fault maps a fault step's groups (without its trailing duration)
	// to what it injects; nil for other steps. It needs no drill, so a
	// run checks every fault step before its first scenario starts.
	fault func(groups []string) (kind, target string, params map[string]string, err error)

	// sets names what the step's first group sets before the world
	// starts ("traffic" rate, clock "speed" or "control" window), so a
	// plan can tell without running it; "" for other steps.
	sets string

	// refs says what each captured group names (by group; "" or a
	// missing entry for a group that names nothing), so References can
	// list every name a drill refers to and a run resolve them all before
	// any world starts.
	refs []Ref
}

// Duration is the pattern of a duration argument in a step: 90s, 10m,
// 1h30m, 2d.
const Duration = `(\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:m|s))*)`

// forD is the optional time bound of a fault step.
const forD = `(?: for ` + Duration + `)?`

// Catalog returns every step definition, in documentation order.
func Catalog() []Step { return append([]Step(nil), catalog...) }

var catalog = []Step{
	// ---- Given
	{
		Keyword: "Given", Expr: `^the team's environment is running$`,
		Doc:     "The scenario runs in the team's world from drill.yaml: mock providers and stubs behind toxiproxy, the service under test, steady traffic, the alerting and response engines. The world starts at the first When or Then step, once every Given step has configured it; the control window starts then.",
		Example: "Given the team's environment is running",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return nil }
		},
	},
	{
		Keyword: "Given", Expr: `^steady traffic of (\d+(?:\.\d+)?) requests? per second$`, sets: "traffic",
		Doc:     "Sets the traffic generator to a steady rate, in requests per real second (rates stay real at any drill speed); a ramp or steps shape in drill.yaml gives way to it. The plan and the scorecard warn when, at the drill's speed, that leaves too few requests in an alert rule's window for steady alert times.",
		Example: "Given steady traffic of 5 requests per second",
		bind: func(s *State) any {
			return func(ctx context.Context, rate string) error {
				r, err := strconv.ParseFloat(rate, 64)
				if err != nil {
					return err
				}
				return s.Env.SetTraffic(r, "")
			}
		},
	},
	{
		Keyword: "Given", Expr: `^steady traffic of (\d+(?:\.\d+)?) requests? per second with the "([^"]+)" mix$`, sets: "traffic", refs: []Ref{"", RefMix},
		Doc:     "Sets the traffic rate and a named request mix: chat, stream, json, agent, canary, or default.",
		Example: `Given steady traffic of 4 requests per second with the "agent" mix`,
		bind: func(s *State) any {
			return func(ctx context.Context, rate, mix string) error {
				r, err := strconv.ParseFloat(rate, 64)
				if err != nil {
					return err
				}
				return s.Env.SetTraffic(r, mix)
			}
		},
	},
	{
		Keyword: "Given", Expr: `^responder "([^"]+)" is unavailable$`, refs: []Ref{RefResponder},
		Doc:     "Makes a simulated responder unreachable (a DiRT-style fault of the response plan): pages to them are never acknowledged, so the policy must escalate.",
		Example: `Given responder "alice" is unavailable`,
		bind: func(s *State) any {
			return func(ctx context.Context, user string) error {
				return s.Env.SetResponderAvailable(user, false)
			}
		},
	},
	{
		Keyword: "Given", Expr: `^the drill clock runs at speed (\d+(?:\.\d+)?)$`, sets: "speed",
		Doc:     "Sets the drill clock speed (drill seconds per real second) for this scenario; must come before the environment starts.",
		Example: "Given the drill clock runs at speed 60",
		bind: func(s *State) any {
			return func(speed string) error {
				v, err := strconv.ParseFloat(speed, 64)
				if err != nil {
					return err
				}
				if s.Env.Started() {
					return errors.New(`the drill clock speed must be set before "the team's environment is running"`)
				}
				return s.Env.SetSpeed(v)
			}
		},
	},
	{
		Keyword: "Given", Expr: `^a control window of ` + Duration + `$`, sets: "control",
		Doc:     "Sets how long the scenario runs before its first fault; alerts that fire in it are false alarms. By default (and with `--control-window`) it is long enough for every alerting rule of the team to show noise: the longest `for:` plus the longest range window plus two evaluation intervals, and at least 5m. A window shorter than a rule needs is warned of, naming the rule.",
		Example: "Given a control window of 10m",
		bind: func(s *State) any {
			return func(d string) error {
				v, err := ParseDuration(d)
				if err != nil {
					return err
				}
				s.ControlWindow = v
				return nil
			}
		},
	},

	// ---- When: faults
	faultStep(`^provider "([^"]+)" returns (\d{3}) for (\d+(?:\.\d+)?)% of requests`+forD+`$`,
		"The provider answers that share of requests (rolled per request) with an API error of that status, in its own error format.",
		`When provider "primary" returns 503 for 30% of requests`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := percent(a[2])
			return "provider-error", a[0], map[string]string{"status": a[1], "probability": p}, err
		}).naming(RefProvider),
	faultStep(`^provider "([^"]+)" is down`+forD+`$`,
		"Takes the provider's proxy down: connections are refused (network fault through toxiproxy).",
		`When provider "primary" is down for 15m`,
		func(a []string) (string, string, map[string]string, error) { return "outage", a[0], nil, nil }).naming(RefProvider),
	faultStep(`^provider "([^"]+)" slows down by (\d+)ms`+forD+`$`,
		"Adds latency to every connection through the provider's proxy.",
		`When provider "primary" slows down by 3000ms`,
		func(a []string) (string, string, map[string]string, error) {
			return "latency", a[0], map[string]string{"latency": a[1]}, nil
		}).naming(RefProvider),
	faultStep(`^provider "([^"]+)" bills (\d+(?:\.\d+)?)x tokens`+forD+`$`,
		"The provider reports that many times the real token usage: spend rises with the same traffic.",
		`When provider "primary" bills 10x tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "billing-spike", a[0], map[string]string{"factor": a[1]}, nil
		}).naming(RefProvider),
	faultStep(`^provider "([^"]+)" runs out of quota`+forD+`$`,
		"The provider refuses every request with 429 insufficient_quota.",
		`When provider "primary" runs out of quota`,
		func(a []string) (string, string, map[string]string, error) { return "provider-quota", a[0], nil, nil }).naming(RefProvider),
	faultStep(`^responses from provider "([^"]+)" become garbage`+forD+`$`,
		"The provider answers 200 with random tokens instead of an answer.",
		`When responses from provider "primary" become garbage`,
		func(a []string) (string, string, map[string]string, error) {
			return "garbage-output", a[0], map[string]string{"kind": "random_tokens"}, nil
		}).naming(RefProvider),
	faultStep(`^provider "([^"]+)" gives wrong answers`+forD+`$`,
		"Quality drift: the provider answers fluently but wrongly; canary prompts get wrong answers.",
		`When provider "primary" gives wrong answers`,
		func(a []string) (string, string, map[string]string, error) { return "quality-drift", a[0], nil, nil }).naming(RefProvider),
	faultStep(`^the stream from provider "([^"]+)" is cut after (\d+) tokens`+forD+`$`,
		"Streaming responses close after that many tokens without their final event.",
		`When the stream from provider "primary" is cut after 20 tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "stream-cut", a[0], map[string]string{"after_tokens": a[1]}, nil
		}).naming(RefProvider),
	faultStep(`^the "([^"]+)" API times out`+forD+`$`,
		"The third-party API's proxy accepts connections and never answers (blackhole).",
		`When the "search" API times out`,
		func(a []string) (string, string, map[string]string, error) { return "blackhole", a[0], nil, nil }).naming(RefStub),
	faultStep(`^the "([^"]+)" API returns (\d{3})`+forD+`$`,
		"The third-party API answers every request with that status.",
		`When the "search" API returns 503`,
		func(a []string) (string, string, map[string]string, error) {
			return "stub-error", a[0], map[string]string{"status": a[1]}, nil
		}).naming(RefStub),
	faultStep(`^the "([^"]+)" API changes its schema`+forD+`$`,
		`The third-party API drops the "results" field of its responses (a breaking schema change).`,
		`When the "search" API changes its schema`,
		func(a []string) (string, string, map[string]string, error) {
			return "stub-schema-change", a[0], map[string]string{"drop": "results"}, nil
		}).naming(RefStub),
	faultStep(`^traffic surges (\d+(?:\.\d+)?)x`+forD+`$`,
		"Multiplies the request rate of the traffic generator.",
		`When traffic surges 3x for 10m`,
		func(a []string) (string, string, map[string]string, error) {
			return "traffic-surge", "traffic", map[string]string{"factor": a[0]}, nil
		}),
	faultStep(`^the primary provider returns (\d{3}) for (\d+(?:\.\d+)?)% of requests`+forD+`$`,
		"Like `provider \"X\" returns ...` on the first provider of drill.yaml, for drills that fit any team.",
		`When the primary provider returns 503 for 90% of requests`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := percent(a[1])
			return "provider-error", "", map[string]string{"status": a[0], "probability": p}, err
		}),
	faultStep(`^the primary provider is down`+forD+`$`,
		"Takes the first provider's proxy down (connections refused).",
		`When the primary provider is down`,
		func([]string) (string, string, map[string]string, error) { return "outage", "", nil, nil }),
	faultStep(`^the primary provider bills (\d+(?:\.\d+)?)x tokens`+forD+`$`,
		"The first provider reports that many times the real token usage.",
		`When the primary provider bills 10x tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "billing-spike", "", map[string]string{"factor": a[0]}, nil
		}),
	faultStep(`^the primary provider gives wrong answers`+forD+`$`,
		"Quality drift on the first provider: fluent, wrong answers; canary prompts fail.",
		`When the primary provider gives wrong answers`,
		func([]string) (string, string, map[string]string, error) { return "quality-drift", "", nil, nil }),
	faultStep(`^responses from the primary provider become garbage`+forD+`$`,
		"The first provider answers 200 with random tokens.",
		`When responses from the primary provider become garbage`,
		func([]string) (string, string, map[string]string, error) {
			return "garbage-output", "", map[string]string{"kind": "random_tokens"}, nil
		}),
	faultStep(`^the primary provider's model calls tools without end`+forD+`$`,
		"Every answer of the first provider asks for another tool call: agent loops run away.",
		`When the primary provider's model calls tools without end`,
		func([]string) (string, string, map[string]string, error) { return "runaway-tools", "", nil, nil }),
	faultStep(`^the first third-party API returns (\d{3})`+forD+`$`,
		"The first stub of drill.yaml answers every request with that status.",
		`When the first third-party API returns 503`,
		func(a []string) (string, string, map[string]string, error) {
			return "stub-error", "", map[string]string{"status": a[0]}, nil
		}),
	faultStep(`^the first third-party API is down`+forD+`$`,
		"The first stub of drill.yaml answers 503 to every request (an outage of the vendor).",
		`When the first third-party API is down`,
		func([]string) (string, string, map[string]string, error) { return "stub-outage", "", nil, nil }),
	faultStep(`^fault "([^"]+)" hits "([^"]+)"(?: with ((?:[a-z_]+=[^,\s]+)(?:,\s*[a-z_]+=[^,\s]+)*))?`+forD+`$`,
		"Any fault kind of the catalog (`drill faults`) on a provider, stub or traffic, with parameters as key=value pairs.",
		`When fault "provider-error" hits "primary" with status=529, probability=0.5 for 10m`,
		func(a []string) (string, string, map[string]string, error) {
			params := map[string]string{}
			if a[2] != "" {
				for _, kv := range strings.Split(a[2], ",") {
					k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
					params[k] = v
				}
			}
			return a[0], a[1], params, nil
		}).naming(RefFault, RefTarget),

	// ---- Then
	{
		Keyword: "Then", Expr: `^alert "([^"]+)" fires within ` + Duration + `$`, refs: []Ref{RefAlert},
		Doc:     "Waits until the alert fires (Prometheus state firing, after its `for`), at most that long after the latest fault. An alert already pending or firing when the first fault went on did not detect it: its firing in that episode is noise (a false alarm) and satisfies no \"fires\" step; only a new episode (it resolved, then went pending after the fault) can.",
		Example: `Then alert "LLMSpendSpike" fires within 10m`,
		bind: func(s *State) any {
			return func(ctx context.Context, alert, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from := s.sinceFault()
				_, err = s.waitFrom(ctx, from, dur, s.detection(alert))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("alert %q did not fire within %s of %s%s", alert, d, s.sinceWhat(), s.alertContext(alert, from))
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Expr: `^an alert fires within ` + Duration + `$`,
		Doc:     "Waits until any of the team's alerts fires, at most that long after the latest fault; that alert is then expected (not a false alarm). An alert already pending or firing when the first fault went on is not credited: its firing in that episode is noise. For drills that fit any team.",
		Example: "Then an alert fires within 10m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from := s.sinceFault()
				e, err := s.waitFrom(ctx, from, dur, s.detection(""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("no alert fired within %s of %s: nothing detected it%s", d, s.sinceWhat(), s.pendingContext(from))
				}
				if err != nil {
					return err
				}
				s.expect(e.Subject)
				return nil
			}
		},
	},
	{
		Keyword: "Then", Expr: `^alert "([^"]+)" may fire$`, refs: []Ref{RefAlert},
		Doc:     "Declares an alert the scenario tolerates: its firings are explained by the fault, not false alarms. Always passes.",
		Example: `Then alert "LLMLatencyHigh" may fire`,
		bind: func(s *State) any {
			return func(string) error { return nil }
		},
	},
	{
		Keyword: "Then", Expr: `^alert "([^"]+)" does not fire within ` + Duration + `$`, refs: []Ref{RefAlert},
		Doc:     "Fails if the alert fires within that long of the latest fault (or of now, before any fault).",
		Example: `Then alert "LLMProviderDown" does not fire within 15m`,
		bind: func(s *State) any {
			return func(ctx context.Context, alert, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				e, err := s.waitFrom(ctx, s.sinceFault(), dur, timeline.OfKind(timeline.AlertFiring, alert))
				if errors.Is(err, timeline.ErrDeadline) {
					return nil
				}
				if err != nil {
					return err
				}
				return fmt.Errorf("alert %q fired at %s; it should not have", alert, s.at(e.At))
			}
		},
	},
	{
		Keyword: "Then", Expr: `^the page reaches an on-call responder of team "([^"]+)" within ` + Duration + `$`, refs: []Ref{RefTeam},
		Doc:     "Waits until the escalation policy pages a member of the team, at most that long after the first expected alert fired.",
		Example: `Then the page reaches an on-call responder of team "ml-platform" within 5m`,
		bind: func(s *State) any {
			return func(ctx context.Context, teamID, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				members, err := s.teamMembers(teamID)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				_, err = s.waitFrom(ctx, from, dur, func(e timeline.Event) bool { return e.Kind == timeline.Page && members[e.Subject] })
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("no member of team %q was paged within %s of the alert firing%s", teamID, d, s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Expr: `^the page is acknowledged within ` + Duration + `$`,
		Doc:     "Waits until a paged responder acknowledges, at most that long after the first page; the page itself must come at most that long after the first expected alert fired.",
		Example: "Then the page is acknowledged within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				page, err := s.waitFrom(ctx, from, dur, timeline.OfKind(timeline.Page, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("nobody was paged within %s of the alert firing, so nothing can be acknowledged%s", d, s.pageContext())
				}
				if err != nil {
					return err
				}
				_, err = s.waitFrom(ctx, page.At, dur, timeline.OfKind(timeline.Ack, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("the page to %s at %s was not acknowledged within %s%s", page.Subject, s.at(page.At), d, s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Expr: `^alert "([^"]+)" links a runbook that exists, is fresh and has an owner$`, refs: []Ref{RefAlert},
		Doc:     "Checks the alert rule's runbook link (or a runbook naming the alert) resolves, has an owner, and is not overdue for review at drill time.",
		Example: `Then alert "LLMSpendSpike" links a runbook that exists, is fresh and has an owner`,
		bind: func(s *State) any {
			return func(alert string) error { return s.checkRunbook(alert) }
		},
	},
	{
		Keyword: "Then", Expr: `^following the runbook brings "(.+)" true within ` + Duration + `$`, refs: []Ref{RefPromQL},
		Doc:     "Waits for the acknowledging responder to run the runbook, then until the PromQL condition is true (it returns at least one sample, as an alert expression does) on data, at most that long after the acknowledgement. While a target whose series the condition reads fails its scrapes, or the condition returns nothing because a selector has no fresh sample, it reads no data, which is not recovery: the step says so and keeps waiting. Records the service as recovered.",
		Example: `Then following the runbook brings "sum(rate(drill_gateway_cost_usd_total[1m])) * 60 < 2" true within 10m`,
		bind: func(s *State) any {
			return func(ctx context.Context, expr, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.followRunbook(ctx, expr, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^following the runbook brings the service back within ` + Duration + `$`,
		Doc:     "Waits for the acknowledging responder to run the runbook, then until the alert that fired has resolved and its condition reads good on data, at most that long after the acknowledgement: the team's own alert is the measure of health. Its condition reads good when the alert's expression without its final comparison returns values on the good side of the threshold (`x > 0.1` reads `x`), or, for an expression without that shape, when its selectors have fresh samples. An alert that resolved because its series vanished (the service died, its /metrics fails) or its expression returned no sample is not a recovery: the step says so and keeps waiting. Records the service as recovered.",
		Example: "Then following the runbook brings the service back within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.followRunbookUntilResolved(ctx, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^"(.+)" holds for ` + Duration + `$`, refs: []Ref{RefPromQL},
		Doc:     "Evaluates the PromQL condition (true when it returns at least one sample) at every evaluation interval for that long; fails the first time it does not hold.",
		Example: `Then "sum(rate(drill_traffic_requests_total{outcome=\"ok\"}[1m])) > 0" holds for 5m`,
		bind: func(s *State) any {
			return func(ctx context.Context, expr, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.holds(ctx, expr, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^the service's success ratio stays above (\d+(?:\.\d+)?)%$`,
		Doc:     "Checks the share of traffic requests that succeeded with a valid answer since the environment started (client-side SLI from the traffic generator).",
		Example: "Then the service's success ratio stays above 95%",
		bind: func(s *State) any {
			return func(ctx context.Context, pct string) error {
				want, err := strconv.ParseFloat(pct, 64)
				if err != nil {
					return err
				}
				return s.successRatio(ctx, want/100)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^no other alert fires$`,
		Doc:     "Fails if any alert fired that no step of the scenario expects (a false alarm or a noisy rule).",
		Example: "Then no other alert fires",
		bind: func(s *State) any {
			return func() error { return s.noOtherAlerts() }
		},
	},
	// Incident roles and ownership (escalation roles:).
	{
		Keyword: "Then", Expr: `^role "([^"]+)" is assigned within ` + Duration + `$`, refs: []Ref{RefRole},
		Doc:     "Waits until someone claims the incident role (an id or name from the escalation roles:), at most that long after the first expected alert fired.",
		Example: `Then role "communications_lead" is assigned within 15m`,
		bind: func(s *State) any {
			return func(ctx context.Context, role, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.roleAssigned(ctx, role, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^an incident commander is assigned within ` + Duration + `$`,
		Doc:     "Waits until someone claims the incident_commander role (or the role named Incident Commander), at most that long after the first expected alert fired.",
		Example: "Then an incident commander is assigned within 5m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.roleAssigned(ctx, incidentCommander, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^the incident commander is not the person executing the runbook$`,
		Doc:     "Waits (up to 1h after the first expected firing) for the runbook to start and an incident commander to be assigned, and fails when they are the same person.",
		Example: "Then the incident commander is not the person executing the runbook",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.commanderNotExecutor(ctx) }
		},
	},
	{
		Keyword: "Then", Expr: `^a status update is posted within ` + Duration + `$`,
		Doc:     "Waits for a status update (simulated by a role with status_update; live: `drill note`), at most that long after the first expected alert fired.",
		Example: "Then a status update is posted within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.statusUpdate(ctx, dur)
			}
		},
	},
	{
		Keyword: "Then", Expr: `^the runbook owner is paged$`,
		Doc:     "Checks that the owner of the runbook of an expected alert (the user, or a member of the owning team) is paged before the page is acknowledged or the policy gives up (waiting up to 1h after the first expected firing).",
		Example: "Then the runbook owner is paged",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.ownerPaged(ctx) }
		},
	},
	{
		Keyword: "Then", Expr: `^the fault provably fired$`,
		Doc:     "Fails unless every injected fault affected at least one request or connection. (A scenario without this proof is inconclusive anyway.)",
		Example: "Then the fault provably fired",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.provablyFired(ctx) }
		},
	},
}

// naming declares what the step's groups name (see Step.refs).
func (s Step) naming(refs ...Ref) Step {
	s.refs = refs
	return s
}

// faultStep builds a When step that injects a fault. args maps the
// regular expression's groups (without the trailing duration) to a
// catalog kind, target and parameters.
func faultStep(expr, doc, example string, args func([]string) (kind, target string, params map[string]string, err error)) Step {
	groups := regexp.MustCompile(expr).NumSubexp() // once, not per scenario
	return Step{
		Keyword: "When", Expr: expr, Doc: doc + " Optionally ends after `for D`.", Example: example, fault: args,
		bind: func(s *State) any {
			return stringsFunc(groups, func(ctx context.Context, groups []string) error {
				d := time.Duration(0)
				if last := groups[len(groups)-1]; last != "" {
					v, err := ParseDuration(last)
					if err != nil {
						return err
					}
					d = v
				}
				kind, target, params, err := args(groups[:len(groups)-1])
				if err != nil {
					return err
				}
				return s.inject(ctx, kind, target, params, d)
			})
		},
	}
}

var (
	ctxType    = reflect.TypeFor[context.Context]()
	errType    = reflect.TypeFor[error]()
	stringType = reflect.TypeFor[string]()
)

// stringsFunc makes a function of a context and n strings, as godog
// wants one argument per group of a step's expression, from one that
// takes the groups as a slice.
func stringsFunc(n int, f func(context.Context, []string) error) any {
	in := []reflect.Type{ctxType}
	for range n {
		in = append(in, stringType)
	}
	typ := reflect.FuncOf(in, []reflect.Type{errType}, false)
	return reflect.MakeFunc(typ, func(args []reflect.Value) []reflect.Value {
		groups := make([]string, n)
		for i := range groups {
			groups[i] = args[i+1].String()
		}
		err := f(args[0].Interface().(context.Context), groups)
		out := reflect.New(errType).Elem()
		if err != nil {
			out.Set(reflect.ValueOf(err))
		}
		return []reflect.Value{out}
	}).Interface()
}

func percent(s string) (string, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 100 {
		return "", fmt.Errorf("want a percentage from 0 to 100, got %q", s)
	}
	return strconv.FormatFloat(v/100, 'f', -1, 64), nil
}

func (s *State) teamMembers(teamID string) (map[string]bool, error) {
	t := s.Env.Team()
	if t == nil || t.Escalation == nil {
		return nil, errors.New("the team has no escalation files")
	}
	g, ok := t.Escalation.Team(teamID)
	if !ok {
		var ids []string
		for _, g := range t.Escalation.Teams {
			ids = append(ids, g.ID)
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("no team %q in the escalation files; teams: %s", teamID, strings.Join(ids, ", "))
	}
	members := map[string]bool{}
	for _, m := range g.Members {
		members[m] = true
	}
	return members, nil
}

// firstExpectedFiring is when the first alert the scenario expects fired
// after the latest fault.
func (s *State) firstExpectedFiring() (time.Time, error) {
	e, err := s.firstExpectedFiringEvent()
	return e.At, err
}

func (s *State) firstExpectedFiringEvent() (timeline.Event, error) {
	from := s.sinceFault()
	detects := s.detection("")
	for _, e := range s.Env.Log().Sorted() {
		if detects(e) && !e.At.Before(from) && s.isExpected(e.Subject) {
			return e, nil
		}
	}
	return timeline.Event{}, errors.New("no expected alert has fired, so nobody can be paged for it")
}

func (s *State) isExpected(alert string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expected[alert]
}

// alertContext says what the alert was doing since from, for a failure
// message.
func (s *State) alertContext(alert string, from time.Time) string {
	if n := s.noise(alert, from); len(n) > 0 {
		return " (" + s.noiseNote(n[0]) + ")"
	}
	s.mu.Lock()
	fault := s.firstFaultAt
	s.mu.Unlock()
	if events := s.Env.Log().Sorted(); !fault.IsZero() && timeline.AlertActive(events, alert, fault) {
		var since time.Time
		for _, e := range events {
			if e.Subject == alert && e.Kind == timeline.AlertFiring && !e.At.After(fault) {
				since = e.At
			}
		}
		if !since.IsZero() {
			return fmt.Sprintf(" (it was already firing before the fault, since %s, and never resolved: a firing in the control window is a false alarm, and only a new episode could detect the fault)", s.at(since))
		}
	}
	if e, ok := s.Env.Log().Find(timeline.OfKind(timeline.AlertPending, alert)); ok {
		return fmt.Sprintf(" (it went pending at %s but never reached firing)", s.at(e.At))
	}
	return " (it never went pending: its expression stayed false)"
}

// pageContext lists the escalation's broken links, for failure messages.
func (s *State) pageContext() string {
	var broken []string
	for _, e := range s.Env.Log().Events() {
		if e.Kind == timeline.BrokenLink || e.Kind == timeline.PolicyExhausted {
			broken = append(broken, strings.TrimSpace(e.Subject+" "+e.Message))
		}
	}
	if len(broken) == 0 {
		return ""
	}
	return "; escalation problems: " + strings.Join(broken, "; ")
}

func (s *State) checkRunbook(alert string) error {
	t := s.Env.Team()
	if t == nil {
		return errors.New("no team loaded")
	}
	for _, r := range t.Alerts() {
		if r.Name() != alert {
			continue
		}
		rb, ok := t.RunbookForAlert(r)
		if !ok {
			link := t.RunbookLink(r)
			if link == "" {
				return fmt.Errorf("alert %q has no runbook link and no runbook names it", alert)
			}
			return fmt.Errorf("alert %q links runbook %q, which does not exist", alert, link)
		}
		var problems []string
		if rb.Owner == "" {
			problems = append(problems, "it has no owner")
		}
		if rb.LastReviewed.IsZero() {
			problems = append(problems, "it has no last_reviewed date")
		} else {
			every := time.Duration(rb.ReviewEvery)
			if every == 0 {
				every = time.Duration(t.Config.Lint.Review.Every)
			}
			due := rb.LastReviewed.Time.Add(every)
			if now := s.Env.Clock().Now(); now.After(due) {
				problems = append(problems, fmt.Sprintf("its review was due %s (last reviewed %s)", due.Format(time.DateOnly), rb.LastReviewed.Time.Format(time.DateOnly)))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("runbook %s for alert %q: %s", rb.File, alert, strings.Join(problems, "; "))
		}
		return nil
	}
	return fmt.Errorf("no alert rule named %q in the team's rule files", alert)
}

// runbookRan waits for an acknowledgement after the latest fault and for
// the acknowledging responder's runbook to end well, at most d after the
// acknowledgement. It returns the acknowledgement.
func (s *State) runbookRan(ctx context.Context, d time.Duration) (timeline.Event, error) {
	log := s.Env.Log()
	// The acknowledgement has its own step and deadline; this one only
	// needs it to happen, within a generous bound so a drill still ends.
	from := s.sinceFault()
	ack, err := s.waitFrom(ctx, from, max(time.Hour, d), timeline.OfKind(timeline.Ack, ""))
	if err != nil {
		if errors.Is(err, timeline.ErrDeadline) {
			return ack, fmt.Errorf("nobody acknowledged the page, so nobody followed the runbook%s", s.pageContext())
		}
		return ack, err
	}
	end, err := s.waitFrom(ctx, ack.At, d, timeline.OfKind(timeline.RunbookEnd, ""))
	if err != nil {
		if errors.Is(err, timeline.ErrDeadline) {
			return ack, fmt.Errorf("the runbook did not finish within %s of the acknowledgement by %s", fmtDur(d), ack.Subject)
		}
		return ack, err
	}
	if st := end.Attrs["status"]; st != "" && st != "ok" && st != "passed" {
		return ack, fmt.Errorf("the runbook %s ended %s: %s", end.Subject, st, runbookFailure(log, end))
	}
	return ack, nil
}

// followRunbook waits for the runbook to run, then until the condition
// reads good on data (Env.ReadCondition), at most d after the
// acknowledgement. A condition that returns nothing because its data is
// gone (a failing scrape, no fresh sample) is reported as no data, and
// the step keeps waiting.
func (s *State) followRunbook(ctx context.Context, expr string, d time.Duration) error {
	ack, err := s.runbookRan(ctx, d)
	if err != nil {
		return err
	}
	last, err := s.awaitRecovery(ctx, recovery{
		subject: expr, recoveredAs: expr,
		read: func(at time.Time) (Reading, string, error) {
			r, err := s.Env.ReadCondition(ctx, expr, at)
			if err != nil {
				return r, "", fmt.Errorf("condition %q: %w", expr, err)
			}
			if r.NoData {
				return r, fmt.Sprintf("condition %q cannot be read: %s; no data is not recovery", expr, r.Detail), nil
			}
			return r, "", nil
		},
		recovered: func(at time.Time, _ Reading) string {
			return fmt.Sprintf("condition true %s after the acknowledgement", fmtDur(at.Sub(ack.At)))
		},
	}, s.Env.Clock().Now(), ack.At.Add(d))
	switch {
	case !errors.Is(err, timeline.ErrDeadline):
		return err
	case last.NoData:
		return fmt.Errorf("the runbook ran, but %q had no data to read %s after the acknowledgement (%s): no data is not recovery", expr, fmtDur(d), last.Detail)
	}
	return fmt.Errorf("the runbook ran, but %q was still false %s after the acknowledgement: the runbook's fix does not fix", expr, fmtDur(d))
}

// recovery is what a step that credits recovery reads: read returns the
// reading at a drill time and, when the reading is not good but would
// have passed for a recovery without its data (an alert resolved, a
// condition with no data), why it is none.
type recovery struct {
	subject     string // of the RecoveryUnproven events
	recoveredAs string // subject of the Recovered event
	read        func(at time.Time) (r Reading, unproven string, err error)
	recovered   func(at time.Time, r Reading) string // the Recovered event's message
}

// awaitRecovery is the one way a step credits recovery: it reads the data
// at from, then at every evaluation interval until deadline, and at the
// first good reading records the service as recovered (timeline.Recovered,
// stamped with the reading's time) and returns nil. A reading that is
// not good never ends the wait; when it would have passed for recovery
// without its data, it is recorded as timeline.RecoveryUnproven, once per
// reason. At the deadline it returns the last reading and ErrDeadline,
// for the step to word.
func (s *State) awaitRecovery(ctx context.Context, rc recovery, from, deadline time.Time) (Reading, error) {
	log, c := s.Env.Log(), s.Env.Clock()
	var last Reading
	unproven := ""
	for at := from; ; at = c.Now() {
		r, why, err := rc.read(at)
		if err != nil {
			return r, err
		}
		if r.Good {
			log.Append(timeline.Event{At: at, Kind: timeline.Recovered, Subject: rc.recoveredAs, Message: rc.recovered(at, r)})
			return r, nil
		}
		if why != "" && why != unproven {
			log.Append(timeline.Event{At: at, Kind: timeline.RecoveryUnproven, Subject: rc.subject, Message: why})
		}
		unproven, last = why, r
		if !at.Before(deadline) {
			return last, timeline.ErrDeadline
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(c.Now()))); err != nil {
			return last, err
		}
	}
}

// runbookFailure describes the failed step of a runbook run.
func runbookFailure(log *timeline.Log, end timeline.Event) string {
	var last timeline.Event
	for _, e := range log.Events() {
		if e.Kind == timeline.StepEnd && e.Seq < end.Seq && e.Attrs["exit_code"] != "" && e.Attrs["exit_code"] != "0" {
			last = e
		}
	}
	if last.Seq == 0 {
		return end.Message
	}
	out := strings.TrimSpace(last.Attrs["output"])
	if len(out) > 300 {
		out = out[len(out)-300:]
	}
	return fmt.Sprintf("step %q exited %s: %s", last.Subject, last.Attrs["exit_code"], out)
}

func (s *State) holds(ctx context.Context, expr string, d time.Duration) error {
	c := s.Env.Clock()
	deadline := c.Now().Add(d)
	for {
		_, ok, err := s.Env.Query(ctx, expr)
		if err != nil {
			return fmt.Errorf("condition %q: %w", expr, err)
		}
		if !ok {
			return fmt.Errorf("condition %q stopped holding at %s", expr, s.at(c.Now()))
		}
		if !c.Now().Before(deadline) {
			return nil
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(c.Now()))); err != nil {
			return err
		}
	}
}

func (s *State) successRatio(ctx context.Context, want float64) error {
	s.mu.Lock()
	start := s.startedAt
	s.mu.Unlock()
	window := s.Env.Clock().Now().Sub(start).Round(time.Second)
	if window < time.Minute {
		window = time.Minute
	}
	r := fmt.Sprintf("[%ds]", int(window.Seconds()))
	expr := `sum(increase(drill_traffic_requests_total{outcome="ok"}` + r + `)) / sum(increase(drill_traffic_requests_total{outcome!="dropped"}` + r + `))`
	v, ok, err := s.Env.Query(ctx, expr)
	if err != nil {
		return fmt.Errorf("success ratio: %w", err)
	}
	if !ok || math.IsNaN(v) {
		return errors.New("success ratio: the traffic generator recorded no requests")
	}
	if v < want {
		return fmt.Errorf("the success ratio over the last %s was %.1f%%, below %.1f%%", window, v*100, want*100)
	}
	return nil
}

func (s *State) noOtherAlerts() error {
	var others []string
	seen := map[string]bool{}
	for _, e := range s.Env.Log().Sorted() {
		if e.Kind == timeline.AlertFiring && !s.isExpected(e.Subject) && !seen[e.Subject] {
			seen[e.Subject] = true
			others = append(others, fmt.Sprintf("%s at %s", e.Subject, s.at(e.At)))
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("alerts fired that no step expects: %s", strings.Join(others, ", "))
	}
	return nil
}

func (s *State) provablyFired(ctx context.Context) error {
	ids := s.Faults()
	if len(ids) == 0 {
		return errors.New("no fault was injected")
	}
	ev, err := s.Env.Evidence(ctx)
	if err != nil {
		return err
	}
	var none []string
	for _, id := range ids {
		if ev[id] <= 0 {
			none = append(none, id)
		}
	}
	if len(none) > 0 {
		return fmt.Errorf("no request or connection was affected by %s", strings.Join(none, ", "))
	}
	return nil
}

// followRunbookUntilResolved is followRunbook with the team's own alert as
// the measure of health: the service is back when the alert that fired
// has resolved and its condition reads good on data (Env.ReadAlert). An
// alert that resolves because its series vanished (the service died, its
// /metrics fails) or because its expression returned no sample for an
// evaluation is not a recovery: the step records why and keeps waiting.
func (s *State) followRunbookUntilResolved(ctx context.Context, d time.Duration) error {
	fired, err := s.firstExpectedFiringEvent()
	if err != nil {
		return err
	}
	ack, err := s.runbookRan(ctx, d)
	if err != nil {
		return err
	}
	alert, deadline := fired.Subject, ack.At.Add(d)
	stillFires := fmt.Errorf("the runbook ran, but alert %q still fired %s after the acknowledgement: the runbook's fix does not fix", alert, fmtDur(d))
	res, err := s.waitFrom(ctx, fired.At, deadline.Sub(fired.At), timeline.OfKind(timeline.AlertResolved, alert))
	if errors.Is(err, timeline.ErrDeadline) {
		return stillFires
	}
	if err != nil {
		return err
	}
	active := false
	last, err := s.awaitRecovery(ctx, recovery{
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
		recovered: func(at time.Time, r Reading) string {
			return fmt.Sprintf("alert %s resolved %s after the acknowledgement, and its condition reads good on data: %s", alert, fmtDur(at.Sub(ack.At)), r.Detail)
		},
	}, later(res.At, ack.At), deadline) // resolved before the ack: back once acknowledged, if it reads so
	switch {
	case !errors.Is(err, timeline.ErrDeadline):
		return err
	case active:
		return stillFires
	case last.NoData:
		return fmt.Errorf("the runbook ran, but alert %q never read good on data within %s of the acknowledgement; it resolved at %s, and then: %s; no data is not recovery",
			alert, fmtDur(d), s.at(res.At), last.Detail)
	}
	return fmt.Errorf("the runbook ran, and alert %q resolved at %s, but its condition still read bad %s after the acknowledgement (%s): the runbook's fix does not fix",
		alert, s.at(res.At), fmtDur(d), last.Detail)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// expect marks an alert as expected by the scenario.
func (s *State) expect(alert string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected[alert] = true
}

// pendingContext names alerts whose firing since from was noise and
// alerts that went pending but never fired, for a detection failure.
func (s *State) pendingContext(from time.Time) string {
	var notes []string
	seen := map[string]bool{}
	for _, e := range s.noise("", from) {
		if !seen[e.Subject] {
			seen[e.Subject] = true
			notes = append(notes, s.noiseNote(e))
		}
	}
	var names []string
	for _, e := range s.Env.Log().Events() {
		if e.Kind == timeline.AlertPending && !seen[e.Subject] {
			seen[e.Subject] = true
			names = append(names, e.Subject)
		}
	}
	if len(names) > 0 {
		notes = append(notes, "pending but never firing: "+strings.Join(names, ", "))
	}
	if len(notes) == 0 {
		return " (no alert even went pending)"
	}
	return " (" + strings.Join(notes, "; ") + ")"
}
