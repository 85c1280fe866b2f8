package mutate

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// at is the drill time of the tests' schedule mutants.
var at = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func load(t *testing.T, dir string) *team.Team {
	t.Helper()
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

// TestMutantsOfATeam lists every mutant of the test team (golden), and
// checks that each is a valid team file changed where it says.
func TestMutantsOfATeam(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	g, err := Generate(tm, GenOptions{At: at})
	require.NoError(t, err)
	var b strings.Builder
	for _, m := range g.Mutants {
		fmt.Fprintf(&b, "%s\n  %s\n", m.ID, m.Description)
	}
	for _, m := range g.Equivalent {
		fmt.Fprintf(&b, "equivalent %s\n", m.ID)
	}
	golden := filepath.Join("testdata", "mutants.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String(), "go test ./mutate -run TestMutantsOfATeam -update")

	ops := map[string]bool{}
	for _, m := range g.Mutants {
		ops[m.Operator] = true
		orig, err := os.ReadFile(filepath.Join("testdata/no-recovery", m.File))
		require.NoError(t, err)
		require.NotEqual(t, string(orig), string(m.Content()), m.ID)
		if strings.HasSuffix(m.File, ".yaml") {
			var n yaml.Node
			require.NoError(t, yaml.Unmarshal(m.Content(), &n), m.ID)
		}
	}
	for _, op := range []string{OpThresholdUp, OpThresholdDown, OpFlip, OpFor, OpLabel, OpMetric, OpShorter, OpLonger, OpRuleRemoved,
		OpStepRemoved, OpStepNoop, OpVerificationRemoved, OpReordered,
		OpLevelRemoved, OpInactive, OpNotifyDelayed, OpRouteRemoved, OpScheduleGap, OpWrongPath} {
		require.True(t, ops[op], "no mutant of operator %s", op)
	}
}

// changedLines are the lines of b that a does not have at the same place.
func changedLines(a, b []byte) (gone, added []string) {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	i := 0
	for i < len(al) && i < len(bl) && al[i] == bl[i] {
		i++
	}
	j, k := len(al)-1, len(bl)-1
	for j >= i && k >= i && al[j] == bl[k] {
		j, k = j-1, k-1
	}
	return al[i : j+1], bl[i : k+1]
}

// A YAML mutant is the original file with only the changed node
// rewritten: comments, blank lines and the rest of the formatting stay.
func TestYAMLMutantsKeepTheRestOfTheFile(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	g, err := Generate(tm, GenOptions{At: at})
	require.NoError(t, err)
	byID := map[string]*Mutant{}
	for _, m := range g.Mutants {
		byID[m.ID] = m
	}
	cases := []struct {
		id          string
		gone, added []string
	}{
		{"alerts/gateway.rules.yaml:for-x5:LLMGatewayErrors", []string{"        for: 1m"}, []string{"        for: 5m"}},
		{"alerts/gateway.rules.yaml:threshold-x0.1:LLMGatewayErrors", []string{"        expr: gateway:error_ratio > 0.2"}, []string{"        expr: gateway:error_ratio > 0.02"}},
		{"alerts/gateway.rules.yaml:window-shortened:gateway:error_ratio", []string{
			"        expr: |",
			`          sum(rate(drill_gateway_requests_total{status=~"5.."}[2m]))`,
			"            / sum(rate(drill_gateway_requests_total[2m]))",
		}, []string{`        expr: sum(rate(drill_gateway_requests_total{status=~"5.."}[30s])) / sum(rate(drill_gateway_requests_total[2m]))`}},
		{"escalation/people.yaml:notification-delayed:alice", []string{"      - {after: 0m, via: push}"}, []string{"      - {after: 11m, via: push}"}},
		{"escalation/people.yaml:route-removed:1", []string{"routes:", "  - default: true", "    policy: ml-platform"}, []string{"routes: []"}},
		{"drill.yaml:endpoint-wrong-path:GATEWAY_ADMIN", []string{`  GATEWAY_ADMIN: "{{ .Service.Admin }}"`}, []string{`  GATEWAY_ADMIN: "{{ .Service.Admin }}/drill-mutant-wrong-path"`}},
		{"runbooks/llm-provider-down.md:mitigation-command-noop:mitigation/failover",
			[]string{`   curl -fsS -X POST "$GATEWAY_ADMIN/failover" -d '{"to": "secondary"}'`}, []string{"   " + strings.TrimSuffix(noop, "\n")}},
	}
	for _, c := range cases {
		m := byID[c.id]
		require.NotNil(t, m, c.id)
		orig, err := os.ReadFile(filepath.Join("testdata/no-recovery", m.File))
		require.NoError(t, err)
		gone, added := changedLines(orig, m.Content())
		require.Equal(t, c.gone, gone, c.id)
		require.Equal(t, c.added, added, c.id)
	}
	// The inactive user goes at the end of users:, and the target names it.
	m := byID["escalation/people.yaml:target-inactive:ml-platform/1/schedule:ml-platform-primary"]
	require.NotNil(t, m)
	orig, err := os.ReadFile("testdata/no-recovery/escalation/people.yaml")
	require.NoError(t, err)
	want := strings.Replace(string(orig), "targets: [{schedule: ml-platform-primary}]", "targets: [{user: drill-mutant-inactive}]", 1)
	want = strings.Replace(want, "      - {after: 0m, via: push}\n\nteams:", "      - {after: 0m, via: push}\n"+
		"  - id: drill-mutant-inactive\n    name: Inactive user (drill mutate)\n    active: false\n"+
		"    contact_methods: [{type: push}]\n    notification_rules: [{after: 0m, via: push}]\n\nteams:", 1)
	require.Equal(t, want, string(m.Content()))

	// and every mutated team loads
	for _, m := range g.Mutants {
		dir := t.TempDir()
		require.NoError(t, copyTeam("testdata/no-recovery", dir, MaxCopyFiles, MaxCopyBytes))
		require.NoError(t, os.WriteFile(filepath.Join(dir, m.File), m.Content(), 0o644))
		_, err := team.Load(dir)
		if m.Operator == OpRouteRemoved {
			continue // a policy no route reaches is for lint to refuse
		}
		require.NoError(t, err, m.ID)
	}
}

func TestSampleIsSeeded(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	g, err := Generate(tm, GenOptions{At: at})
	require.NoError(t, err)
	ids := func(ms []*Mutant) (out []string) {
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	a, b, c := Sample(g.Mutants, 5, 7), Sample(g.Mutants, 5, 7), Sample(g.Mutants, 5, 8)
	require.Len(t, a, 5)
	require.Equal(t, ids(a), ids(b))
	require.NotEqual(t, ids(a), ids(c))
	require.Len(t, Sample(g.Mutants, 0, 7), len(g.Mutants))
	require.Len(t, Sample(g.Mutants, 1000, 7), len(g.Mutants))
}

func TestGate(t *testing.T) {
	r := &Report{Total: Score{Killed: 3, Survived: 1, Counted: 4, Score: 0.75}}
	g, err := ParseGate("mutation_score >= 0.8")
	require.NoError(t, err)
	res := g.Check(r)
	require.False(t, res.OK)
	require.Equal(t, "mutation_score is 0.75", res.Reason)
	g, err = ParseGate("mutation_score >= 70%")
	require.NoError(t, err)
	require.True(t, g.Check(r).OK)
	require.False(t, g.Check(&Report{}).OK, "no mutant counted cannot meet a score gate")
	for src, msg := range map[string]string{
		"pass_rate >= 0.9":    `unknown metric "pass_rate"; drill mutate's gates take mutation_score, survived, killed, invalid`,
		"mutation_score >= 8": "mutation_score is a fraction from 0 to 1",
		"mutation_score":      "want METRIC OP VALUE",
		"survived <= many":    `want a number or a percentage such as 80%, got "many"`,
		"mutation_score >= ":  "missing the value after >=",
	} {
		_, err := ParseGate(src)
		require.ErrorContains(t, err, msg, src)
	}
}

func TestOnlyNamesWhatItMutates(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	_, err := Prepare(Options{Team: tm, Only: []string{"runbook/"}, Start: at})
	require.ErrorContains(t, err, "runbook/: no mutant of the team's files is in it or named so; the mutated files are alerts/gateway.rules.yaml, drill.yaml, escalation/people.yaml, runbooks/llm-provider-down.md")
	_, err = Prepare(Options{Team: tm, Mutants: -1, Start: at})
	require.ErrorContains(t, err, "--mutants")
}

// The planted plan: the team's one drill checks that the outage pages,
// never that the runbook brings the service back. Every runbook mutant
// survives, and the report names the missing step. With the recovery
// step added, the drill kills the mutant whose fail-over does nothing.
func TestRunbookMutantsSurviveWithoutARecoveryCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five drills at ×60 (about 25 s); skipped with -short")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tm := load(t, "testdata/no-recovery")
	rb := "runbooks/llm-provider-down.md:"
	opts := Options{Team: tm, Only: []string{rb + "mitigation-command-noop:mitigation/failover", rb + "mitigation-step-removed:mitigation/failover",
		rb + "steps-reordered", rb + "verification-removed"}, Seed: 1, Speed: 60, Parallel: 2, NoBuiltin: true,
		ControlWindow: 2 * time.Minute, Start: at}
	p, err := Prepare(opts)
	require.NoError(t, err)
	require.Len(t, p.Mutants, 4)
	require.Equal(t, []string{"features/outage.feature:4"}, p.Baseline)
	require.Positive(t, p.EstimatedRealTime())
	rep, err := p.Run(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Baseline, 1)
	require.Equal(t, scoring.Passed, rep.Baseline[0].Status, rep.Baseline[0].Reason)
	for _, r := range rep.Results {
		require.Equal(t, Survived, r.Status, "%s: %s %s %v", r.ID, r.Invalid, r.Error, r.KilledBy)
		require.Equal(t, []string{"features/outage.feature:4"}, r.Drills)
		if r.Operator != OpVerificationRemoved {
			require.Equal(t, "no drill checks recovery after the runbook", r.Missing, r.ID)
		}
		require.Equal(t, `And following the runbook brings "gateway:error_ratio <= 0.2" true within 10m`, r.Suggest, r.ID)
	}
	require.Equal(t, Score{Name: "runbooks", Survived: 4, Counted: 4}, rep.ByFamily[0])
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, nil))
	require.Contains(t, text.String(), "4 survivor(s): what the drills fail to check")
	require.Contains(t, text.String(), "    no drill checks recovery after the runbook\n    add: And following the runbook brings \"gateway:error_ratio <= 0.2\" true within 10m\n")

}

// Ctrl-C while mutants run: every world is torn down, every temporary
// copy of the team removed, and the report is partial.
func TestInterruptRemovesEveryCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs drills at ×60 until interrupted; skipped with -short")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	copies := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "drill-mutant-*"))
		return m
	}
	go func() { // interrupt once a mutant's copy exists
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			<-tick.C
			if len(copies()) > 0 {
				cancel()
			}
		}
	}()
	tm := load(t, "testdata/no-recovery")
	p, err := Prepare(Options{Team: tm, Only: []string{"runbooks/"}, Seed: 1, Speed: 60, Parallel: 2, NoBuiltin: true,
		ControlWindow: 2 * time.Minute, Start: at})
	require.NoError(t, err)
	rep, err := p.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, rep)
	require.True(t, rep.Interrupted)
	notRun := 0
	for _, r := range rep.Results {
		if r.Status == NotRun {
			notRun++
		}
	}
	require.Positive(t, notRun)
	require.Equal(t, notRun, rep.Total.NotRun)
	require.Empty(t, copies(), "every mutant's copy is removed")
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, nil))
	require.Contains(t, text.String(), "interrupted: the report is partial")
}

// A mutant's copy of the team is bounded: more files, or more bytes, than
// the limits is an error before anything is read past them.
func TestCopyTeamLimits(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(src, ".git"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, ".git", "HEAD"), []byte("x"), 0o644))
	big := filepath.Join(src, "big.bin")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxCopyBytes+1)) // sparse: nothing written
	require.NoError(t, f.Close())
	err = copyTeam(src, t.TempDir(), MaxCopyFiles, MaxCopyBytes)
	require.ErrorContains(t, err, fmt.Sprintf("more than %d files or %d MiB to copy for a mutant (.git and .drill left out)", MaxCopyFiles, MaxCopyBytes>>20))

	// the file count, with a limit of 20 (10,000 files to write is slow)
	require.NoError(t, os.Remove(big))
	for i := 0; i <= 20; i++ {
		require.NoError(t, os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), nil, 0o644))
	}
	require.ErrorContains(t, copyTeam(src, t.TempDir(), 20, MaxCopyBytes), "more than 20 files")
	require.NoError(t, os.Remove(filepath.Join(src, "f00")))
	dst := t.TempDir()
	require.NoError(t, copyTeam(src, dst, 20, MaxCopyBytes))
	_, err = os.Stat(filepath.Join(dst, ".git"))
	require.True(t, os.IsNotExist(err), ".git is not copied")
}

// fakeDrills stands in for scenarios.Run: the one drill of the test team
// passes on the unchanged plan (baseline is its verdict on reruns, after
// the first run), and fails on every mutant.
type fakeDrills struct {
	mu       sync.Mutex
	base     string // the unchanged team's directory
	rerun    scoring.Verdict
	flaky    bool           // a mutant's second run passes
	unchange int            // runs on the unchanged plan
	mutant   map[string]int // runs by mutant team directory
}

func (f *fakeDrills) run(_ context.Context, o scenarios.Options) (*scoring.Scorecard, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status := scoring.Failed
	if f.mutant == nil {
		f.mutant = map[string]int{}
	}
	if o.Team.Dir != f.base {
		f.mutant[o.Team.Dir]++
		if f.flaky && f.mutant[o.Team.Dir] > 1 {
			status = scoring.Passed
		}
	}
	if o.Team.Dir == f.base {
		f.unchange++
		status = scoring.Passed
		if f.unchange > 1 {
			status = f.rerun
		}
	}
	card := &scoring.Scorecard{}
	for _, pl := range o.Only {
		file, line, _ := strings.Cut(pl, ":")
		n, _ := strconv.Atoi(line)
		card.Scenarios = append(card.Scenarios, scoring.Scenario{Feature: file, Line: n, Name: "outage", Status: status, Reason: "because " + string(status)})
	}
	return card, nil
}

// A drill that fails on a mutant kills it only when it passes again on
// the unchanged plan (ConfirmRuns more times, once per drill); one that
// fails there too is flaky, and kills nothing.
func TestAKillIsConfirmedOnTheUnchangedPlan(t *testing.T) {
	for _, c := range []struct {
		name  string
		rerun scoring.Verdict
		flaky bool
		want  Status
	}{{"steady", scoring.Passed, false, Killed}, {"fails-on-rerun", scoring.Failed, false, Survived}, {"passes-mutant-rerun", scoring.Passed, true, Survived}} {
		t.Run(c.name, func(t *testing.T) {
			tm := load(t, "testdata/no-recovery")
			parallel := 2 // the reruns happen once, whoever asks first
			if c.flaky {
				parallel = 1 // one mutant at a time: the second finds the drill flaky already
			}
			p, err := Prepare(Options{Team: tm, Only: []string{"runbooks/"}, Parallel: parallel, NoBuiltin: true, Start: at})
			require.NoError(t, err)
			f := &fakeDrills{base: tm.Dir, rerun: c.rerun, flaky: c.flaky}
			p.runDrills = f.run
			rep, err := p.Run(context.Background())
			require.NoError(t, err)
			require.Len(t, rep.Results, 6)
			for _, r := range rep.Results {
				require.Equal(t, c.want, r.Status, r.ID)
			}
			if c.flaky {
				require.Equal(t, 1, f.unchange, "the baseline only")
				require.Equal(t, []string{"features/outage.feature:4"}, rep.Flaky)
				require.Contains(t, strings.Join(rep.Notes, "\n"), "and passed on its rerun (because failed): flaky at this speed, its failures kill no mutant")
				ran := 0
				for _, r := range rep.Results {
					ran += r.Ran
				}
				require.Equal(t, 2, ran, "the first mutant ran it twice; the others not at all")
				return
			}
			if c.want == Killed {
				require.Equal(t, 1+ConfirmRuns, f.unchange, "the baseline, then the reruns once")
				require.Empty(t, rep.Flaky)
				require.Equal(t, 1.0, rep.Total.Score)
				return
			}
			require.Equal(t, 2, f.unchange, "the baseline, then the first rerun, which failed")
			require.Equal(t, []string{"features/outage.feature:4"}, rep.Flaky)
			require.Contains(t, strings.Join(rep.Notes, "\n"), "features/outage.feature:4 passed on the baseline and was failed on rerun 1 of the unchanged plan (because failed): flaky at this speed, its failures kill no mutant")
			require.Equal(t, 0.0, rep.Total.Score)
		})
	}
}

// The same team with the recovery step: the drill kills the mutant whose
// fail-over does nothing, and the kill is confirmed on the unchanged plan.
func TestARecoveryCheckKillsANoopFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four drills at ×60 (about 25 s); skipped with -short")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	opts := Options{Seed: 1, Speed: 60, Parallel: 2, NoBuiltin: true, ControlWindow: 2 * time.Minute, Start: at}
	dir := t.TempDir()
	require.NoError(t, copyTeam("testdata/no-recovery", dir, MaxCopyFiles, MaxCopyBytes))
	feature := filepath.Join(dir, "features", "outage.feature")
	b, err := os.ReadFile(feature)
	require.NoError(t, err)
	b = append(b, []byte("    And following the runbook brings \"gateway:error_ratio < 0.2\" true within 10m\n")...)
	require.NoError(t, os.WriteFile(feature, b, 0o644))
	opts.Team = load(t, dir)
	opts.Only = []string{"runbooks/llm-provider-down.md:mitigation-command-noop:mitigation/failover"}
	p, err := Prepare(opts)
	require.NoError(t, err)
	rep, err := p.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, scoring.Passed, rep.Baseline[0].Status, rep.Baseline[0].Reason)
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	require.Equal(t, Killed, r.Status, "%s %s", r.Invalid, r.Error)
	require.Equal(t, "features/outage.feature:4", r.KilledBy[0].Place)
	require.Equal(t, scoring.Failed, r.KilledBy[0].Status)
	require.Equal(t, 1.0, rep.Total.Score)
}
