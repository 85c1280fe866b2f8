package response

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// episode is one alert from its firing to its resolution (until zero
// while it fires), in drill time. The engine keeps the latest episode of
// every alert (by fingerprint), so the set is as large as the set of
// distinct alerts the drill's rules produced.
type episode struct {
	name        string
	labels      map[string]string
	annotations map[string]string
	since       time.Time
	until       time.Time
	seq         int // order of first sight, for a stable choice among inhibitors
}

func (ep *episode) firingAt(at time.Time) bool {
	return !ep.since.After(at) && (ep.until.IsZero() || ep.until.After(at))
}

// muted is one alert of a group an inhibit rule held back at a flush.
type muted struct {
	fp, alert, source string
	labels            map[string]string
	rule              int
}

// flushAt decides an incident's notification at one flush of its group
// at drill instant at, as Alertmanager's notification pipeline does with
// its Inhibitor: the group's alerts firing at that instant that no
// inhibit rule mutes are notified; when every one is muted, nothing is.
// The inhibiting alerts are those firing at that instant, whatever their
// route. It returns the fingerprint of the first unmuted alert ("" when
// all are muted) and the muted ones. Called with e.mu unlocked, only
// with the team's alertmanager.yml.
func (e *Engine) flushAt(in *incident, at time.Time) (string, []muted) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var members, all []*episode
	fps := map[*episode]string{}
	for fp := range in.firing {
		if ep, ok := e.alerts[fp]; ok {
			all = append(all, ep)
			fps[ep] = fp
			if ep.firingAt(at) {
				members = append(members, ep)
			}
		}
	}
	if len(members) == 0 {
		// The group's alerts were seen after the flush instant (the
		// engine reads the log behind the clock): they are the group.
		members = all
	}
	sort.Slice(members, func(i, j int) bool { return members[i].seq < members[j].seq })
	var firing []*episode
	for _, ep := range e.alerts {
		if ep.firingAt(at) {
			firing = append(firing, ep)
		}
	}
	sort.Slice(firing, func(i, j int) bool { return firing[i].seq < firing[j].seq })
	sources := make([]map[string]string, len(firing))
	for i, ep := range firing {
		sources[i] = ep.labels
	}
	first := ""
	var out []muted
	for _, m := range members {
		inh, ok := e.am.Inhibited(m.labels, sources)
		if !ok {
			if first == "" {
				first = fps[m]
			}
			continue
		}
		out = append(out, muted{fp: fps[m], alert: m.name, labels: m.labels, source: firing[inh.Source].name, rule: inh.Rule})
	}
	return first, out
}

// groupFlush waits for the group's first notification: its group_wait,
// then, while every alert of the group is inhibited or its route is
// muted by its time intervals, one group_interval after another, as
// Alertmanager's aggregation group flushes on its timer and its pipeline
// drops what the Inhibitor mutes (its MuteStage), then all when the
// route is outside its active_time_intervals or inside a
// mute_time_interval (TimeActiveStage, TimeMuteStage). It returns false
// when the group resolved or the drill ended first: nobody is paged.
// Each inhibited alert is a note, once per inhibiting alert and rule;
// each time muting, once per set of intervals.
func (in *incident) groupFlush(ctx context.Context) bool {
	flush := in.start.Add(in.groupWait)
	noted := map[string]bool{}
	for {
		switch w, _ := in.wait(ctx, flush, true); w {
		case wakeAck:
			continue
		case wakeTime:
		default: // resolved before the flush, or the drill ended: no page
			return false
		}
		am := in.e.am
		if am == nil || (am.InhibitRules() == 0 && len(in.muteIntervals) == 0 && len(in.activeIntervals) == 0) {
			return true
		}
		first, ms := in.e.flushAt(in, in.now)
		for _, m := range ms {
			key := m.fp + "\x00" + m.source + "\x00" + strconv.Itoa(m.rule)
			if noted[key] {
				continue
			}
			noted[key] = true
			where := am.File
			if p := am.InhibitRulePos(m.rule); p.Line > 0 {
				where = fmt.Sprintf("%s, line %d", am.File, p.Line)
			}
			if !in.write(timeline.Event{At: in.now, Kind: timeline.Note, Subject: m.alert, Labels: m.labels,
				Attrs: in.attrs("alert", m.alert, timeline.Reason, timeline.Inhibited, timeline.InhibitedBy, m.source,
					timeline.InhibitRule, strconv.Itoa(m.rule)),
				Message: fmt.Sprintf("alert %s inhibited by %s (inhibit_rules[%d] in %s): policy %s is not paged for it while %s fires; Alertmanager looks again every group_interval (%s)",
					m.alert, m.source, m.rule, where, in.policyID, m.source, in.groupInterval)}) {
				return false // the incident reached a limit and stops
			}
		}
		if first != "" {
			muted, outside, by, err := am.TimeMuted(in.muteIntervals, in.activeIntervals, in.now)
			if err != nil {
				// The loader refuses a route naming an unknown interval.
				in.e.fail(fmt.Errorf("response: group %s: %w", in.key, err))
				return false
			}
			if !muted {
				in.e.mu.Lock()
				// The page, the runbook and the roles are the first
				// unmuted alert's.
				ep := in.e.alerts[first]
				in.alert, in.labels, in.annotations = ep.name, ep.labels, ep.annotations
				in.e.mu.Unlock()
				return true
			}
			if key := fmt.Sprint(outside, by); !noted[key] {
				noted[key] = true
				what := "inside its mute_time_intervals " + strings.Join(by, ", ")
				if outside {
					what = "outside every one of its active_time_intervals " + strings.Join(by, ", ")
				}
				if !in.write(timeline.Event{At: in.now, Kind: timeline.Note, Subject: in.alert, Labels: in.labels,
					Attrs: in.attrs(timeline.Reason, timeline.TimeMuted, timeline.TimeIntervals, strings.Join(by, ","), "route", in.route),
					Message: fmt.Sprintf("alert %s's route in %s is %s at %s (drill time, UTC): policy %s is not paged for it now; Alertmanager looks again every group_interval (%s)",
						in.alert, am.File, what, in.now.UTC().Format("Mon 2006-01-02 15:04"), in.policyID, in.groupInterval)}) {
					return false
				}
			}
		}
		if ctx.Err() != nil {
			return false
		}
		if in.groupInterval <= 0 {
			// Alertmanager's loader refuses a zero group_interval and
			// dispatch defaults it to 5m: this is a harness bug.
			in.e.fail(fmt.Errorf("response: group %s is inhibited and has no group_interval to flush again on", in.key))
			return false
		}
		flush = flush.Add(in.groupInterval)
	}
}
