package scoring

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// sandboxStrength orders the isolations from the strongest: a merged run
// had the weakest any of its shards had.
var sandboxStrength = []string{"bwrap+netns", "bwrap", "process-group+netns", "process-group"}

// Merge joins the scorecards of every shard of one run (drill run --shard
// I/N, then drill merge) into the scorecard of the whole run: its
// scenarios in the order an unsharded run gives them (feature file, line,
// repetition), and its Summary recomputed from them by Summarize, so it
// equals the unsharded run's but for the run ID and wall times. names[i]
// names cards[i] in errors (its directory); it may be nil.
//
// It refuses, naming the shards: a scorecard that is not a shard's; shards
// that disagree on team, selection, shard total, run seed, speed or
// repetitions; a shard given twice; a missing shard ("shard 2 of 4
// missing"); and shards whose scenarios are not the selection's count.
// The merged run is interrupted when a shard was; its sandbox is the
// weakest a shard had; its lint findings are the first shard's (every
// shard lints the same team); its blocked connections are summed per
// address. It has no Shard.
func Merge(cards []*Scorecard, names []string) (*Scorecard, error) {
	name := func(i int) string {
		if i < len(names) && names[i] != "" {
			return names[i]
		}
		return fmt.Sprintf("scorecard %d", i+1)
	}
	if len(cards) == 0 {
		return nil, errors.New("no shard to merge")
	}
	for i, c := range cards {
		if c.Shard == nil {
			return nil, fmt.Errorf("%s: not the scorecard of a shard (no shard field): run each shard with drill run --shard I/N", name(i))
		}
	}
	first := cards[0]
	agree := func(what string, get func(*Scorecard) string) error {
		for i, c := range cards[1:] {
			if a, b := get(first), get(c); a != b {
				return fmt.Errorf("the shards disagree on %s: %s has %s, %s has %s", what, name(0), a, name(i+1), b)
			}
		}
		return nil
	}
	if err := errors.Join(
		agree("the team", func(c *Scorecard) string { return fmt.Sprintf("%q", c.Team) }),
		agree("the selection", func(c *Scorecard) string {
			return fmt.Sprintf("%s (%d scenarios)", c.Shard.Selection, c.Shard.Selected)
		}),
		agree("the shard total", func(c *Scorecard) string { return fmt.Sprint(c.Shard.Total) }),
		agree("the shard plan (--shard-plan balanced them on different histories: start every shard before any saves its run, or give them one history snapshot)",
			func(c *Scorecard) string { return cmp.Or(c.Shard.Plan, "the count split") }),
		agree("the run seed", func(c *Scorecard) string { return fmt.Sprint(c.Seed) }),
		agree("the speed", func(c *Scorecard) string { return fmt.Sprintf("×%g", c.Speed) }),
		agree("the repetitions", func(c *Scorecard) string { return fmt.Sprint(max(c.Repeat, 1)) }),
		agree("the schema version", func(c *Scorecard) string { return fmt.Sprint(c.SchemaVersion) }),
	); err != nil {
		return nil, err
	}
	total := first.Shard.Total
	seen := make([]int, total) // index+1 of the card holding shard i
	for i, c := range cards {
		idx := c.Shard.Index
		if idx < 0 || idx >= total {
			return nil, fmt.Errorf("%s: shard index %d is outside 0 to %d", name(i), idx, total-1)
		}
		if seen[idx] != 0 {
			return nil, fmt.Errorf("shard %d of %d is given twice: %s and %s", idx, total, name(seen[idx]-1), name(i))
		}
		seen[idx] = i + 1
	}
	var missing []string
	for idx, at := range seen {
		if at == 0 {
			missing = append(missing, fmt.Sprintf("shard %d of %d missing", idx, total))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s (shards count from 0)", strings.Join(missing, ", "))
	}

	out := &Scorecard{
		SchemaVersion: first.SchemaVersion,
		RunID:         first.RunID + "-merged",
		Team:          first.Team,
		StartedAt:     first.StartedAt,
		FinishedAt:    first.FinishedAt,
		Speed:         first.Speed,
		Seed:          first.Seed,
		Repeat:        first.Repeat,
		Lint:          first.Lint,
		Sandbox:       first.Sandbox,
	}
	blocked := map[[2]string]*BlockedConnection{}
	for _, c := range cards {
		if c.StartedAt.Before(out.StartedAt) {
			out.StartedAt = c.StartedAt
		}
		if c.FinishedAt.After(out.FinishedAt) {
			out.FinishedAt = c.FinishedAt
		}
		out.Interrupted = out.Interrupted || c.Interrupted
		if slices.Index(sandboxStrength, c.Sandbox) > slices.Index(sandboxStrength, out.Sandbox) {
			out.Sandbox = c.Sandbox
		}
		out.Scenarios = append(out.Scenarios, c.Scenarios...)
		for _, b := range c.BlockedConnections {
			k := [2]string{b.Proto, b.Address}
			m := blocked[k]
			if m == nil {
				m = &BlockedConnection{Proto: b.Proto, Address: b.Address, First: b.First}
				blocked[k] = m
			}
			m.Count += b.Count
			if b.First.Before(m.First) {
				m.First = b.First
			}
			for _, by := range b.By {
				if !slices.Contains(m.By, by) {
					m.By = append(m.By, by)
				}
			}
		}
	}
	if want := first.Shard.Selected * max(first.Repeat, 1); len(out.Scenarios) != want && !out.Interrupted {
		return nil, fmt.Errorf("the shards hold %d scenario records, and their selection %d (%d scenarios × %d repetitions): a shard's scorecard is incomplete or edited", len(out.Scenarios), want, first.Shard.Selected, max(first.Repeat, 1))
	}
	for _, b := range blocked {
		out.BlockedConnections = append(out.BlockedConnections, *b)
	}
	slices.SortFunc(out.BlockedConnections, func(a, b BlockedConnection) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Address, b.Address))
	})
	slices.SortStableFunc(out.Scenarios, func(a, b Scenario) int {
		return cmp.Or(cmp.Compare(a.Feature, b.Feature), cmp.Compare(a.Line, b.Line), cmp.Compare(repetitionIndex(a), repetitionIndex(b)))
	})
	out.Summary = Summarize(out.Scenarios)
	return out, nil
}

func repetitionIndex(sc Scenario) int {
	if sc.Repetition == nil {
		return 0
	}
	return sc.Repetition.Index
}

// MergeCucumber joins the cucumber JSON reports godog wrote for the
// shards of one run, reports[i] beside the scorecard cards[i] and named
// names[i] in errors. Every shard's report lists every scenario of the
// run's feature files, those it did not run as skipped or failed; the
// merged report takes each scenario (an element of a feature, by its
// feature's uri and its line) from the shard whose scorecard holds that
// FILE:LINE, and refuses a scenario two shards ran.
func MergeCucumber(reports [][]byte, cards []*Scorecard, names []string) ([]byte, error) {
	type element = map[string]json.RawMessage
	type feature struct {
		fields   map[string]json.RawMessage
		elements []element
		from     []int // the report each element was taken from, -1 none ran it
	}
	var (
		order []string
		byURI = map[string]*feature{}
	)
	ranBy := make([]map[string]bool, len(cards))
	for i, c := range cards {
		ranBy[i] = map[string]bool{}
		for _, sc := range c.Scenarios {
			ranBy[i][fmt.Sprintf("%s:%d", sc.Feature, sc.Line)] = true
		}
	}
	bad := func(r int, err error) error {
		return fmt.Errorf("%s: not a cucumber JSON report: %v", names[r], err)
	}
	for r, report := range reports {
		var fs []map[string]json.RawMessage
		if err := json.Unmarshal(report, &fs); err != nil {
			return nil, bad(r, err)
		}
		for _, f := range fs {
			var uri string
			if err := json.Unmarshal(f["uri"], &uri); err != nil {
				return nil, bad(r, fmt.Errorf("a feature's uri: %v", err))
			}
			var els []element
			if raw, ok := f["elements"]; ok {
				if err := json.Unmarshal(raw, &els); err != nil {
					return nil, bad(r, err)
				}
			}
			m := byURI[uri]
			if m == nil {
				m = &feature{fields: f}
				byURI[uri] = m
				order = append(order, uri)
			}
			for _, el := range els {
				var line int
				if err := json.Unmarshal(el["line"], &line); err != nil {
					return nil, bad(r, fmt.Errorf("a scenario of %s: its line: %v", uri, err))
				}
				ran := ranBy[r][fmt.Sprintf("%s:%d", uri, line)]
				at := slices.IndexFunc(m.elements, func(e element) bool { return string(e["line"]) == string(el["line"]) })
				switch {
				case at < 0:
					m.elements = append(m.elements, el)
					m.from = append(m.from, -1)
					if ran {
						m.from[len(m.from)-1] = r
					}
				case ran && m.from[at] >= 0:
					return nil, fmt.Errorf("the scenario at %s:%d ran in two shards: %s and %s", uri, line, names[m.from[at]], names[r])
				case ran:
					m.elements[at], m.from[at] = el, r
				}
			}
		}
	}
	out := make([]map[string]json.RawMessage, 0, len(order))
	for _, uri := range order {
		m := byURI[uri]
		els, err := json.Marshal(m.elements)
		if err != nil {
			return nil, err
		}
		f := maps.Clone(m.fields)
		f["elements"] = els
		out = append(out, f)
	}
	return json.MarshalIndent(out, "", "    ")
}
