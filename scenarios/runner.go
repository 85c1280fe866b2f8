package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
)

// Options configure a run of drills.
type Options struct {
	Team *team.Team
	// Names select scenarios by tag without the @ (cost-spike runs the
	// @cost-spike scenarios); Tags is a cucumber tag expression
	// (features.ParseTags); Paths are
	// feature files of the team to run; All runs every scenario.
	Names []string
	Tags  string
	Paths []string
	All   bool
	// NoBuiltin leaves out drill's built-in scenario library, which
	// otherwise runs beside the team's own features.
	NoBuiltin bool
	// Only, when set, keeps just the scenarios at these "file:line"
	// places among those selected (drill ci runs the ones a change touches).
	Only []string
	// Shard, when its Total is set, runs only that shard's share of the
	// selection (Shard.Share); the scorecard records it (Scorecard.Shard).
	Shard Shard

	Speed float64 // drill seconds per real second
	// Seed is the run seed: each scenario's world is seeded with
	// ScenarioSeed(Seed, file, line), whatever else runs.
	Seed     int64
	Parallel int // worlds at a time, over scenarios and repetitions alike
	// Repeat runs every selected scenario this many times (0 or 1: once;
	// at most MaxRepeat; below 0 is refused), repetition i (from 1) with
	// run seed Seed+i-1, each in a world of its own and judged as any
	// run; the scorecard keeps each, and one record per scenario over
	// them (scoring.Repeat). A live game day runs once.
	Repeat int
	// Rerun is the command that reruns one scenario of the run alone,
	// before the --seed and FILE:LINE each repetition appends to it;
	// "drill run --speed SPEED" when empty.
	Rerun string
	// ControlWindow is the drill time before a scenario's first fault;
	// zero is long enough for the team's alerting rules to show noise
	// (the longest for: plus the longest range window plus two
	// evaluation intervals, and at least 5m). A scenario's own step
	// overrides either; a window too short for a rule is warned of.
	ControlWindow time.Duration
	// Start is the drill time at which every scenario's clock starts
	// (who is on call depends on it); zero is now.
	Start time.Time
	// StepTimeout bounds each runbook command in real time.
	StepTimeout time.Duration
	// Live pages the humans in the room instead of simulated responders:
	// pages are printed to Pager and acknowledged with `drill ack`
	// through the endpoint recorded in LiveDir/.drill/live.json. Drill
	// time is then real time (speed 1), one scenario at a time.
	Live    bool
	Pager   io.Writer
	LiveDir string
	// DryRun, when set, receives the runbook commands responders would
	// run; none runs, so drills that need the fix will not recover.
	DryRun io.Writer
	// Toxiproxy is the URL of an external toxiproxy; empty embeds one.
	Toxiproxy string
	// Timeline, when set, receives one line per event while running.
	Timeline io.Writer
	// CucumberJSON, when set, is a file godog writes its cucumber report to.
	CucumberJSON string
	// Console, when set, follows the run (drill run --live --console).
	Console Observer
	// liveSpeed, set by this package's tests only, runs a live drill at
	// that speed instead of real time, so that a test of the whole live
	// path (the people acting through the control API) takes seconds.
	liveSpeed float64
	Logger    *slog.Logger
	// Record, when set, is handed each scenario's recording of what its
	// alerting engine scraped and when it evaluated (alerting.Recording,
	// within RecordLimit), once the engine stopped and before it is
	// closed; drill mutate replays mutated rules over it. It is called
	// from the scenario's goroutine, scenarios running in parallel.
	Record func(Recorded)
	// RecordLimit bounds each recording; zero is
	// alerting.DefaultRecordLimit.
	RecordLimit alerting.RecordLimit
}

// Recorded is one scenario's recording (Options.Record): Recording, or
// Err saying why there is none (past its bound, no world started).
type Recorded struct {
	Feature    string // the feature file, as the scorecard names it
	Line       int
	Repetition int // from 1
	Recording  *alerting.Recording
	Err        error
}

// Selection is the scenarios a run would execute, parsed.
type Selection struct {
	Scenarios []*features.Scenario
	Contents  []godog.Feature // the feature files, for godog
	Tags      string          // the tag expression applied, as cucumber reads it
	godogTags string          // Tags in godog's filter language, "" for none
	// Digest and Selected are the selection before sharding
	// (SelectionDigest, and its count); Scenarios is then the shard's
	// share of it.
	Digest   string
	Selected int
	// Plan is the digest of a shard plan by durations (Shard.Plan), ""
	// for the count split.
	Plan string
}

// Select parses the team's features and picks the scenarios the options
// name. Undefined steps are an error that names file:line and the
// closest known steps.
func Select(opts Options) (*Selection, error) {
	t := opts.Team
	sources := Features(t, !opts.NoBuiltin)
	files := make([]string, 0, len(sources))
	for f := range sources {
		files = append(files, f)
	}
	sort.Strings(files)
	if len(opts.Paths) > 0 {
		want := map[string]bool{}
		for _, p := range opts.Paths {
			want[filepath.ToSlash(filepath.Clean(p))] = true
		}
		var keep []string
		for _, f := range files {
			if want[f] || want[filepath.ToSlash(filepath.Join(t.Config.Paths.Features, filepath.Base(f)))] || want[filepath.Base(f)] {
				keep = append(keep, f)
			}
		}
		if len(keep) == 0 {
			return nil, fmt.Errorf("no feature file of the team matches %s; the team has: %s", strings.Join(opts.Paths, ", "), strings.Join(files, ", "))
		}
		files = keep
	}
	tags := opts.Tags
	if _, err := features.ParseTags(opts.Tags); err != nil {
		return nil, fmt.Errorf("--tags: %w", err)
	}
	if len(opts.Names) > 0 {
		var ors []string
		for _, n := range opts.Names {
			ors = append(ors, "@"+strings.TrimPrefix(n, "@"))
		}
		tags = features.AndTags(strings.Join(ors, " or "), tags)
	}
	expr, err := features.ParseTags(tags)
	if err != nil { // a name that is not a tag
		return nil, err
	}
	if tags == "" && len(opts.Paths) == 0 && !opts.All && len(opts.Only) == 0 {
		return nil, errors.New("say which drills to run: a name (cost-spike), --tags, feature paths, or --all")
	}
	sel := &Selection{Tags: expr.String(), godogTags: expr.Godog()}
	var all []*features.Scenario
	var perr []error
	known := map[string]bool{}
	for _, f := range files {
		scs, err := features.Parse(f, []byte(sources[f]))
		if err != nil {
			perr = append(perr, err)
			continue
		}
		all = append(all, scs...)
		for _, sc := range scs {
			for _, tg := range sc.Tags {
				known[strings.TrimPrefix(tg, "@")] = true
			}
		}
		sel.Contents = append(sel.Contents, godog.Feature{Name: f, Contents: []byte(sources[f])})
	}
	if err := errors.Join(perr...); err != nil {
		return nil, err
	}
	if probs := features.Check(all); len(probs) > 0 {
		var msgs []string
		for _, p := range probs {
			msgs = append(msgs, p.String())
		}
		return nil, fmt.Errorf("%d undefined or ambiguous steps (run 'drill steps' for the catalog):\n%s", len(probs), strings.Join(msgs, "\n"))
	}
	only := map[string]bool{}
	places := map[string]bool{}
	for _, sc := range all {
		places[fmt.Sprintf("%s:%d", sc.File, sc.Line)] = true
	}
	for _, o := range opts.Only {
		only[o] = true
		found := places[o]
		// Also accept a path from elsewhere that ends in a feature file
		// of the team (examples/acme-ml/features/x.feature:7), or the
		// base name of one of the team's own (x.feature:7).
		for _, f := range files {
			if file, line, ok := strings.Cut(o, ".feature:"); ok && (strings.HasSuffix(file+".feature", "/"+f) || ownBase(file+".feature", f)) {
				only[f+":"+line] = true
				found = found || places[f+":"+line]
			}
		}
		if !found {
			return nil, noScenarioAt(o, files, all)
		}
	}
	for _, sc := range all {
		if expr.Match(sc.Tags) && (len(only) == 0 || only[fmt.Sprintf("%s:%d", sc.File, sc.Line)]) {
			sel.Scenarios = append(sel.Scenarios, sc)
		}
	}
	// godog is handed only the files that hold a selected scenario, and
	// the expression in its own filter language where it can be written
	// so (features.TagExpr.Godog); the Before hook skips what drill did
	// not select.
	hold := map[string]bool{}
	for _, sc := range sel.Scenarios {
		hold[sc.File] = true
	}
	kept := sel.Contents[:0]
	for _, c := range sel.Contents {
		if hold[c.Name] {
			kept = append(kept, c)
		}
	}
	sel.Contents = kept
	knownNames := func() string {
		names := make([]string, 0, len(known))
		for n := range known {
			names = append(names, n)
		}
		sort.Strings(names)
		return strings.Join(names, ", ")
	}
	if len(sel.Scenarios) == 0 {
		return nil, fmt.Errorf("no scenario matches %q; known names: %s", tags, knownNames())
	}
	// Names are or-ed: a misspelt one beside a good one would otherwise
	// go unnoticed, and its drills would silently not run.
	var unknown []string
	for _, n := range opts.Names {
		if !known[strings.TrimPrefix(n, "@")] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("no scenario is named %s; known names: %s", strings.Join(unknown, ", "), knownNames())
	}
	return sel, nil
}

// noScenarioAt says why FILE:LINE selects nothing: the file holds no
// scenario at that line (and these are the lines that do), or the team
// has no such file.
func noScenarioAt(place string, files []string, all []*features.Scenario) error {
	file, line, _ := strings.Cut(place, ".feature:")
	file += ".feature"
	for _, f := range files {
		if f != file && !strings.HasSuffix(file, "/"+f) && !ownBase(file, f) {
			continue
		}
		var at []string
		for _, sc := range all {
			if sc.File == f {
				at = append(at, fmt.Sprintf("%d (%s)", sc.Line, sc.Name))
			}
		}
		return fmt.Errorf("%s:%s holds no scenario; the scenarios of %s are at lines %s (an outline's rows are at their Examples lines)", f, line, f, strings.Join(at, ", "))
	}
	return fmt.Errorf("%s: the team has no feature file %s; it has: %s", place, file, strings.Join(files, ", "))
}

// ownBase reports whether name is the base name of f, a feature file of
// the team's own (not of the built-in library).
func ownBase(name, f string) bool {
	return !strings.HasPrefix(f, "builtin/") && name == filepath.Base(f)
}

// Features returns the feature files a run draws from: the team's own
// and, with builtin, drill's built-in library (named builtin/*.feature).
func Features(t *team.Team, builtin bool) map[string]string {
	out := make(map[string]string, len(t.Features)+8)
	for f, src := range t.Features {
		out[f] = src
	}
	if builtin {
		for f, src := range features.Builtin() {
			out[f] = src
		}
	}
	return out
}

// Run executes the selected scenarios and returns their scorecard. The
// error is for failures that prevent a scorecard: bad input (a feature
// that does not parse, an undefined step, a bad topology) carries
// exitcode.Usage; an interrupted run returns its partial scorecard with
// ctx's error. Failed drills are in the scorecard, judged by
// scoring.Judge; with opts.Repeat above 1 every repetition is, and the
// summary has one scoring.Repeat per scenario over them.
func Run(ctx context.Context, opts Options) (*scoring.Scorecard, error) {
	if opts.Speed <= 0 {
		opts.Speed = 60
	}
	if opts.Live {
		opts.Speed, opts.Parallel = 1, 1
		if opts.liveSpeed > 0 {
			opts.Speed = opts.liveSpeed
		}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 1
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now().UTC().Truncate(time.Second)
	}
	repeat := opts.Repeat
	if repeat == 0 {
		repeat = 1
	}
	if err := CheckRepeat(repeat, opts.Seed, opts.Live); err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	rerun := opts.Rerun
	if rerun == "" {
		rerun = fmt.Sprintf("drill run --speed %g", opts.Speed)
	}
	sel, top, err := Prepare(opts)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	windows, err := ruleWindows(opts.Team)
	if err != nil { // the team package parsed these expressions already
		return nil, exitcode.With(exitcode.Usage, err)
	}
	noise, err := noiseWindows(opts.Team)
	if err != nil {
		return nil, exitcode.With(exitcode.Usage, err)
	}
	defControl, _ := controlDefault(noise)
	controlHow := "--control-window"
	if opts.ControlWindow <= 0 {
		opts.ControlWindow, controlHow = defControl, "the default"
	}
	byKey := map[string]*features.Scenario{}
	for _, sc := range sel.Scenarios {
		byKey[sc.Key()] = sc
	}

	card := &scoring.Scorecard{
		SchemaVersion: scoring.SchemaVersion,
		RunID:         newRunID(time.Now(), opts.Seed),
		Team:          TeamName(opts.Team),
		StartedAt:     time.Now().UTC(),
		Speed:         opts.Speed,
		Seed:          opts.Seed,
		Shard:         opts.Shard.record(sel),
	}
	if repeat > 1 {
		card.Repeat = repeat
	}
	// Each repetition of a feature file is a feature of its own for
	// godog (FILE#i), so that --parallel spreads over repetitions too.
	contents := sel.Contents
	if repeat > 1 {
		contents = nil
		for i := 1; i <= repeat; i++ {
			for _, f := range sel.Contents {
				contents = append(contents, godog.Feature{Name: repetitionURI(f.Name, i), Contents: f.Contents})
			}
		}
	}
	type result struct {
		key string
		rep int
	}
	var (
		mu      sync.Mutex
		results = map[result]*scoring.Scenario{}
	)
	// repetition is the record of repetition i of a scenario at
	// file:line with run seed seed, nil in a run of one.
	repetition := func(i int, file string, line int) *scoring.Repetition {
		if repeat == 1 {
			return nil
		}
		seed := opts.Seed + int64(i-1)
		return &scoring.Repetition{Index: i, Seed: seed, Rerun: fmt.Sprintf("%s --seed %d %s:%d", rerun, seed, file, line)}
	}
	format := "progress"
	output := io.Discard
	if opts.CucumberJSON != "" {
		format = "progress,cucumber:" + opts.CucumberJSON
	}
	suite := godog.TestSuite{
		Name: "drill",
		ScenarioInitializer: func(sctx *godog.ScenarioContext) {
			var (
				w     *world
				st    *features.State
				rec   *scoring.Scenario
				id    result
				began time.Time
				stop  func()
				// stepIndex is the next step's place in the scenario, for
				// the console.
				stepIndex int
			)
			sctx.Before(func(c context.Context, p *godog.Scenario) (context.Context, error) {
				file, i := p.Uri, 1
				if repeat > 1 {
					file, i = splitRepetition(p.Uri)
				}
				q := *p
				q.Uri = file
				id = result{key: features.PickleKey(&q), rep: i}
				src := byKey[id.key]
				if src == nil { // godog runs every scenario of a file; drill selects
					return c, godog.ErrSkip
				}
				if ctx.Err() != nil { // interrupted: start no new world
					return c, godog.ErrSkip
				}
				seed := ScenarioSeed(opts.Seed+int64(i-1), file, src.Line)
				rec = &scoring.Scenario{Name: p.Name, Feature: file, Repetition: repetition(i, file, src.Line)}
				var texts []string
				for _, s := range p.Steps {
					texts = append(texts, s.Text)
				}
				if src != nil {
					rec.Line, rec.Tags = src.Line, src.Tags
					rec.Family = scoring.FamilyOf(src.Tags)
				}
				rec.ExpectedAlerts = features.ExpectedAlerts(texts)
				rec.ToleratedAlerts = features.ToleratedAlerts(texts)
				rec.NoAlertExpected = !features.ExpectsAlert(texts)
				w = newWorld(&opts, opts.Team, top, seed)
				w.windows, w.speedHow = windows, "--speed"
				if _, line, ok := features.Setting(src, "speed"); ok {
					w.speedHow = fmt.Sprintf("the speed step at %s:%d", src.File, line)
				}
				st.Env = w
				st.ControlWindow = opts.ControlWindow
				st.SetExpected(rec.ExpectedAlerts)
				st.SetTolerated(rec.ToleratedAlerts)
				began = time.Now()
				stepIndex = 0
				if opts.Console != nil {
					opts.Console.Begin(p.Name, fmt.Sprintf("%s:%d", file, src.Line), texts)
				}
				if opts.Timeline != nil {
					name := p.Name
					if repeat > 1 {
						name = fmt.Sprintf("#%d %s", i, name)
					}
					stop = streamTimeline(opts.Timeline, w, name)
				}
				return c, nil
			})
			st = features.NewState(nil, nil)
			features.Register(sctx, st)
			sctx.StepContext().Before(func(c context.Context, s *godog.Step) (context.Context, error) {
				if rec != nil && opts.Console != nil {
					opts.Console.Step(stepIndex, "running", "")
				}
				return c, nil
			})
			sctx.StepContext().After(func(c context.Context, s *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
				if rec == nil {
					return c, nil
				}
				step := scoring.Step{Text: s.Text, Status: stepStatus(status)}
				if err != nil {
					step.Error = err.Error()
				}
				rec.Steps = append(rec.Steps, step)
				if opts.Console != nil {
					opts.Console.Step(stepIndex, string(step.Status), step.Error)
				}
				stepIndex++
				return c, nil
			})
			sctx.After(func(c context.Context, p *godog.Scenario, stepErr error) (context.Context, error) {
				if w == nil {
					return c, nil
				}
				evidence := w.evidence(context.Background())
				w.warnSpeed()
				how := controlHow
				// id.key, not p's: a repetition's pickle URI carries its index.
				if src := byKey[id.key]; src != nil {
					if _, line, ok := features.ControlWindowSetting(src); ok {
						how = fmt.Sprintf("the step at %s:%d", src.File, line)
					}
				}
				w.warnControl(st.ControlWindow, how, noise, defControl)
				if stop != nil {
					stop()
				}
				if opts.Record != nil {
					feature, line, rep := rec.Feature, rec.Line, id.rep
					w.mu.Lock()
					w.record = func(r *alerting.Recording, err error) {
						opts.Record(Recorded{Feature: feature, Line: line, Repetition: rep, Recording: r, Err: err})
					}
					w.mu.Unlock()
				}
				closeErr := w.Close()
				fillStepLines(rec, byKey[id.key])
				rec.Events = w.Log().Events()
				// "an alert fires" steps expect whichever alert fired.
				rec.ExpectedAlerts = st.Expected()
				rec.ToleratedAlerts = st.Tolerated()
				rec.Evidence = map[string]int64{}
				for _, e := range evidence {
					rec.Evidence[e.ID] = e.Affected
				}
				rec.WallSeconds = time.Since(began).Seconds()
				scoring.Judge(rec, scoring.Outcome{Harness: w.Harness(), Steps: stepErr, Evidence: evidence, Teardown: closeErr})
				if opts.Console != nil {
					opts.Console.End(rec)
				}
				mu.Lock()
				results[id] = rec
				mu.Unlock()
				return c, nil
			})
		},
		Options: &godog.Options{
			Format:          format,
			Output:          output,
			Strict:          true,
			NoColors:        true,
			Concurrency:     opts.Parallel,
			Tags:            sel.godogTags,
			FeatureContents: contents,
			DefaultContext:  ctx,
		},
	}
	suite.Run()
	for _, sc := range sel.Scenarios {
		for i := 1; i <= repeat; i++ {
			mu.Lock()
			r, ok := results[result{sc.Key(), i}]
			mu.Unlock()
			if !ok {
				r = &scoring.Scenario{Name: sc.Name, Feature: sc.File, Line: sc.Line, Tags: sc.Tags, Family: scoring.FamilyOf(sc.Tags),
					Status: scoring.Error, Reason: "the scenario did not run (interrupted)", Repetition: repetition(i, sc.File, sc.Line)}
			}
			card.Scenarios = append(card.Scenarios, *r)
		}
	}
	card.FinishedAt = time.Now().UTC()
	card.Summary = scoring.Summarize(card.Scenarios)
	return card, ctx.Err()
}

// newRunID names a run: when it started, its seed, and a random part, so
// that two runs started in the same second with the same seed (parallel
// CI jobs sharing a history) never replace each other.
func newRunID(start time.Time, seed int64) string {
	return fmt.Sprintf("%s-%d-%06x", start.UTC().Format("20060102T150405"), seed, rand.N(1<<24))
}

// TeamName is the team's name as a scorecard gives it: its name, else
// its ID.
func TeamName(t *team.Team) string {
	if t.Config.Team.Name != "" {
		return t.Config.Team.Name
	}
	return t.Config.Team.ID
}

// stepStatus is godog's name for a step's outcome, which the scorecard
// keeps.
func stepStatus(st godog.StepResultStatus) scoring.StepStatus { return scoring.StepStatus(st.String()) }

// fillStepLines gives each recorded step its keyword and line from the
// parsed feature.
func fillStepLines(rec *scoring.Scenario, src *features.Scenario) {
	if src == nil {
		return
	}
	for i := range rec.Steps {
		if i < len(src.Steps) {
			rec.Steps[i].Keyword = src.Steps[i].Keyword
			rec.Steps[i].Line = src.Steps[i].Line
		}
	}
	// Steps godog skipped after a failure never reached the After hook.
	for i := len(rec.Steps); i < len(src.Steps); i++ {
		rec.Steps = append(rec.Steps, scoring.Step{Keyword: src.Steps[i].Keyword, Text: src.Steps[i].Text, Line: src.Steps[i].Line, Status: scoring.StepSkipped})
	}
}

// Validate checks everything of the team's drill.yaml a drill needs
// before anything starts: the topology sections, what the testbed would
// load from them (provider configs, stub kits and files, the gateway's
// prices), every template, and the simulated responders. A run calls it
// before its first scenario, so bad input fails fast as invalid input
// instead of as a harness failure of every scenario; `drill lint` and
// `drill run --plan` call it too. It returns the topology.
func Validate(t *team.Team) (testbed.Topology, error) {
	if !t.Config.HasTopology() {
		return testbed.Topology{}, &NoTopologyError{File: t.Config.File}
	}
	top, err := TopologyOf(t)
	if err != nil {
		return top, err
	}
	return top, errors.Join(
		testbed.Check(top, t.Dir, t.Config.Variables),
		response.CheckResponders(t.Config.File, t.Config.Responders, t.Escalation),
		response.CheckPolicies(t.Escalation),
	)
}

// NoTopologyError is a drill.yaml that describes no world (no providers,
// stubs, service, traffic or toxiproxy) given to a command that starts
// one. drill lint needs none of it; the command's name is the caller's
// prefix ("drill run: ...").
type NoTopologyError struct{ File string }

func (e *NoTopologyError) Error() string {
	return e.File + ": no topology: this command starts a world, which needs at least providers: " +
		"(the mock LLM providers the built-in gateway calls, e.g. providers: [{name: openai}]), " +
		"or a service: of the team's own (command:, image: or compose:) with the providers and stubs it calls; " +
		"see docs/topology.md (drill lint needs none of it)"
}

// Prepare is everything a run checks before its first world starts: it
// selects the scenarios, validates the team's drill.yaml (Validate), and
// checks the scenarios' steps (CheckSteps: the names they refer to, the
// faults they inject, what they set). Any error is the team's input;
// `drill run --plan` calls it too, so a plan refuses what a run would.
func Prepare(opts Options) (*Selection, testbed.Topology, error) {
	sel, err := Select(opts)
	if err != nil {
		return nil, testbed.Topology{}, err
	}
	top, err := Validate(opts.Team)
	if err != nil {
		return nil, top, err
	}
	// Every shard checks the whole selection, so all refuse the same input.
	if err := CheckSteps(sel, opts.Team, top, opts.Live); err != nil {
		return nil, top, err
	}
	sel.Digest, sel.Selected = SelectionDigest(sel.Scenarios), len(sel.Scenarios)
	if opts.Shard.Total > 0 {
		if err := opts.Shard.Check(); err != nil {
			return nil, top, fmt.Errorf("shard %d/%d: %v", opts.Shard.Index, opts.Shard.Total, err)
		}
		sel.Plan = opts.Shard.planDigest(sel.Scenarios)
		sel.Scenarios = opts.Shard.Share(sel.Scenarios)
	}
	return sel, top, nil
}

// CheckSettings checks what the selected scenarios' Given steps set before
// their worlds start: a drill clock speed within timeline.MinSpeed and
// MaxSpeed, and none at all in a live game day, which runs in real time.
func CheckSettings(sel *Selection, live bool) error {
	var errs []error
	for _, sc := range sel.Scenarios {
		v, line, ok := features.Setting(sc, "speed")
		switch {
		case !ok:
		case live:
			errs = append(errs, fmt.Errorf("%s:%d: the scenario sets the drill clock's speed, and a live game day (--live) runs in real time; run it without --live, or remove the step", sc.File, line))
		default:
			if err := timeline.CheckSpeed(v); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: the drill clock's speed: %v", sc.File, line, err))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckFaults checks every fault the selected scenarios' steps inject
// against the fault catalog (kind, parameters) and the topology (target),
// without running anything: a misspelt provider or parameter in a feature
// file is invalid input, not a drill the team failed halfway through.
func CheckFaults(sel *Selection, top testbed.Topology) error {
	return checkFaults(sel, top, nil)
}

// checkFaults is CheckFaults, leaving out the target of the steps in
// named: CheckNames refused it already.
func checkFaults(sel *Selection, top testbed.Topology, named map[stepKey]bool) error {
	var errs []error
	seen := map[string]bool{}
	for _, u := range features.Faults(sel.Scenarios) {
		err := u.Err
		if err == nil {
			if _, err = faults.Parse(u.Kind, u.Params); err == nil && !named[stepKey{u.File, u.Line, u.Step}] {
				k, _ := faults.Lookup(u.Kind)
				_, err = top.Target(k, u.Target)
			}
		}
		if err == nil {
			continue
		}
		if msg := fmt.Sprintf("%s:%d: %s: %v", u.File, u.Line, u.Step, err); !seen[msg] {
			seen[msg] = true // an outline's rows repeat the line
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

// TopologyOf parses the topology sections of the team's drill.yaml, as
// every world of a run and `drill up` build them.
func TopologyOf(t *team.Team) (testbed.Topology, error) {
	c := t.Config
	return testbed.ParseTopology(c.File, testbed.Sections{
		Providers: c.Providers, Stubs: c.Stubs, Service: c.Service, Traffic: c.Traffic, Toxiproxy: c.Toxiproxy,
	})
}

// streamTimeline prints each event of the world's log as it happens, one
// line each, prefixed with the scenario name. It follows the log that
// Start creates.
func streamTimeline(out io.Writer, w *world, name string) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var seen int
		var log *timeline.Log
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		flush := func() {
			l := w.Log()
			if l != log {
				log, seen = l, 0
			}
			ev := l.Events()
			for ; seen < len(ev); seen++ {
				e := ev[seen]
				var start time.Time
				if len(ev) > 0 {
					start = ev[0].At
				}
				fmt.Fprintf(out, "%-28.28s %s %s\n", name, scoring.Offset(e.At.Sub(start)), e.Describe())
			}
		}
		for {
			select {
			case <-done:
				flush()
				return
			case <-tick.C:
				flush()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
