package scoring

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/stats"
	"github.com/drillkit/drill/timeline"
)

// SchemaVersion is the version of the scorecard JSON format. It changes
// only when a field changes meaning or goes away.
const SchemaVersion = 1

// Step is the outcome of one Gherkin step.
type Step struct {
	Keyword string     `json:"keyword"`
	Text    string     `json:"text"`
	Line    int        `json:"line"`
	Status  StepStatus `json:"status"`
	Error   string     `json:"error,omitempty"`
}

// Scenario is the record of one drill scenario.
type Scenario struct {
	Name    string   `json:"name"`
	Feature string   `json:"feature"` // file of the .feature
	Line    int      `json:"line"`
	Family  string   `json:"family,omitempty"` // inference-outage, quality-anomaly, cost-spike, third-party-failure
	Tags    []string `json:"tags,omitempty"`
	Status  Verdict  `json:"status"`
	Reason  string   `json:"reason,omitempty"` // why it did not pass, with the evidence
	Steps   []Step   `json:"steps"`

	// Evidence maps each injected fault to the requests or connections it
	// affected.
	Evidence map[string]int64 `json:"evidence"`
	// ExpectedAlerts are the alerts the scenario's steps expect (or
	// tolerate); any other alert that fires is a false alarm.
	ExpectedAlerts []string `json:"expected_alerts,omitempty"`
	// ToleratedAlerts are those of ExpectedAlerts the scenario only
	// tolerates ("may fire"): no false alarms, and no detection either,
	// so none of its timings runs from their firings.
	ToleratedAlerts []string `json:"tolerated_alerts,omitempty"`
	// NoAlertExpected is set when no step of the scenario waits for an
	// alert to fire (it checks that none does, or that the service holds
	// up, and may tolerate some): there is no detection to time, so it has
	// no time to detect and no breakdown, whatever alert fires.
	NoAlertExpected bool `json:"no_alert_expected,omitempty"`

	Timings Timings `json:"timings"`
	// Breakdown splits time to recover into phases and names the
	// bottleneck; nil when no fault was injected, or when the scenario
	// expects no alert.
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	// Roles are the incident role assignments; RoleGaps the roles
	// required and never filled, filled late, or shared.
	Roles    []RoleRecord `json:"roles,omitempty"`
	RoleGaps []RoleGap    `json:"role_gaps,omitempty"`
	// Runbook is what the people of a live drill recorded of the runbook
	// (drill runbook); nil in a simulated drill.
	Runbook     *RunbookRecord   `json:"runbook,omitempty"`
	Alerts      []Alert          `json:"alerts"`
	Events      []timeline.Event `json:"events"`
	WallSeconds float64          `json:"wall_seconds"` // wall clock; differs between runs
	// Warnings say what made the scenario's measurements less precise
	// than usual without making them wrong, such as alert evaluation
	// falling behind the drill clock. They do not change the verdict.
	Warnings []string `json:"warnings,omitempty"`
	// SteadySpeed, when set, is the highest speed at which the drill's
	// alert times would not have been approximate (a warning says why
	// they were); unset when they were not, or when no speed would do.
	SteadySpeed float64 `json:"steady_speed,omitempty"`
	// SpeedWarned says the drill's speed made its alert times
	// approximate (one of Warnings says why).
	SpeedWarned bool `json:"speed_warned,omitempty"`
	// Repetition is set in a run that repeats every scenario (Scorecard.
	// Repeat): which repetition this record is, and its seed.
	Repetition *Repetition `json:"repetition,omitempty"`
}

// Timings are the response durations of one scenario in drill time; a nil
// field did not happen. Metrics defines each.
type Timings struct {
	FaultAt           *time.Time `json:"fault_at,omitempty"`
	TimeToDetect      *Seconds   `json:"time_to_detect,omitempty"`
	TimeToAcknowledge *Seconds   `json:"time_to_acknowledge,omitempty"`
	TimeToMitigate    *Seconds   `json:"time_to_mitigate,omitempty"`
	TimeToRecover     *Seconds   `json:"time_to_recover,omitempty"`
}

// Alert is one firing of an alert in a scenario, classified.
type Alert struct {
	Name       string    `json:"name"`
	FiredAt    time.Time `json:"fired_at"`
	FalseAlarm bool      `json:"false_alarm"`
	Why        string    `json:"why,omitempty"` // for false alarms: in the control window, already on at the fault, or not expected
	// Severity is the alert's severity label when it fired ("" without
	// one): what the team pages by, and what an export maps to the
	// incident service's severities.
	Severity string `json:"severity,omitempty"`
}

// Seconds is a duration written as seconds in JSON.
type Seconds float64

// Duration converts s back to a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

func secondsOf(d time.Duration) *Seconds {
	s := Seconds(d.Seconds())
	return &s
}

// Finding is a lint finding carried into the scorecard.
type Finding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Message  string `json:"message"`
}

// Scorecard is the result of one run of drills.
type Scorecard struct {
	SchemaVersion int        `json:"schema_version"`
	RunID         string     `json:"run_id"`
	Team          string     `json:"team"`
	StartedAt     time.Time  `json:"started_at"`  // wall clock
	FinishedAt    time.Time  `json:"finished_at"` // wall clock
	Speed         float64    `json:"speed"`
	Seed          int64      `json:"seed"`
	Summary       Summary    `json:"summary"`
	Scenarios     []Scenario `json:"scenarios"`
	Lint          []Finding  `json:"lint"`
	// Interrupted is true for a run stopped before its end (Ctrl-C,
	// SIGTERM): its scenarios cut short carry status error, and reports
	// leave the whole run out of their trends.
	Interrupted bool `json:"interrupted,omitempty"`
	// Repeat, when above 1, is how many times every scenario ran, each
	// time with its own seed (drill run --repeat N): Scenarios holds
	// every repetition, and Summary.Repeats one record per scenario.
	Repeat int `json:"repeat,omitempty"`
	// Sandbox is the isolation in force for the run: bwrap+netns (steps
	// in bwrap, the whole drill world in a private network namespace with
	// only loopback), bwrap, process-group+netns or process-group (no
	// namespaces); README, "Runbook commands: threat model". Empty in
	// scorecards of drills older than the field.
	Sandbox string `json:"sandbox,omitempty"`
	// BlockedConnections are the attempts to reach an address outside
	// the drill world that its network refused, with who tried.
	BlockedConnections []BlockedConnection `json:"blocked_connections,omitempty"`
	// Shard is set in the scorecard of one shard of a run (drill run
	// --shard I/N): which share it holds, and of what selection, so that
	// drill merge can check the shards belong together. A merged or
	// unsharded run has none.
	Shard *Shard `json:"shard,omitempty"`
}

// Shard is the share of a run's selection one scorecard holds.
type Shard struct {
	Index int `json:"index"` // from 0, as a Kubernetes Indexed Job numbers its pods
	Total int `json:"total"` // the shards the selection was split into
	// Selection is "sha256:" and the hex SHA-256 of the selected
	// scenarios' places "FILE:LINE", sorted and one per line, before
	// sharding: shards of one run share it.
	Selection string `json:"selection"`
	// Selected is how many scenarios that selection holds.
	Selected int `json:"selected"`
	// Plan is the digest of the shard plan when the shards were balanced
	// by recorded durations (drill run --shard-plan), absent for the
	// count split: shards of one run share it.
	Plan string `json:"plan,omitempty"`
}

// BlockedConnection is every refused attempt to one address.
type BlockedConnection struct {
	Proto   string    `json:"proto"`   // tcp, udp, icmp, "ip proto N"
	Address string    `json:"address"` // 192.0.2.1:80, [2001:db8::1]:443
	Count   int       `json:"count"`
	First   time.Time `json:"first"` // wall clock
	// By: the steps that tried ("step NAME (FILE:LINE)"), "while step …
	// ran" where the process could not be found, or the drill world's
	// process that tried.
	By []string `json:"by"`
}

// UnmarshalJSON reads a scorecard written by any drill version: the
// phase names an older one wrote are read as today's (CanonicalPhase), so
// reports compare phases across the whole history.
func (c *Scorecard) UnmarshalJSON(b []byte) error {
	type plain Scorecard // without this method
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	c.canonicalPhases()
	return nil
}

// canonicalPhases renames the legacy phase names of the summary and of
// every scenario's breakdown.
func (c *Scorecard) canonicalPhases() {
	s := &c.Summary
	if len(s.Phases) > 0 {
		phases := make(map[string]Stat, len(s.Phases))
		for name, st := range s.Phases {
			phases[CanonicalPhase(name)] = st
		}
		s.Phases = phases
	}
	if len(s.Bottlenecks) > 0 {
		counts := make(map[string]int, len(s.Bottlenecks))
		for name, n := range s.Bottlenecks {
			counts[CanonicalPhase(name)] += n
		}
		s.Bottlenecks = counts
	}
	s.Bottleneck = CanonicalPhase(s.Bottleneck)
	for i := range c.Scenarios {
		b := c.Scenarios[i].Breakdown
		if b == nil {
			continue
		}
		for j := range b.Phases {
			b.Phases[j].Name = CanonicalPhase(b.Phases[j].Name)
		}
		if now := CanonicalPhase(b.Bottleneck); now != b.Bottleneck {
			// The evidence begins with the bottleneck's name ("mitigate took ...").
			b.Evidence = now + strings.TrimPrefix(b.Evidence, b.Bottleneck)
			b.Bottleneck = now
		}
	}
}

// Summary aggregates the scenarios of a run.
type Summary struct {
	Total        int `json:"total"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	Errors       int `json:"errors"`
	// PassRate is passed over passed+failed+inconclusive: harness errors
	// say nothing about the team and are left out (and exit 4).
	PassRate          float64              `json:"pass_rate"`
	TimeToDetect      Stat                 `json:"time_to_detect"`
	TimeToAcknowledge Stat                 `json:"time_to_acknowledge"`
	TimeToMitigate    Stat                 `json:"time_to_mitigate"`
	TimeToRecover     Stat                 `json:"time_to_recover"`
	Alerts            int                  `json:"alerts"`
	FalseAlarms       int                  `json:"false_alarms"`
	FalseAlarmRate    float64              `json:"false_alarm_rate"`
	Precision         map[string]Precision `json:"alert_precision"`
	Families          map[string]Family    `json:"families"`

	// Phases summarise each phase of time to recover over the scenarios
	// where it ended (harness errors left out, as of the timings);
	// Bottlenecks count the scenarios whose longest phase each was;
	// Bottleneck is the most frequent (ties: the one with more total
	// time).
	Phases      map[string]Stat `json:"phases,omitempty"`
	Bottlenecks map[string]int  `json:"bottlenecks,omitempty"`
	Bottleneck  string          `json:"bottleneck,omitempty"`
	Handoffs    int             `json:"handoffs,omitempty"`
	// AutomationCandidates are the manual runbook steps that cost the
	// most drill time over the run.
	AutomationCandidates []ManualStep `json:"automation_candidates,omitempty"`
	RoleGaps             int          `json:"role_gaps,omitempty"`
	// SpeedWarned counts the scenarios whose alert times the run's speed
	// made approximate; SteadySpeed is the highest speed at which none of
	// them would have been (unset when no speed would do).
	SpeedWarned int     `json:"speed_warned,omitempty"`
	SteadySpeed float64 `json:"steady_speed,omitempty"`

	// In a run whose scenarios are repetitions (Scorecard.Repeat):
	// PassRateInterval is the Wilson interval of PassRate over every
	// judged repetition, Repeats one record per scenario, and Flaky
	// counts the scenarios whose verdict over them is flaky.
	PassRateInterval *RateInterval `json:"pass_rate_interval,omitempty"`
	Repeats          []Repeat      `json:"repeats,omitempty"`
	Flaky            int           `json:"flaky,omitempty"`
}

// Stat summarizes one timing over the scenarios where it happened.
type Stat struct {
	N      int      `json:"n"`
	Median *Seconds `json:"median,omitempty"`
	P90    *Seconds `json:"p90,omitempty"`
	Max    *Seconds `json:"max,omitempty"`
}

// Precision of one alert: how many of its firings a fault explained.
type Precision struct {
	Firings   int     `json:"firings"`
	Explained int     `json:"explained"`
	Precision float64 `json:"precision"`
}

// Family is the pass count of one scenario family.
type Family struct {
	Total    int     `json:"total"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
}

// response is the instants a scenario's timings and phases run between
// (Metrics defines them), found once by Analyze so that the timings and
// the breakdown measure the same thing.
type response struct {
	fault     time.Time // the first fault on
	firing    time.Time // the first expected firing that detects it; zero in a scenario expecting no alert
	page      time.Time // the first page at or after the firing
	ack       time.Time // the first acknowledgement at or after the page
	recovered time.Time // the first recovery after the fault
	// pageTo and acker are who was paged first and who acknowledged.
	pageTo, acker string
}

// Analyze fills a scenario's Timings and Alerts from its events. It does
// not change the verdict.
func Analyze(sc *Scenario) {
	expected, tolerated := map[string]bool{}, map[string]bool{}
	for _, a := range sc.ExpectedAlerts {
		expected[a] = true
	}
	for _, a := range sc.ToleratedAlerts {
		tolerated[a] = true
	}
	events := sortedEvents(sc.Events)
	var (
		r          response
		controlEnd time.Time
	)
	for _, e := range events {
		switch e.Kind {
		case timeline.ControlEnd:
			if controlEnd.IsZero() {
				controlEnd = e.At
			}
		case timeline.FaultOn:
			if r.fault.IsZero() {
				r.fault = e.At
			}
		case timeline.Recovered:
			if r.recovered.IsZero() && !r.fault.IsZero() {
				r.recovered = e.At
			}
		}
	}
	if controlEnd.IsZero() {
		controlEnd = r.fault
	}
	sc.Alerts = sc.Alerts[:0]
	for _, e := range events {
		if e.Kind != timeline.AlertFiring {
			continue
		}
		a := Alert{Name: e.Subject, FiredAt: e.At, Severity: e.Labels["severity"]}
		switch {
		case controlEnd.IsZero() || e.At.Before(controlEnd):
			a.FalseAlarm, a.Why = true, "fired in the control window, before any fault"
		case !r.fault.IsZero() && !timeline.Detects(e, r.fault):
			a.FalseAlarm, a.Why = true, alreadyOn(*sc, e)
		case !expected[e.Subject]:
			a.FalseAlarm, a.Why = true, "no step of the scenario expects it"
		default:
			// A tolerated alert ("may fire") is no false alarm, and no
			// detection either: the scenario's timings run from the
			// alerts it waits for.
			if r.firing.IsZero() && !sc.NoAlertExpected && !tolerated[e.Subject] {
				r.firing = e.At
			}
		}
		sc.Alerts = append(sc.Alerts, a)
	}
	if !r.firing.IsZero() {
		for _, e := range events {
			switch {
			case e.Kind == timeline.Page && r.page.IsZero() && !e.At.Before(r.firing):
				r.page, r.pageTo = e.At, e.Subject
			case e.Kind == timeline.Ack && r.ack.IsZero() && !r.page.IsZero():
				r.ack, r.acker = e.At, e.Subject
			}
		}
	}
	t := Timings{}
	if !r.fault.IsZero() {
		f := r.fault
		t.FaultAt = &f
	}
	if !r.fault.IsZero() && !r.firing.IsZero() {
		t.TimeToDetect = secondsOf(r.firing.Sub(r.fault))
	}
	if !r.page.IsZero() && !r.ack.IsZero() {
		t.TimeToAcknowledge = secondsOf(r.ack.Sub(r.page))
	}
	if r.mitigated() {
		t.TimeToMitigate = secondsOf(r.recovered.Sub(r.ack))
	}
	if !r.fault.IsZero() && !r.recovered.IsZero() {
		t.TimeToRecover = secondsOf(r.recovered.Sub(r.fault))
	}
	sc.Timings = t
	analyzeBreakdown(sc, events, r)
	analyzeRunbook(sc, events)
	sc.Warnings = append(lagWarnings(sc.Events), warnings(sc.Events)...)
	sc.SpeedWarned, sc.SteadySpeed = false, 0
	for _, e := range sc.Events {
		if e.Kind == timeline.HarnessWarning && e.Subject == timeline.SpeedWarning {
			sc.SpeedWarned = true
			if v, err := strconv.ParseFloat(e.Attrs[timeline.SteadySpeed], 64); err == nil && v > 0 {
				sc.SteadySpeed = v
			}
		}
	}
}

// mitigated reports whether the service recovered after the
// acknowledgement: time to mitigate, and the verify phase's end.
func (r response) mitigated() bool {
	return !r.ack.IsZero() && !r.recovered.IsZero() && !r.recovered.Before(r.ack)
}

// warnings are the messages of the harness.warning events, each once.
func warnings(events []timeline.Event) []string {
	var out []string
	for _, e := range events {
		if e.Kind == timeline.HarnessWarning && e.Message != "" && !slices.Contains(out, e.Message) {
			out = append(out, e.Message)
		}
	}
	return out
}

// lagWarnings sums up the harness.lag events of each part of the harness:
// how often it fell behind the drill clock, how many evaluations it
// skipped, and so by how much its times may be late at worst.
func lagWarnings(events []timeline.Event) []string {
	type lag struct {
		times, skipped int
		worst          time.Duration
	}
	lags := map[string]*lag{}
	var order []string
	for _, e := range events {
		if e.Kind != timeline.HarnessLag {
			continue
		}
		l, ok := lags[e.Subject]
		if !ok {
			l = &lag{}
			lags[e.Subject] = l
			order = append(order, e.Subject)
		}
		n, _ := strconv.Atoi(e.Attrs["skipped"])
		every, _ := time.ParseDuration(e.Attrs["interval"])
		l.times++
		l.skipped += n
		l.worst = max(l.worst, time.Duration(n)*every)
	}
	var out []string
	for _, subject := range order {
		l := lags[subject]
		out = append(out, fmt.Sprintf("%s fell behind the drill clock %d time(s) and skipped %d evaluation(s): "+
			"alert times may be late by up to %s; run at a lower --speed for exact times", subject, l.times, l.skipped, l.worst))
	}
	return out
}

func sortedEvents(ev []timeline.Event) []timeline.Event {
	out := append([]timeline.Event(nil), ev...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Summarize computes the summary of a scorecard's scenarios, analysing
// each first.
func Summarize(scs []Scenario) Summary {
	s := Summary{Precision: map[string]Precision{}, Families: map[string]Family{}}
	var ttd, tta, ttm, ttr []float64
	phases := map[string][]float64{}
	phaseTotal := map[string]float64{}
	manual := map[string]*ManualStep{}
	for i := range scs {
		sc := &scs[i]
		Analyze(sc)
		s.Total++
		switch sc.Status {
		case Passed:
			s.Passed++
		case Failed:
			s.Failed++
		case Inconclusive:
			s.Inconclusive++
		case Error:
			s.Errors++
		}
		if sc.Family != "" && sc.Status != Error {
			f := s.Families[sc.Family]
			f.Total++
			if sc.Status == Passed {
				f.Passed++
			}
			f.PassRate = float64(f.Passed) / float64(f.Total)
			s.Families[sc.Family] = f
		}
		t := sc.Timings
		collect := func(dst *[]float64, v *Seconds) {
			if v != nil {
				*dst = append(*dst, float64(*v))
			}
		}
		// A harness error says nothing of the team: what it measured
		// before the harness failed is no timing of the team's response.
		if sc.Status != Error {
			collect(&ttd, t.TimeToDetect)
			collect(&tta, t.TimeToAcknowledge)
			collect(&ttm, t.TimeToMitigate)
			collect(&ttr, t.TimeToRecover)
		}
		s.RoleGaps += len(sc.RoleGaps)
		if sc.SpeedWarned {
			s.SpeedWarned++
			if sc.SteadySpeed > 0 && (s.SteadySpeed == 0 || sc.SteadySpeed < s.SteadySpeed) {
				s.SteadySpeed = sc.SteadySpeed
			}
		}
		// Harness errors are left out of the phases as of the timings,
		// and an open phase is no sample (Breakdown.Ended): a phase that
		// is a timing counts the scenarios its timing does.
		if b := sc.Breakdown; b != nil && sc.Status != Error {
			s.Handoffs += b.Handoffs
			for _, p := range b.Ended() {
				phases[p.Name] = append(phases[p.Name], float64(p.Seconds))
			}
			for _, p := range b.Phases {
				phaseTotal[p.Name] += float64(p.Seconds)
			}
			if b.Bottleneck != "" {
				if s.Bottlenecks == nil {
					s.Bottlenecks = map[string]int{}
				}
				s.Bottlenecks[b.Bottleneck]++
			}
			for _, m := range b.ManualSteps {
				k := m.Runbook + "\x00" + m.Step
				if manual[k] == nil {
					c := m
					c.Seconds = 0
					manual[k] = &c
				}
				manual[k].Seconds += m.Seconds
				manual[k].Count++
			}
		}
		for _, a := range sc.Alerts {
			s.Alerts++
			p := s.Precision[a.Name]
			p.Firings++
			if a.FalseAlarm {
				s.FalseAlarms++
			} else {
				p.Explained++
			}
			p.Precision = float64(p.Explained) / float64(p.Firings)
			s.Precision[a.Name] = p
		}
	}
	if judged := s.Passed + s.Failed + s.Inconclusive; judged > 0 {
		s.PassRate = float64(s.Passed) / float64(judged)
	}
	if s.Alerts > 0 {
		s.FalseAlarmRate = float64(s.FalseAlarms) / float64(s.Alerts)
	}
	if repeated(scs) {
		if iv, ok := wilson(s.Passed, s.Passed+s.Failed+s.Inconclusive); ok {
			s.PassRateInterval = &iv
		}
		s.Repeats = repeatsOf(scs)
		for _, r := range s.Repeats {
			if r.Verdict == Flaky {
				s.Flaky++
			}
		}
	}
	s.TimeToDetect = stat(ttd)
	s.TimeToAcknowledge = stat(tta)
	s.TimeToMitigate = stat(ttm)
	s.TimeToRecover = stat(ttr)
	if len(phases) > 0 {
		s.Phases = map[string]Stat{}
		for name, xs := range phases {
			s.Phases[name] = stat(xs)
		}
	}
	for _, name := range PhaseNames {
		n := s.Bottlenecks[name]
		if n == 0 {
			continue
		}
		if s.Bottleneck == "" || n > s.Bottlenecks[s.Bottleneck] || (n == s.Bottlenecks[s.Bottleneck] && phaseTotal[name] > phaseTotal[s.Bottleneck]) {
			s.Bottleneck = name
		}
	}
	for _, m := range manual {
		s.AutomationCandidates = append(s.AutomationCandidates, *m)
	}
	sort.Slice(s.AutomationCandidates, func(i, j int) bool {
		a, b := s.AutomationCandidates[i], s.AutomationCandidates[j]
		if a.Seconds != b.Seconds {
			return a.Seconds > b.Seconds
		}
		return a.Runbook+a.Step < b.Runbook+b.Step
	})
	if len(s.AutomationCandidates) > 5 {
		s.AutomationCandidates = s.AutomationCandidates[:5]
	}
	return s
}

// stat returns n, the median, the 90th percentile (nearest rank) and the
// maximum of xs.
func stat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	sec := func(v float64) *Seconds { s := Seconds(v); return &s }
	return Stat{N: len(xs), Median: sec(stats.Median(xs)), P90: sec(stats.NearestRank(xs, 0.9)), Max: sec(stats.NearestRank(xs, 1))}
}

// Family names a scenario's family from its tags: the first tag that is a
// known family.
func FamilyOf(tags []string) string {
	for _, t := range tags {
		t = strings.TrimPrefix(t, "@")
		switch t {
		case "inference-outage", "quality-anomaly", "cost-spike", "third-party-failure":
			return t
		}
	}
	return ""
}

// ExitCode is the code a run ends with: Harness when the harness failed
// for any scenario, Failed when a scenario failed or was inconclusive,
// else OK. Gates are checked separately.
func (c *Scorecard) ExitCode() exitcode.Code {
	switch {
	case c.Summary.Errors > 0:
		return exitcode.Harness
	case c.Summary.Failed > 0 || c.Summary.Inconclusive > 0:
		return exitcode.Failed
	}
	return exitcode.OK
}
