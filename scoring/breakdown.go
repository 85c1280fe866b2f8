package scoring

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// The phases of time to recover, in order (Metrics defines each). They
// are contiguous: when a scenario recovered, their durations add up to
// its time to recover.
const (
	PhaseDetect      = "detect"
	PhaseRoute       = "route"
	PhaseAcknowledge = "acknowledge"
	PhaseDiagnose    = "diagnose"
	PhaseRemediate   = "remediate"
	PhaseVerify      = "verify"
)

// PhaseNames lists the phases in order.
var PhaseNames = func() []string {
	var out []string
	for _, m := range MetricsOf(KindPhase) {
		out = append(out, m.Field)
	}
	return out
}()

// legacyPhases maps the phase names older scorecards and events carry to
// today's: the runbook's Mitigation steps were the phase "mitigate" until
// that word was left to time to mitigate (acknowledgement to recovery),
// which spans three phases.
var legacyPhases = map[string]string{"mitigate": PhaseRemediate}

// CanonicalPhase is the phase a name read from a scorecard or an event of
// any drill version stands for: a legacy name becomes today's, any other
// name is returned as it is. Reading a scorecard (Scorecard.UnmarshalJSON)
// and reading a runbook step's event both go through it.
func CanonicalPhase(name string) string {
	if now, ok := legacyPhases[name]; ok {
		return now
	}
	return name
}

// Phase is one stretch of a scenario's time to recover.
type Phase struct {
	Name    string  `json:"name"`
	Seconds Seconds `json:"seconds"`
	// Open is set when the phase never ended: it is measured to the
	// scenario's last event.
	Open     bool   `json:"open,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// Breakdown is where a scenario's time went, and what it cost in
// handoffs and manual work.
type Breakdown struct {
	Phases []Phase `json:"phases"`
	// Bottleneck is the longest phase, with its evidence.
	Bottleneck string `json:"bottleneck,omitempty"`
	Evidence   string `json:"evidence,omitempty"`
	// Escalations are policy hops (and hand-ups after a failed step);
	// Repages are pages to someone already paged in the scenario;
	// Handoffs is their sum.
	Escalations int `json:"escalations"`
	Repages     int `json:"repages"`
	Handoffs    int `json:"handoffs"`
	// ManualSteps are the prose-only runbook steps the responder did by
	// hand, most drill time first: candidates for automation.
	ManualSteps []ManualStep `json:"manual_steps,omitempty"`
}

// ManualStep is a prose-only runbook step and the drill time it took.
type ManualStep struct {
	Runbook string  `json:"runbook"`
	Step    string  `json:"step"`
	Section string  `json:"section,omitempty"`
	Where   string  `json:"where,omitempty"` // file:line
	Seconds Seconds `json:"seconds"`
	// Count is how many scenarios ran the step (summary only).
	Count int `json:"count,omitempty"`
}

// RoleRecord is one incident role assignment.
type RoleRecord struct {
	Role       string    `json:"role"`
	User       string    `json:"user"`
	Alert      string    `json:"alert,omitempty"`
	AssignedAt time.Time `json:"assigned_at"`
	// After is the time from the incident's first firing to the claim.
	After *Seconds `json:"after,omitempty"`
	// Within is the role's deadline from escalation roles:, if any.
	Within *Seconds `json:"within,omitempty"`
	Late   bool     `json:"late,omitempty"`
	Via    string   `json:"via,omitempty"` // simulated or live
}

// RoleGap is a role problem of a scenario: required and never filled
// (unfilled), filled after its deadline (late), or held by someone who
// also holds a role that should be separate (shared).
type RoleGap struct {
	Role    string `json:"role"`
	Kind    string `json:"kind"`
	User    string `json:"user,omitempty"`
	Message string `json:"message"`
}

// alreadyOn is why a firing after the first fault is a false alarm when
// its episode began before it: the alert was already pending (Analyze
// asks timeline.Detects, as the steps do).
func alreadyOn(sc Scenario, e timeline.Event) string {
	return "already pending before the fault, at " + Offset(timeline.EpisodeStart(e).Sub(scenarioStart(sc)))
}

// stepKey pairs a step's start and end events.
func stepKey(e timeline.Event) string {
	return e.Attrs["runbook"] + "\x00" + e.Attrs["section"] + "\x00" + e.Attrs["index"] + "\x00" + e.Subject
}

// stepPhase is the phase of a runbook step event: the response engine's
// phase attribute, else the default section names.
func stepPhase(e timeline.Event) string {
	if p := e.Attrs["phase"]; p != "" {
		return CanonicalPhase(p)
	}
	switch strings.ToLower(e.Attrs["section"]) {
	case "diagnosis":
		return PhaseDiagnose
	case "mitigation":
		return PhaseRemediate
	case "verification":
		return PhaseVerify
	}
	return ""
}

type stepRun struct {
	name, phase, runbook, section, where string
	manual                               bool
	start, end                           time.Time
}

// analyzeBreakdown fills the scenario's Breakdown, Roles and RoleGaps
// from its sorted events, between the instants Analyze found (r): the
// phases end where the timings do. A scenario with no fault, or one that
// expects no alert, has no breakdown: nothing was to be detected.
func analyzeBreakdown(sc *Scenario, events []timeline.Event, r response) {
	faultAt, firingAt, recoveredAt := r.fault, r.firing, r.recovered
	pageAt, ackAt, firstPage, acker := r.page, r.ack, r.pageTo, r.acker
	sc.Breakdown, sc.Roles, sc.RoleGaps = nil, nil, nil
	analyzeRoles(sc, events, firingAt)
	if faultAt.IsZero() || sc.NoAlertExpected {
		return
	}
	var last time.Time
	for _, e := range events {
		if e.At.After(last) {
			last = e.At
		}
	}
	at := func(t time.Time) string { return Offset(t.Sub(scenarioStart(*sc))) }
	b := &Breakdown{}
	var (
		hops                  []string
		broken                []string
		inhibited             []string // notes of alerts an inhibit rule held back
		paged                 = map[string]bool{}
		starts                = map[string]time.Time{}
		steps                 []stepRun
		faultName, firingName string
		unproven              string // the last reason a resolution was not a recovery
	)
	for _, e := range events {
		switch e.Kind {
		case timeline.FaultOn:
			if faultName == "" {
				faultName = e.Subject
			}
		case timeline.AlertFiring:
			if firingName == "" && e.At.Equal(firingAt) {
				firingName = e.Subject
			}
		case timeline.Page:
			if e.At.Before(firingAt) {
				continue
			}
			if paged[e.Subject] {
				b.Repages++
			}
			paged[e.Subject] = true
		case timeline.Escalate:
			if e.At.Before(firingAt) {
				continue
			}
			b.Escalations++
			if ackAt.IsZero() || e.At.Before(ackAt) {
				hops = append(hops, fmt.Sprintf("%s to rule %s (%s)", at(e.At), e.Attrs["rule"], e.Attrs["reason"]))
			}
		case timeline.BrokenLink, timeline.PolicyExhausted:
			if e.Attrs["kind"] != "role" {
				msg := e.Message
				if msg == "" {
					msg = string(e.Kind) + " " + e.Attrs["reason"]
				}
				broken = append(broken, strings.TrimSpace(e.Subject+": "+strings.TrimSpace(msg)))
			}
		case timeline.Note:
			if timeline.HeldBack(e) && !e.At.Before(firingAt) && (pageAt.IsZero() || !e.At.After(pageAt)) {
				inhibited = append(inhibited, e.Message)
			}
		case timeline.RecoveryUnproven:
			unproven = e.Message
		case timeline.StepStart:
			starts[stepKey(e)] = e.At
		case timeline.StepEnd:
			s, ok := starts[stepKey(e)]
			if !ok {
				s = e.At
			}
			steps = append(steps, stepRun{name: e.Subject, phase: stepPhase(e), runbook: e.Attrs["runbook"], section: e.Attrs["section"],
				where: e.Attrs["line"], manual: e.Attrs["manual"] == "true", start: s, end: e.At})
		}
	}
	b.Handoffs = b.Escalations + b.Repages

	add := func(name string, from, to time.Time, open bool, evidence string) {
		if to.Before(from) {
			to = from
		}
		b.Phases = append(b.Phases, Phase{Name: name, Seconds: Seconds(to.Sub(from).Seconds()), Open: open, Evidence: evidence})
	}
	brokenNote, inhibitNote := "", ""
	if len(broken) > 0 {
		brokenNote = "; " + strings.Join(broken, "; ")
	}
	if len(inhibited) > 0 {
		inhibitNote = "; " + strings.Join(inhibited, "; ")
	}
	// detect
	if firingAt.IsZero() {
		add(PhaseDetect, faultAt, last, true, fmt.Sprintf("fault %s on at %s; no expected alert fired by %s", faultName, at(faultAt), at(last)))
		finishBreakdown(sc, b)
		return
	}
	add(PhaseDetect, faultAt, firingAt, false, fmt.Sprintf("fault %s on at %s; %s firing at %s", faultName, at(faultAt), firingName, at(firingAt)))
	// route
	if pageAt.IsZero() {
		add(PhaseRoute, firingAt, last, true, fmt.Sprintf("%s fired at %s and nobody was paged by %s%s%s", firingName, at(firingAt), at(last), inhibitNote, brokenNote))
		finishBreakdown(sc, b)
		return
	}
	add(PhaseRoute, firingAt, pageAt, false, fmt.Sprintf("%s firing at %s; first page to %s at %s%s", firingName, at(firingAt), firstPage, at(pageAt), inhibitNote))
	// acknowledge
	hopNote := ""
	if len(hops) > 0 {
		hopNote = fmt.Sprintf("; %d escalation hop(s): %s", len(hops), strings.Join(hops, ", "))
	}
	if ackAt.IsZero() {
		add(PhaseAcknowledge, pageAt, last, true, fmt.Sprintf("first page to %s at %s, never acknowledged by %s%s%s", firstPage, at(pageAt), at(last), hopNote, brokenNote))
		finishBreakdown(sc, b)
		return
	}
	add(PhaseAcknowledge, pageAt, ackAt, false, fmt.Sprintf("first page to %s at %s; acknowledged by %s at %s%s", firstPage, at(pageAt), acker, at(ackAt), hopNote))
	// runbook phases
	from := ackAt
	for _, ph := range []string{PhaseDiagnose, PhaseRemediate, PhaseVerify} {
		end := from
		var slowest *stepRun
		n := 0
		for i := range steps {
			s := &steps[i]
			if s.phase != ph || s.end.Before(ackAt) {
				continue
			}
			n++
			if s.end.After(end) {
				end = s.end
			}
			if slowest == nil || s.end.Sub(s.start) > slowest.end.Sub(slowest.start) {
				slowest = s
			}
		}
		open := false
		stepsEnd := end
		if ph == PhaseVerify {
			if r.mitigated() {
				end = later(end, recoveredAt)
			} else {
				end, open = later(end, last), true
			}
		}
		ev := fmt.Sprintf("%d step(s)", n)
		if slowest != nil {
			kind := "command"
			if slowest.manual {
				kind = "manual"
			}
			ev += fmt.Sprintf("; slowest %s (%s, %s, %s)", slowest.name, kind, fmtSeconds(slowest.end.Sub(slowest.start)), slowest.where)
		}
		if ph == PhaseVerify {
			if open {
				ev += fmt.Sprintf("; not recovered by %s", at(end))
				if unproven != "" {
					ev += " (" + unproven + ")"
				}
			} else {
				ev += fmt.Sprintf("; recovered at %s", at(recoveredAt))
				if wait := recoveredAt.Sub(stepsEnd); wait > 0 && n > 0 {
					ev += fmt.Sprintf(", %s after the last step (waiting for the condition to hold)", fmtSeconds(wait))
				}
			}
		}
		add(ph, from, end, open, ev)
		from = end
	}
	for _, s := range steps {
		if s.manual {
			b.ManualSteps = append(b.ManualSteps, ManualStep{Runbook: s.runbook, Step: s.name, Section: s.section, Where: s.where, Seconds: Seconds(s.end.Sub(s.start).Seconds())})
		}
	}
	sort.SliceStable(b.ManualSteps, func(i, j int) bool { return b.ManualSteps[i].Seconds > b.ManualSteps[j].Seconds })
	finishBreakdown(sc, b)
}

// Ended returns the phases that ended: the samples of a phase's
// statistics over scenarios (an open phase is measured only to the
// scenario's last event).
func (b *Breakdown) Ended() []Phase {
	var out []Phase
	for _, p := range b.Phases {
		if !p.Open {
			out = append(out, p)
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func fmtSeconds(d time.Duration) string { return d.Round(time.Second).String() }

// finishBreakdown names the bottleneck: the longest phase (the earlier
// one on a tie).
func finishBreakdown(sc *Scenario, b *Breakdown) {
	best := -1
	for i, p := range b.Phases {
		if best < 0 || p.Seconds > b.Phases[best].Seconds {
			best = i
		}
	}
	if best >= 0 && b.Phases[best].Seconds > 0 {
		p := b.Phases[best]
		b.Bottleneck = p.Name
		share := 0.0
		var total Seconds
		for _, q := range b.Phases {
			total += q.Seconds
		}
		if total > 0 {
			share = float64(p.Seconds / total)
		}
		b.Evidence = fmt.Sprintf("%s took %s (%.0f%% of the measured time): %s", p.Name, FormatSeconds(&p.Seconds), share*100, p.Evidence)
	}
	sc.Breakdown = b
}

func parseDur(s string) (*Seconds, bool) {
	if s == "" {
		return nil, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, false
	}
	return secondsOf(d), true
}

func analyzeRoles(sc *Scenario, events []timeline.Event, firingAt time.Time) {
	held := map[string]map[string]timeline.Event{} // user → role → event
	for _, e := range events {
		switch {
		case e.Kind == timeline.BrokenLink && e.Attrs["kind"] == "role":
			msg := e.Message
			if msg == "" {
				msg = fmt.Sprintf("%s was required and never filled", e.Subject)
			}
			sc.RoleGaps = append(sc.RoleGaps, RoleGap{Role: e.Subject, Kind: "unfilled", Message: msg})
		case e.Kind == timeline.RoleAssigned:
			r := RoleRecord{Role: e.Attrs["role"], User: e.Subject, Alert: e.Attrs["alert"], AssignedAt: e.At, Via: e.Attrs["via"]}
			if a, ok := parseDur(e.Attrs["since_firing"]); ok {
				r.After = a
			} else if !firingAt.IsZero() {
				r.After = secondsOf(e.At.Sub(firingAt))
			}
			if r.After != nil && *r.After < 0 {
				r.After = secondsOf(0) // claimed before the alert fired: ready when it did
			}
			if w, ok := parseDur(e.Attrs["within"]); ok {
				r.Within = w
				if r.After != nil && *r.After > *w {
					r.Late = true
					sc.RoleGaps = append(sc.RoleGaps, RoleGap{Role: r.Role, Kind: "late", User: r.User,
						Message: fmt.Sprintf("%s was assigned %s after the alert fired; required within %s", r.Role, FormatSeconds(r.After), FormatSeconds(w))})
				}
			}
			sc.Roles = append(sc.Roles, r)
			// A handover: the role leaves its previous holder.
			for _, roles := range held {
				delete(roles, r.Role)
			}
			if held[r.User] == nil {
				held[r.User] = map[string]timeline.Event{}
			}
			for other, oe := range held[r.User] {
				if exclusive(e, other) || exclusive(oe, r.Role) {
					a, b := other, r.Role
					sc.RoleGaps = append(sc.RoleGaps, RoleGap{Role: r.Role, Kind: "shared", User: r.User,
						Message: fmt.Sprintf("%s holds both %s and %s, which should be separate", r.User, a, b)})
				}
			}
			held[r.User][r.Role] = e
		}
	}
}

// exclusive reports whether a role event declares other exclusive (its
// exclusive_with attribute or the engine's conflict attribute).
func exclusive(e timeline.Event, other string) bool {
	for _, key := range []string{"exclusive_with", "conflict"} {
		for _, x := range strings.Split(e.Attrs[key], ",") {
			if strings.TrimSpace(x) == other {
				return true
			}
		}
	}
	return false
}

// barWidth is the width, in blocks, of a scenario's breakdown bar.
const barWidth = 40

// Bar renders a breakdown as one line: each phase's label and a run of
// blocks proportional to its share of the scenario's measured time (at
// least one when it took any time; ░ for a phase that never ended),
// then its duration.
func (b *Breakdown) Bar() string {
	var total Seconds
	for _, p := range b.Phases {
		total += p.Seconds
	}
	parts := make([]string, 0, len(b.Phases))
	for _, p := range b.Phases {
		n := 0
		if total > 0 && p.Seconds > 0 {
			n = max(1, int(float64(p.Seconds/total)*barWidth+0.5))
		}
		glyph := "█"
		if p.Open {
			glyph = "░"
		}
		label := PhaseLabel(p.Name)
		s := p.Seconds
		part := label + " " + strings.Repeat(glyph, n)
		if n > 0 {
			part += " "
		}
		parts = append(parts, part+FormatSeconds(&s))
	}
	return strings.Join(parts, " · ")
}

// handoffText is "2 (1 escalation, 1 re-page)".
func (b *Breakdown) handoffText() string {
	return fmt.Sprintf("%d (%d escalation(s), %d re-page(s))", b.Handoffs, b.Escalations, b.Repages)
}

func rolesText(sc Scenario) string {
	var parts []string
	for _, r := range sc.Roles {
		s := r.Role + " " + r.User
		if r.After != nil {
			s += " after " + FormatSeconds(r.After)
		}
		if r.Late {
			s += " (late)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func gapsText(sc Scenario) string {
	var parts []string
	for _, g := range sc.RoleGaps {
		parts = append(parts, g.Kind+": "+g.Message)
	}
	return strings.Join(parts, "; ")
}
