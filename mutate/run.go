package mutate

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/internal/tempdir"
	"github.com/drillkit/drill/lint"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// Status is a mutant's outcome.
type Status string

// The outcomes of a mutant. Only killed and survived mutants are counted
// in a score.
const (
	Killed   Status = "killed"   // a drill that passed on the baseline failed
	Survived Status = "survived" // every drill that passed on the baseline passed again
	Invalid  Status = "invalid"  // lint (or a drill's checks) refuse the mutated files
	Errored  Status = "error"    // the harness failed on a drill: says nothing of the drills
	NotRun   Status = "not-run"  // interrupted before it ran
	// Equivalent is a rule mutant whose rules evaluate identically on
	// the recorded metrics of every baseline drill it would run: left
	// out of the results (Report.Equivalent), never run.
	Equivalent Status = "equivalent"
)

// Options configure a mutation run.
type Options struct {
	Team *team.Team
	// Mutants is how many mutants to run, sampled with Seed; 0 is all.
	Mutants int
	// Seed seeds the sample and every drill's world (as drill run --seed).
	Seed int64
	// Shard, when its Total is set, runs only that shard's share of the
	// sampled mutants (every Total-th, from Index).
	Shard scenarios.Shard
	// Speed, Parallel, NoBuiltin, ControlWindow and Toxiproxy are drill
	// run's; Parallel worlds run at a time, over the baseline's drills
	// and then over the mutants.
	Speed         float64
	Parallel      int
	NoBuiltin     bool
	ControlWindow time.Duration
	Toxiproxy     string
	// Start is the drill time every drill starts at (who is on call);
	// zero is now. A schedule mutant leaves its gap around it.
	Start time.Time
	// Only, when set, keeps the mutants whose file or ID starts with one
	// of these (a file, a directory such as runbooks/, a mutant's ID),
	// before sampling.
	Only []string
	// Lint are the options of the lint that refuses invalid mutants.
	Lint lint.Options
	// Progress, when set, gets a line as the baseline and each mutant end.
	Progress io.Writer
}

// MaxCopyFiles and MaxCopyBytes bound the team directory a mutant's
// temporary copy is made of (.git and .drill are left out).
const (
	MaxCopyFiles = 10000
	MaxCopyBytes = 256 << 20
)

// Prepared is a mutation run's plan: the mutants it runs and the drills
// each would run.
type Prepared struct {
	opts      Options
	Generated int // mutants made, before sampling and sharding
	Mutants   []*Mutant
	// Equivalent are changes left out as equivalent to the original.
	Equivalent []*Mutant
	// Drills are the places (FILE:LINE) of the scenarios each mutant's
	// file touches, by mutant ID (scenarios.Impact, as drill ci).
	Drills map[string][]string
	// Baseline is every place some mutant needs, sorted.
	Baseline []string
	// Estimate is each scenario's real time by its plan.
	Estimate map[string]time.Duration
	scenario map[string]*features.Scenario

	// runDrills runs drills: scenarios.Run, or a test's stand-in.
	runDrills func(context.Context, scenarios.Options) (*scoring.Scorecard, error)

	mu     sync.Mutex
	reruns map[string]*rerun // by place: the unchanged plan's reruns of a drill that killed a mutant

	rec recordings // the baseline drills' recordings, for equivalent rule mutants
}

// ConfirmRuns is how many more times a drill that fails on a mutant is
// run on the unchanged plan, once per drill, before its failure counts as
// a kill (the failure must also reproduce on a second run of the mutant):
// a drill that fails there too, or passes the mutant's second run, is
// flaky at this speed, and its failures kill no mutant.
const ConfirmRuns = 2

type rerun struct {
	once   sync.Once
	done   bool // under Prepared.mu
	steady bool
	why    string
	err    error // interrupted
}

// Prepare makes the mutants, samples and shards them, and finds the
// drills each touches, running nothing. Its error is bad input.
func Prepare(opts Options) (*Prepared, error) {
	if opts.Start.IsZero() {
		opts.Start = time.Now().UTC().Truncate(time.Second)
	}
	if opts.Speed <= 0 {
		opts.Speed = 60
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 1
	}
	if opts.Mutants < 0 {
		return nil, fmt.Errorf("--mutants: want a number of mutants from 1, or all; got %d", opts.Mutants)
	}
	t := opts.Team
	g, err := Generate(t, GenOptions{At: opts.Start})
	if err != nil {
		return nil, err
	}
	ms := g.Mutants
	if len(opts.Only) > 0 {
		ms = nil
		matched := map[string]bool{}
		for _, m := range g.Mutants {
			for _, o := range opts.Only {
				if strings.HasPrefix(m.File, o) || strings.HasPrefix(m.ID, o) {
					ms = append(ms, m)
					matched[o] = true
					break
				}
			}
		}
		for _, o := range opts.Only {
			if !matched[o] {
				return nil, fmt.Errorf("%s: no mutant of the team's files is in it or named so; the mutated files are %s", o, strings.Join(mutatedFiles(g.Mutants), ", "))
			}
		}
	}
	p := &Prepared{opts: opts, Generated: len(ms), Equivalent: g.Equivalent, Drills: map[string][]string{}, scenario: map[string]*features.Scenario{},
		runDrills: scenarios.Run}
	ms = Sample(ms, opts.Mutants, opts.Seed)
	if opts.Shard.Total > 0 {
		if err := opts.Shard.Check(); err != nil {
			return nil, fmt.Errorf("shard %d/%d: %v", opts.Shard.Index, opts.Shard.Total, err)
		}
		var share []*Mutant
		for i, m := range ms {
			if i%opts.Shard.Total == opts.Shard.Index {
				share = append(share, m)
			}
		}
		ms = share
	}
	p.Mutants = ms
	sel, _, err := scenarios.Prepare(scenarios.Options{Team: t, All: true, NoBuiltin: opts.NoBuiltin, Speed: opts.Speed, ControlWindow: opts.ControlWindow})
	if err != nil {
		return nil, err
	}
	for _, sc := range sel.Scenarios {
		p.scenario[place(sc)] = sc
	}
	need := map[string]bool{}
	for _, m := range ms {
		for _, h := range scenarios.Impact(t, sel.Scenarios, []string{m.File}) {
			pl := place(h.Scenario)
			p.Drills[m.ID] = append(p.Drills[m.ID], pl)
			need[pl] = true
		}
	}
	for pl := range need {
		p.Baseline = append(p.Baseline, pl)
	}
	sort.Strings(p.Baseline)
	p.Estimate, err = scenarios.Estimate(sel, scenarios.Options{Team: t, Speed: opts.Speed, ControlWindow: opts.ControlWindow})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func mutatedFiles(ms []*Mutant) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		if !seen[m.File] {
			seen[m.File] = true
			out = append(out, m.File)
		}
	}
	sort.Strings(out)
	return out
}

func place(sc *features.Scenario) string { return fmt.Sprintf("%s:%d", sc.File, sc.Line) }

// EstimatedRealTime is how long the run takes by the scenarios' plans,
// setup left out: the baseline, then every mutant's drills (all of them,
// before any is known to pass), Parallel at a time.
func (p *Prepared) EstimatedRealTime() time.Duration {
	var total time.Duration
	for _, pl := range p.Baseline {
		total += p.Estimate[pl]
	}
	for _, m := range p.Mutants {
		total += p.MutantEstimate(m)
	}
	return total / time.Duration(p.opts.Parallel)
}

// MutantEstimate is the real time of one mutant's drills, one after
// another, by their plans.
func (p *Prepared) MutantEstimate(m *Mutant) time.Duration {
	var d time.Duration
	for _, pl := range p.Drills[m.ID] {
		d += p.Estimate[pl]
	}
	return d
}

// Run runs the baseline and then every mutant. The error is for what
// prevents a report: the unchanged team failing lint (exitcode.Lint) or
// bad input (exitcode.Usage); an interrupted run returns its partial
// report with ctx's error.
func (p *Prepared) Run(ctx context.Context) (*Report, error) {
	opts := p.opts
	t := opts.Team
	rep := &Report{Team: scenarios.TeamName(t), Seed: opts.Seed, Speed: opts.Speed, StartedAt: time.Now().UTC(),
		Generated: p.Generated, Shard: opts.Shard}
	rep.RunID = fmt.Sprintf("mutate-%s-%d", rep.StartedAt.Format("20060102T150405"), opts.Seed)
	for _, m := range p.Equivalent {
		rep.Equivalent = append(rep.Equivalent, EquivalentMutant{Mutant: *m, Reason: "the change prints as the original"})
	}
	base, err := lint.Run(ctx, t, opts.Lint)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, fmt.Errorf("the unchanged team: %w", err))
	}
	if base.Failed() {
		return nil, exitcode.With(exitcode.Lint, fmt.Errorf("the unchanged team has %d lint error(s) (drill lint shows them): a mutant is judged against a valid plan; fix them first", base.Summary().Errors))
	}
	baseErrs := errorFindings(base, t.Dir)

	// The baseline: the unchanged plan's drills.
	passed := map[string]bool{}
	if len(p.Baseline) > 0 {
		o := p.runOptions(t, p.Baseline, opts.Parallel)
		o.Record = p.rec.keep
		card, err := p.runDrills(ctx, o)
		if card == nil {
			return nil, err
		}
		for _, sc := range card.Scenarios {
			pl := fmt.Sprintf("%s:%d", sc.Feature, sc.Line)
			d := Drill{Place: pl, Name: sc.Name, Status: sc.Status, Reason: sc.Reason, WallSeconds: sc.WallSeconds}
			rep.Baseline = append(rep.Baseline, d)
			if sc.Status == scoring.Passed {
				passed[pl] = true
			}
		}
		p.progress("baseline: %d of %d drill(s) passed on the unchanged plan", len(passed), len(card.Scenarios))
		if err != nil {
			rep.Interrupted = true
			rep.FinishedAt = time.Now().UTC()
			for _, m := range p.Mutants {
				rep.Results = append(rep.Results, Result{Mutant: *m, Status: NotRun})
			}
			rep.finish()
			return rep, err
		}
	}

	results := make([]Result, len(p.Mutants))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < opts.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = p.runMutant(ctx, p.Mutants[i], passed, baseErrs)
				r := results[i]
				p.progress("%s %s (%d of %d drill(s) run, %.0fs)", r.Status, r.ID, r.Ran, len(r.Drills), r.WallSeconds)
			}
		}()
	}
	for i := range p.Mutants {
		if ctx.Err() != nil {
			results[i] = Result{Mutant: *p.Mutants[i], Status: NotRun}
			continue
		}
		work <- i
	}
	close(work)
	wg.Wait()
	for _, r := range results {
		if r.Status == Equivalent {
			rep.Equivalent = append(rep.Equivalent, EquivalentMutant{Mutant: r.Mutant, Reason: r.Reason, Drills: r.Drills})
			continue
		}
		rep.Results = append(rep.Results, r)
	}
	sort.SliceStable(rep.Equivalent, func(i, j int) bool { return rep.Equivalent[i].ID < rep.Equivalent[j].ID })
	rep.Notes = append(rep.Notes, p.rec.notes()...)
	rep.FinishedAt = time.Now().UTC()
	for i := range rep.Results {
		p.explain(&rep.Results[i])
	}
	rep.Interrupted = ctx.Err() != nil
	p.mu.Lock()
	for pl, r := range p.reruns {
		if !r.steady && r.why != "" {
			rep.Flaky = append(rep.Flaky, pl)
			rep.Notes = append(rep.Notes, r.why)
		}
	}
	p.mu.Unlock()
	sort.Strings(rep.Flaky)
	rep.finish()
	return rep, ctx.Err()
}

func (p *Prepared) progress(format string, args ...any) {
	if p.opts.Progress != nil {
		fmt.Fprintf(p.opts.Progress, "drill mutate: "+format+"\n", args...)
	}
}

func (p *Prepared) runOptions(t *team.Team, only []string, parallel int) scenarios.Options {
	o := p.opts
	return scenarios.Options{Team: t, Only: only, NoBuiltin: o.NoBuiltin, Speed: o.Speed, Seed: o.Seed, Parallel: parallel,
		ControlWindow: o.ControlWindow, Toxiproxy: o.Toxiproxy, Start: o.Start}
}

// errorFindings are a lint report's error findings, by check, file and
// message (lines move when a mutant removes some).
func errorFindings(r *lint.Report, dir string) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.Findings {
		if f.Severity == lint.SeverityError {
			out[findingKey(f, dir)] = true
		}
	}
	return out
}

// findingKey names a finding wherever its team directory is.
func findingKey(f lint.Finding, dir string) string {
	rel := func(s string) string { return strings.ReplaceAll(s, dir+string(os.PathSeparator), "") }
	return f.ID + "\x00" + rel(f.File) + "\x00" + rel(f.Message)
}

// runMutant runs one mutant's drills in a temporary copy of the team.
func (p *Prepared) runMutant(ctx context.Context, m *Mutant, passed, baseErrs map[string]bool) (res Result) {
	began := time.Now()
	res = Result{Mutant: *m}
	defer func() { res.WallSeconds = time.Since(began).Seconds() }()
	for _, pl := range p.Drills[m.ID] {
		if passed[pl] {
			res.Drills = append(res.Drills, pl)
		} else {
			res.Unused = append(res.Unused, pl)
		}
	}
	dir, err := tempdir.Make("", "mutant")
	if err != nil {
		res.Status, res.Error = Errored, err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	if err := copyTeam(p.opts.Team.Dir, dir, MaxCopyFiles, MaxCopyBytes); err != nil {
		res.Status, res.Error = Errored, err.Error()
		return res
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(m.File)), m.content, 0o644); err != nil {
		res.Status, res.Error = Errored, err.Error()
		return res
	}
	mt, err := team.Load(dir)
	if err != nil {
		res.Status, res.Invalid = Invalid, firstLine(strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), ""))
		return res
	}
	lr, err := lint.Run(ctx, mt, p.opts.Lint)
	if err != nil {
		if ctx.Err() != nil {
			res.Status = NotRun
			return res
		}
		res.Status, res.Invalid = Invalid, firstLine(strings.ReplaceAll(err.Error(), dir+string(os.PathSeparator), ""))
		return res
	}
	for _, f := range lr.Findings {
		if f.Severity == lint.SeverityError && !baseErrs[findingKey(f, dir)] {
			res.Status, res.Invalid = Invalid, fmt.Sprintf("lint %s: %s", f.ID, short(f.Message))
			return res
		}
	}
	if len(res.Drills) == 0 {
		res.Status = Survived
		return res
	}
	if m.Family == Rules {
		why, differs, ok := p.rec.equivalent(ctx, p.opts.Team, mt, res.Drills)
		if ok {
			res.Status, res.Reason = Equivalent, why
			return res
		}
		res.Differs = differs
	}
	// One drill at a time, the shortest first: the first that fails
	// kills the mutant, and the rest need not run.
	order := append([]string(nil), res.Drills...)
	sort.SliceStable(order, func(i, j int) bool { return p.Estimate[order[i]] < p.Estimate[order[j]] })
	harness := ""
	for _, pl := range order {
		if p.knownFlaky(pl) {
			continue
		}
		card, err := p.runDrills(ctx, p.runOptions(mt, []string{pl}, 1))
		if card == nil {
			if exitcode.Of(err) == exitcode.Usage {
				res.Status, res.Invalid = Invalid, "a drill refuses it: "+firstLine(err.Error())
			} else {
				res.Status, res.Error = Errored, firstLine(fmt.Sprint(err))
			}
			return res
		}
		if err != nil {
			res.Status = NotRun
			return res
		}
		res.Ran++
		for _, sc := range card.Scenarios {
			switch sc.Status {
			case scoring.Failed, scoring.Inconclusive:
				res.KilledBy = append(res.KilledBy, Drill{Place: pl, Name: sc.Name, Status: sc.Status, Reason: firstLine(sc.Reason), WallSeconds: sc.WallSeconds})
			case scoring.Error:
				harness = fmt.Sprintf("%s: %s", pl, firstLine(sc.Reason))
			}
		}
		if len(res.KilledBy) == 0 {
			continue
		}
		// A kill must reproduce: the drill fails once more on the mutant,
		// and passes again on the unchanged plan.
		again, err := p.runDrills(ctx, p.runOptions(mt, []string{pl}, 1))
		if again == nil || err != nil {
			res.Status, res.KilledBy = NotRun, nil
			if again == nil && ctx.Err() == nil {
				res.Status, res.Error = Errored, firstLine(fmt.Sprint(err))
			}
			return res
		}
		res.Ran++
		reproduced := false
		for _, sc := range again.Scenarios {
			reproduced = reproduced || sc.Status == scoring.Failed || sc.Status == scoring.Inconclusive
		}
		if !reproduced {
			p.markFlaky(pl, fmt.Sprintf("%s failed on mutant %s and passed on its rerun (%s): flaky at this speed, its failures kill no mutant", pl, m.ID, res.KilledBy[0].Reason))
			res.Flaky = append(res.Flaky, res.KilledBy...)
			res.KilledBy = nil
			continue
		}
		steady, err := p.steady(ctx, pl)
		if err != nil {
			res.Status, res.KilledBy = NotRun, nil
			return res
		}
		if steady {
			res.Status = Killed
			return res
		}
		res.Flaky = append(res.Flaky, res.KilledBy...)
		res.KilledBy = nil // a flaky drill's failure kills nothing
	}
	res.Status = Survived
	if harness != "" {
		res.Status, res.Error = Errored, harness
	}
	return res
}

// knownFlaky says whether the drill at pl was found flaky already.
func (p *Prepared) knownFlaky(pl string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reruns[pl]
	return r != nil && r.done && !r.steady && r.err == nil
}

// markFlaky records the drill at pl as flaky, why, unless its reruns on
// the unchanged plan are under way or done.
func (p *Prepared) markFlaky(pl, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reruns == nil {
		p.reruns = map[string]*rerun{}
	}
	if r := p.reruns[pl]; r != nil {
		if r.done && r.steady { // it passed its reruns, and is flaky all the same
			r.steady, r.why = false, why
			p.progress("%s", why)
		}
		return
	}
	r := &rerun{done: true, why: why}
	r.once.Do(func() {}) // nothing left to rerun
	p.reruns[pl] = r
	p.progress("%s", why)
}

// steady says whether the drill at pl passes ConfirmRuns more times on
// the unchanged plan; the reruns happen once per drill.
func (p *Prepared) steady(ctx context.Context, pl string) (bool, error) {
	p.mu.Lock()
	if p.reruns == nil {
		p.reruns = map[string]*rerun{}
	}
	r := p.reruns[pl]
	if r == nil {
		r = &rerun{}
		p.reruns[pl] = r
	}
	p.mu.Unlock()
	r.once.Do(func() {
		r.steady = true
		for i := 1; i <= ConfirmRuns && r.steady; i++ {
			card, err := p.runDrills(ctx, p.runOptions(p.opts.Team, []string{pl}, 1))
			if card == nil || err != nil {
				r.steady, r.err = false, fmt.Errorf("rerun of %s: %v", pl, err)
				return
			}
			for _, sc := range card.Scenarios {
				if sc.Status != scoring.Passed {
					r.steady, r.why = false, fmt.Sprintf("%s passed on the baseline and was %s on rerun %d of the unchanged plan (%s): flaky at this speed, its failures kill no mutant", pl, sc.Status, i, firstLine(sc.Reason))
				}
			}
		}
		p.mu.Lock()
		r.done = true
		p.mu.Unlock()
		p.progress("%s on the unchanged plan: %s", pl, map[bool]string{true: "passed again, its failure kills", false: "flaky: " + r.why}[r.steady])
	})
	if r.err != nil && ctx.Err() != nil {
		return false, r.err
	}
	return r.steady, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return short(s)
}

// short is a message cut to one line of at most 160 characters.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:159]) + "…"
	}
	return s
}

// copyTeam copies the team directory src into dst: regular files and
// directories, leaving out .git and drill's own .drill folder, at most
// maxFiles files of maxBytes in all; links and pipes are skipped (a
// team's files are read without following links out of it).
func copyTeam(src, dst string, maxFiles int, maxBytes int64) error {
	files, size := 0, int64(0)
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == statedir.Name {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // a link or a pipe: never read by a team load
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		size += info.Size()
		if files > maxFiles || size > maxBytes {
			return fmt.Errorf("team directory %s: more than %d files or %d MiB to copy for a mutant (.git and .drill left out)", src, maxFiles, maxBytes>>20)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm()|0o200)
	})
}
