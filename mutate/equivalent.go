package mutate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
)

// MaxRecordedSamples bounds the samples the baseline's recordings hold
// in all, kept in memory while the mutants run: 8,000,000 samples, about
// 128 MiB (each drill's own is bounded by alerting.DefaultRecordLimit).
// A drill whose recording would pass it keeps none: equivalence is not
// judged on it, and the report says so.
const MaxRecordedSamples = 8_000_000

// maxDiffers bounds a Result's Differs, in characters.
const maxDiffers = 400

// recordings are the baseline drills' recordings (scenarios.Options.Record)
// and the unchanged rules replayed over each, by place.
type recordings struct {
	mu     sync.Mutex
	max    int // MaxRecordedSamples; a test's own when set
	total  int
	drills map[string]*recorded
	// unjudged are the drills a rule mutant needed a recording of and
	// had none: why, by place.
	unjudged map[string]string
}

type recorded struct {
	rec *alerting.Recording
	why string // no recording: why

	once sync.Once
	base *alerting.Replayed // the unchanged rules over rec
	err  string             // the replay failed, or does not give the drill's alerts back
}

// keep is the baseline's scenarios.Options.Record.
func (r *recordings) keep(d scenarios.Recorded) {
	pl := fmt.Sprintf("%s:%d", d.Feature, d.Line)
	limit := r.max
	if limit == 0 {
		limit = MaxRecordedSamples
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drills == nil {
		r.drills = map[string]*recorded{}
	}
	rd := &recorded{rec: d.Recording}
	switch {
	case d.Err != nil:
		rd.rec, rd.why = nil, d.Err.Error()
		if errors.Is(d.Err, alerting.ErrRecordingTooLarge) {
			rd.why = fmt.Sprintf("%v (alerting.DefaultRecordLimit: %d series, %d samples)", d.Err, alerting.DefaultRecordLimit.MaxSeries, alerting.DefaultRecordLimit.MaxSamples)
		}
	case d.Recording == nil:
		rd.why = "no recording was made"
	case r.total+d.Recording.Samples > limit:
		rd.rec, rd.why = nil, fmt.Sprintf("the baseline's recordings would hold more than %d samples in all (MaxRecordedSamples); this drill's %d are not kept", limit, d.Recording.Samples)
	default:
		r.total += d.Recording.Samples
	}
	r.drills[pl] = rd
}

// equivalent says whether the mutated team's rules evaluate identically
// to the unchanged team's on the recording of every drill (places):
// the same alert transitions, rule errors and recorded series, tick by
// tick. ok is false when they differ (differs says where, first) or
// when a drill has no recording, or its replay of the unchanged rules
// fails or does not give back the alerts it saw: the mutant then runs.
func (r *recordings) equivalent(ctx context.Context, orig, mutated *team.Team, places []string) (why, differs string, ok bool) {
	var drills []*recorded
	for _, pl := range places {
		r.mu.Lock()
		d := r.drills[pl]
		r.mu.Unlock()
		switch {
		case d == nil:
			r.unjudge(pl, "no recording was handed over")
			return "", "", false
		case d.rec == nil:
			r.unjudge(pl, d.why)
			return "", "", false
		}
		d.once.Do(func() {
			base, err := alerting.Replay(ctx, d.rec, scenarios.RuleFiles(orig), "")
			switch {
			case err != nil:
				d.err = "replaying the unchanged rules: " + err.Error()
			default:
				if diff := alerting.DiffTransitions(d.rec.Transitions, base.Transitions); diff != "" {
					d.err = "the unchanged rules replayed do not give back the alerts the drill saw: " + diff
				} else {
					d.base = base
				}
			}
		})
		if d.base == nil {
			if ctx.Err() == nil {
				r.unjudge(pl, d.err)
			}
			return "", "", false
		}
		drills = append(drills, d)
	}
	files := scenarios.RuleFiles(mutated)
	for i, d := range drills {
		got, err := alerting.Replay(ctx, d.rec, files, "")
		if err != nil {
			return "", cut(fmt.Sprintf("%s: replaying the mutated rules: %v", places[i], err), maxDiffers), false
		}
		if diff := d.base.Difference(got); diff != "" {
			return "", cut(fmt.Sprintf("%s: %s", places[i], diff), maxDiffers), false
		}
	}
	return fmt.Sprintf("evaluates identically on the recorded metrics of %d baseline drill(s)", len(drills)), "", true
}

func (r *recordings) unjudge(pl, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unjudged == nil {
		r.unjudged = map[string]string{}
	}
	r.unjudged[pl] = why
}

// notes say on which drills equivalence was not judged, and why.
func (r *recordings) notes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for pl, why := range r.unjudged {
		out = append(out, fmt.Sprintf("equivalence on the recorded metrics was not judged on %s, and the rule mutants it would run ran: %s", pl, short(why)))
	}
	sort.Strings(out)
	return out
}
