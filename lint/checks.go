package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/drillkit/drill/internal/textdist"
	"github.com/drillkit/drill/team"
)

// Severity is a finding's level; drill.yaml's lint.severity sets it per
// check.
type Severity = team.Severity

// Severities, most severe first. Off disables a check.
const (
	SeverityError   = team.SeverityError
	SeverityWarning = team.SeverityWarning
	SeverityInfo    = team.SeverityInfo
	SeverityOff     = team.SeverityOff
)

// Check is one lint check: a stable ID, its default severity and why it
// matters. drill.yaml's lint.severity overrides the severity per ID.
// Every finding Run returns carries the ID of a check registered here.
type Check struct {
	ID        string
	Severity  Severity
	Rationale string
}

// checks is the registry, in the order drill lint --checks lists them.
var checks = []Check{
	// Runbooks.
	{"runbook-missing", SeverityError, "a paging alert with no runbook leaves the responder to improvise at 3 a.m."},
	{"runbook-link-missing", SeverityWarning, "a runbook only its front matter knows about is not linked from the page the responder sees"},
	{"runbook-link-broken", SeverityError, "a runbook link that resolves to no runbook is worse than none: it costs time during the incident"},
	{"runbook-orphan", SeverityWarning, "a runbook no alert points at is never found and silently rots"},
	{"runbook-unknown-alert", SeverityWarning, "a runbook naming an alert that no longer exists describes a world that is gone"},
	{"runbook-no-owner", SeverityError, "a runbook without an owner is nobody's job to keep right"},
	{"runbook-no-review-date", SeverityWarning, "without last_reviewed nobody can tell whether the runbook still matches the system"},
	{"runbook-stale", SeverityWarning, "a runbook past its review interval probably drifted from the system it mitigates"},
	{"runbook-owner-unknown", SeverityError, "an owner that is no user or team in escalation/ cannot be asked or paged"},
	{"runbook-escalation-unknown", SeverityError, "a runbook escalating to a policy or schedule that does not exist sends the responder nowhere"},
	{"runbook-section-missing", SeverityWarning, "a responder under stress needs the same sections in the same place in every runbook"},
	{"runbook-mitigation-not-actionable", SeverityError, "a mitigation with no command and no concrete step tells the responder what, not how"},
	{"runbook-unbound-variable", SeverityError, "a command using a variable drill.yaml does not bind fails or hits the wrong target in a drill"},
	{"runbook-attribute-ignored", SeverityWarning, "a block whose Runme attributes drill cannot honour (interactive, a cwd of the host, an interpreter other than bash, sh and python3) is run otherwise in a drill, so the drill does not rehearse what the responder does"},
	{"runbook-placeholder", SeverityWarning, "TODO, TBD or <placeholder> left in a step means the step was never finished"},
	{"runbook-escalation-reference-unknown", SeverityError, "an Escalation section telling the responder to page a team, policy or role that does not exist sends them nowhere when they are already stuck"},
	{"runbook-decision-no-criterion", SeverityWarning, "a step that says if, when, unless or whether without a number leaves the decision to a tired responder's judgement"},
	{"runbook-older-than-rule", SeverityWarning, "a runbook last changed before the alert rule it serves may describe the old rule (from git history; skipped outside a git repository)"},
	// Escalation.
	{"escalation-unrouted-alert", SeverityError, "a paging alert that no route matches (escalation routes:, or Alertmanager's tree when drill.yaml names an alertmanager.yml) pages nobody"},
	{"escalation-routes-ignored", SeverityWarning, "routes: in escalation/ that drill.yaml's paths.alertmanager overrides describe a routing nobody runs, and mislead whoever reads them"},
	{"escalation-inhibit-rule-dead", SeverityWarning, "an inhibit rule of alertmanager.yml whose source or target side no alert rule of the team can match never mutes anything: a typo in a matcher, or a renamed alert, silently turns off the inhibition production relies on"},
	{"escalation-receiver-no-policy", SeverityWarning, "an Alertmanager receiver that sends to PagerDuty but maps to no escalation policy pages someone in production and nobody in a drill, so the drill does not rehearse that page"},
	{"escalation-route-no-policy", SeverityError, "a route to a policy that does not exist drops the page"},
	{"escalation-team-no-policy", SeverityWarning, "a team with no escalation policy cannot be paged as a team"},
	{"escalation-target-missing", SeverityError, "a target naming an unknown user, team or schedule pages nobody at that level"},
	{"escalation-target-empty", SeverityError, "a level, team or schedule with nobody in it pages nobody"},
	{"escalation-target-inactive", SeverityError, "an inactive user on a rotation or as a target does not answer pages"},
	{"escalation-coverage-gap", SeverityError, "minutes with nobody on call are minutes in which an incident waits for the next level or nobody"},
	{"escalation-no-final-responder", SeverityWarning, "a single level with no loop gives up after one unanswered page"},
	{"escalation-contact-unknown", SeverityError, "a notification rule through a contact method the user does not have, or of a kind drill does not know, notifies nobody"},
	{"escalation-notification-slow", SeverityWarning, "a user whose first notification comes after the level escalates is never really given the page"},
	{"escalation-unreachable", SeverityError, "a policy whose every level (and every loop) reaches no active human only looks like escalation"},
	{"escalation-no-assignment", SeverityWarning, "several people paged at once with no assignment strategy each assume another one has it"},
	// Ownership and incident roles.
	{"ownership-team-mismatch", SeverityWarning, "an alert owned by one team that pages another team's policy, or points at another team's runbook, wakes people who cannot fix it"},
	{"ownership-unreachable", SeverityError, "an alert or runbook whose owner is on no schedule has nobody who will answer for it during an incident"},
	{"role-severity-unknown", SeverityWarning, "a role required for a severity no alert rule carries (sev1 where the rules say critical) is never required, so no incident asks for it"},
	{"role-unfillable", SeverityError, "an incident role nobody can fill (missing source, empty schedule, inactive users, coverage gaps) is a role nobody holds when it is needed"},
	// Thresholds.
	{"alert-no-comparison", SeverityWarning, "an alert expression without a comparison fires on any value, so its threshold is unstated"},
	{"alert-for-missing", SeverityWarning, "without for: a single noisy evaluation pages a human"},
	{"alert-for-short", SeverityWarning, "a for: shorter than two evaluation intervals fires on one sample"},
	{"alert-no-severity", SeverityError, "without a severity label routing and paging decisions are guesses"},
	{"alert-no-summary", SeverityWarning, "the summary is the line the responder reads first on the page"},
	{"alert-no-description", SeverityWarning, "the description tells the responder what crossed which line"},
	{"alert-description-vague", SeverityInfo, "a description without the threshold or {{ $value }} makes the responder open a dashboard before acting"},
	{"alert-metric-unexposed", SeverityError, "a rule over a metric nothing in the drill world exposes, a typo away from one it does or named by the team's own drills, never has data: its alert cannot fire (derived from drill.yaml's topology; a scraped service of the team's own is checked by drill lint --live)"},
	{"alert-metric-outside-drill", SeverityWarning, "a rule over a metric drill's world does not have (a node or cluster exporter's) cannot fire in a drill, so drill does not rehearse it"},
	// Feature files and promtool rule tests (drills.go): the step
	// catalog and drill's alerting engine judge them.
	{"feature-syntax", SeverityError, "a feature file gherkin cannot read runs no drill at all"},
	{"feature-undefined-step", SeverityError, "a step no catalog step matches, or with an out-of-range duration, stops its drill before it proves anything"},
	{"promtool-test-failed", SeverityError, "the team's own promtool rule tests, run through drill's alerting engine, say the rules do not do what their authors expect"},
	{"promtool-test-unknown-alert", SeverityWarning, "a promtool test of an alert no rule defines passes without testing anything, often after a rename"},
	{"alert-untested", SeverityWarning, "an alert no drill and no promtool test exercises is only believed to work"},
	// The live series check (live.go, drill lint --live only): the team's
	// world runs, is scraped, and every selector of every rule is
	// checked against what it exposed.
	{"rule-selector-no-series", SeverityError, "a selector of a metric nothing in the live world exports, or of a label or value a typo away from one it writes, matches nothing, so its rule never fires (drill lint --live)"},
	{"rule-selector-unmatched", SeverityInfo, "a selector whose label values a healthy world has not written matches nothing there: right for what only an incident writes (a 5xx status), wrong for a label or value the service never writes; a drill injecting the fault tells which (drill lint --live)"},
}

var checkByID = func() map[string]Check {
	m := make(map[string]Check, len(checks))
	for _, c := range checks {
		m[c.ID] = c
	}
	return m
}()

// Checks returns the registry of lint checks.
func Checks() []Check { return append([]Check(nil), checks...) }

// SeverityOf is the severity of check id for a team: drill.yaml's
// lint.severity, else the check's default.
func SeverityOf(c *team.Config, id string) Severity {
	if s, ok := c.Lint.Severity[id]; ok {
		return s
	}
	return checkByID[id].Severity
}

// CheckConfig judges the lint section of drill.yaml against the registry:
// every ID in lint.severity must name a check. Run returns these problems
// as its error; drill lint prints them with the problems Load found.
func CheckConfig(c *team.Config) team.Problems {
	if c == nil {
		return nil
	}
	var probs team.Problems
	ids := make([]string, 0, len(c.Lint.Severity))
	for id := range c.Lint.Severity {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, ok := checkByID[id]; !ok {
			msg := "unknown check; run 'drill lint --checks' for the list"
			if near := closestIDs(id); len(near) > 0 {
				msg = fmt.Sprintf("unknown check (did you mean %s?); run 'drill lint --checks' for the list", strings.Join(near, " or "))
			}
			probs = append(probs, c.Problem("lint.severity."+id, msg))
		}
	}
	probs.Sort()
	return probs
}

// closestIDs are the registered IDs within two edits of id, for a
// misspelt lint.severity key.
func closestIDs(id string) []string {
	var out []string
	for _, c := range checks {
		if textdist.Levenshtein([]byte(id), []byte(c.ID)) <= 2 {
			out = append(out, c.ID)
		}
	}
	return out
}
