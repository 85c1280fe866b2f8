package scenarios

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/testbed"
)

// WritePlan prints, for each selected scenario, the timeline it would
// follow, without starting anything: its control window (and why that
// long, or a warning when it is too short for a rule to show noise), when
// the control window ends and
// faults go on, and the latest drill time by which each Then step must
// hold for the scenario to pass (deadlines chain from their causes). It
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
		var (
			fault, firing, page, ack, now time.Duration
			faulted                       bool
		)
		for _, st := range sc.Steps {
			a, known := features.Accept(st.Text)
			when := "      "
			if known {
				c := a.Step
				d := a.Duration()
				switch {
				case c.Keyword == "When":
					if !faulted {
						fault, faulted = control, true
						fmt.Fprintf(w, "  %s  control window ends; alerts before this are false alarms\n", scoring.Offset(control))
					}
					now = fault
					when = scoring.Offset(fault)
				case strings.Contains(c.Form, "fires within"):
					firing = fault + d
					now, when = firing, "≤"+scoring.Offset(firing)
				case strings.Contains(c.Form, "page reaches"):
					page = firing + d
					now, when = page, "≤"+scoring.Offset(page)
				case strings.Contains(c.Form, "acknowledged within"):
					if page == 0 {
						page = firing
					}
					ack = page + d
					now, when = ack, "≤"+scoring.Offset(ack)
				case strings.Contains(c.Form, "following the runbook"):
					if ack == 0 {
						ack = now
					}
					now = ack + d
					when = "≤" + scoring.Offset(now)
				case strings.Contains(c.Form, "resolves within"):
					now = max(now, firing+d)
					when = "≤" + scoring.Offset(now)
				case strings.Contains(c.Form, "holds for") || strings.Contains(c.Form, "does not fire"):
					now += d
					when = " " + scoring.Offset(now)
				}
			}
			fmt.Fprintf(w, "  %-7s %s%s\n", when, st.Keyword, st.Text)
			if !known {
				fmt.Fprintln(w, "          (undefined step)")
			}
		}
		fmt.Fprintf(w, "  at most %s of drill time, about %s of real time, plus setup\n\n", scoring.Offset(now), time.Duration(float64(now)/speed).Round(time.Second))
	}
	return nil
}
