package scenarios

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/testbed"
)

// WritePlan prints, for each selected scenario, the timeline it would
// follow, without starting anything: its control window (and why that
// long, or a warning when it is too short for a rule to show noise), when
// the control window ends and faults go on, the latest drill time by
// which each Then step ends for the scenario to pass, and the scenario's
// end, its latest deadline: features.Schedule, the rules the steps wait
// by (deadlines run from their causes, as in the run). It
// also warns when the scenario's traffic, at its speed, is too thin for
// the rules' windows to give steady alert times (request latency, the
// other reason, is known only once a drill runs). top is the team's
// topology, as Prepare returns it.
func WritePlan(w io.Writer, sel *Selection, top testbed.Topology, opts Options) error {
	windows, err := ruleWindows(opts.Team)
	if err != nil {
		return err
	}
	noise, err := noiseWindows(opts.Team)
	if err != nil {
		return err
	}
	defControl, why := controlDefault(noise)
	for _, sc := range sel.Scenarios {
		fmt.Fprintf(w, "%s (%s:%d) %s\n", sc.Name, sc.File, sc.Line, strings.Join(sc.Tags, " "))
		speed, how := opts.Speed, "--speed"
		if opts.Live {
			speed = 1
		} else if v, line, ok := features.Setting(sc, "speed"); ok {
			speed, how = v, fmt.Sprintf("the speed step at %s:%d", sc.File, line)
		}
		fmt.Fprintf(w, "  speed ×%g: one drill minute takes %s of real time\n", speed, time.Duration(float64(time.Minute)/speed).Round(time.Millisecond))
		check := speedCheck{Speed: speed, How: how, Windows: windows}
		if top.Traffic != nil {
			check.Rate = top.Traffic.LowestRate()
		}
		if r, _, ok := features.Setting(sc, "traffic"); ok {
			check.Rate = r
		}
		if msg, _ := speedWarning(check); msg != "" {
			fmt.Fprintf(w, "  warning: %s\n", msg)
		}
		control, how := opts.ControlWindow, "--control-window"
		if control <= 0 {
			control, how = defControl, ""
		}
		if d, line, ok := features.ControlWindowSetting(sc); ok {
			control, how = d, fmt.Sprintf("the step at %s:%d", sc.File, line)
		}
		if len(features.Faults([]*features.Scenario{sc})) > 0 {
			if how == "" {
				fmt.Fprintf(w, "  control window %s: %s\n", model.Duration(control), why)
			} else {
				fmt.Fprintf(w, "  control window %s (%s)\n", model.Duration(control), how)
				if msg := controlWarning(control, how, noise, defControl); msg != "" {
					fmt.Fprintf(w, "  warning: %s\n", msg)
				}
			}
		}
		// The run's window; a control window step before the first
		// fault replaces it in Schedule, as in the run.
		run := opts.ControlWindow
		if run <= 0 {
			run = defControl
		}
		steps, end := features.Schedule(sc, run)
		width := len(" +00:00")
		for _, st := range steps {
			if st.Known {
				width = max(width, utf8.RuneCountInString(planTime(st)))
			}
		}
		for _, st := range steps {
			when := ""
			if st.ControlEnd {
				fmt.Fprintf(w, "  %s  control window ends; alerts before this are false alarms\n", scoring.Offset(st.At))
			}
			if st.Known {
				when = planTime(st)
			}
			fmt.Fprintf(w, "  %-*s %s%s\n", width, when, st.Step.Keyword, st.Step.Text)
			if st.Undefined {
				fmt.Fprintf(w, "  %*s (undefined step)\n", width, "")
			}
		}
		fmt.Fprintf(w, "  at most %s of drill time, about %s of real time, plus setup\n\n", scoring.Offset(end), time.Duration(float64(end)/speed).Round(time.Second))
	}
	return nil
}

// planTime is a step's time in the plan: "+13:00" when it ends exactly
// then, "≤+23:00" when at most then.
func planTime(st features.StepTime) string {
	if st.Exact {
		return " " + scoring.Offset(st.At)
	}
	return "≤" + scoring.Offset(st.At)
}

// Estimate is the real time each selected scenario takes at most by its
// plan, as WritePlan prints it ("about ... of real time"; setup left
// out), by its place FILE:LINE.
func Estimate(sel *Selection, opts Options) (map[string]time.Duration, error) {
	noise, err := noiseWindows(opts.Team)
	if err != nil {
		return nil, err
	}
	run := opts.ControlWindow
	if run <= 0 {
		run, _ = controlDefault(noise)
	}
	out := make(map[string]time.Duration, len(sel.Scenarios))
	for _, sc := range sel.Scenarios {
		speed := opts.Speed
		if opts.Live {
			speed = 1
		} else if v, _, ok := features.Setting(sc, "speed"); ok {
			speed = v
		}
		if speed <= 0 {
			speed = 60
		}
		_, end := features.Schedule(sc, run)
		out[place(sc)] = time.Duration(float64(end) / speed)
	}
	return out, nil
}
