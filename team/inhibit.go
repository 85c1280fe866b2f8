package team

import (
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Inhibition is why an alert is muted: inhibit_rules[Rule] of the file,
// with the firing alert Source (an index into the alerts given to
// Inhibited) on its source side.
type Inhibition struct {
	Rule   int
	Source int
}

// InhibitRules is how many inhibit_rules the file has.
func (a *Alertmanager) InhibitRules() int { return len(a.inhibit) }

// InhibitRulePos is where inhibit_rules[i] begins in File (zero when
// unknown).
func (a *Alertmanager) InhibitRulePos(i int) Pos {
	if i < 0 || i >= len(a.inhibitPos) {
		return Pos{}
	}
	return a.inhibitPos[i]
}

// InhibitRuleMatches says whether labels match the source side and the
// target side of inhibit_rules[i], through Alertmanager's own matchers.
func (a *Alertmanager) InhibitRuleMatches(i int, labels map[string]string) (source, target bool) {
	if i < 0 || i >= len(a.inhibit) {
		return false, false
	}
	ls := labelSet(labels)
	return a.inhibit[i].SourceMatchers.Matches(ls), a.inhibit[i].TargetMatchers.Matches(ls)
}

// Inhibited says whether the inhibit_rules mute an alert with labels
// target while the alerts firing fire, as Alertmanager's Inhibitor.Mutes
// decides it: the first rule, in file order, whose target matchers match
// the alert and for which some firing alert matches the source matchers
// and has the same value for every label of equal (a label an alert lacks
// is the empty value). When the alert matches the rule's source side too,
// source alerts that also match its target side are passed over, so an
// alert never inhibits itself (nor does one of its own kind). firing may
// hold the target itself. The matchers are Alertmanager's
// (inhibit.NewInhibitRule); which alerts fire, at which drill instant, is
// the caller's to say: Alertmanager's Inhibitor reads it from its alert
// provider at the wall clock's now, which a drill does not run on.
// Of several inhibiting alerts the first in firing is named.
func (a *Alertmanager) Inhibited(target map[string]string, firing []map[string]string) (Inhibition, bool) {
	if len(a.inhibit) == 0 {
		return Inhibition{}, false
	}
	tl := labelSet(target)
	var fl []model.LabelSet
	for i, r := range a.inhibit {
		if !r.TargetMatchers.Matches(tl) {
			continue
		}
		twoSided := r.SourceMatchers.Matches(tl)
		if fl == nil {
			fl = make([]model.LabelSet, len(firing))
			for j, f := range firing {
				fl[j] = labelSet(f)
			}
		}
		for j, sl := range fl {
			if !r.SourceMatchers.Matches(sl) || (twoSided && r.TargetMatchers.Matches(sl)) {
				continue
			}
			equal := true
			for n := range r.Equal {
				if sl[n] != tl[n] {
					equal = false
					break
				}
			}
			if equal {
				return Inhibition{Rule: i, Source: j}, true
			}
		}
	}
	return Inhibition{}, false
}

func labelSet(labels map[string]string) model.LabelSet {
	ls := make(model.LabelSet, len(labels))
	for k, v := range labels {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// inhibitPositions finds where each inhibit_rules[i] begins in a file
// Alertmanager's loader accepted; positions are for messages only.
func inhibitPositions(data []byte) []Pos {
	var out []Pos
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	top := doc.Content[0]
	for i := 0; top.Kind == yaml.MappingNode && i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "inhibit_rules" || top.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range top.Content[i+1].Content {
			out = append(out, posOf(r))
		}
	}
	return out
}

// TimeMuted says whether a route with these mute_time_intervals and
// active_time_intervals (AMMatch's) sends nothing at instant at, as
// Alertmanager's notification pipeline decides at a flush (its
// TimeActiveStage, then its TimeMuteStage): outside every one of its
// active_time_intervals (when it has some: outsideActive, by names them
// all), or inside one of its mute_time_intervals (by names those it is
// inside). The instant is drill time: the drill clock's own wall time,
// the one the on-call schedules are read at. An unknown interval name is
// an error (Alertmanager's loader refuses a route that names one).
func (a *Alertmanager) TimeMuted(mute, active []string, at time.Time) (muted, outsideActive bool, by []string, err error) {
	if len(active) > 0 {
		in, _, err := a.intervals.Mutes(active, at)
		if err != nil {
			return false, false, nil, err
		}
		if !in {
			return true, true, active, nil
		}
	}
	if len(mute) > 0 {
		muted, by, err := a.intervals.Mutes(mute, at)
		return muted, false, by, err
	}
	return false, false, nil, nil
}

// InhibitRuleMayMatch says whether an alert whose known labels are these
// may match the source side and the target side of inhibit_rules[i]: each
// of Alertmanager's matchers of the side over a known label is decided on
// its value; one over a label not known (from the rule's series, or
// Prometheus' external labels) may match. For lint: false is certain,
// true is possible.
func (a *Alertmanager) InhibitRuleMayMatch(i int, known map[string]string) (source, target bool) {
	if i < 0 || i >= len(a.inhibit) {
		return false, false
	}
	may := func(ms []*labels.Matcher) bool {
		for _, m := range ms {
			if v, ok := known[m.Name]; ok && !m.Matches(v) {
				return false
			}
		}
		return true
	}
	return may(a.inhibit[i].SourceMatchers), may(a.inhibit[i].TargetMatchers)
}
