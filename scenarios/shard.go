package scenarios

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/scoring"
)

// MaxShards is the most shards a run is split into (Options.Shard, drill
// run --shard I/N): more than a CI matrix or an Indexed Job of one
// organisation's nightly drills needs, few enough that a merge names
// every missing one.
const MaxShards = 1000

// Shard is the share of the selection a run executes: Index from 0 to
// Total-1 (0-based, as Kubernetes numbers an Indexed Job's pods). A zero
// Total runs the whole selection.
type Shard struct {
	Index, Total int
	// Durations, when set (drill run --shard-plan), balance the shards by
	// time instead of count: each scenario's recorded real duration, by
	// its place FILE:LINE (see Plan). Every shard must be given the same.
	Durations map[string]time.Duration
}

// ParseShard reads "I/N" (drill run --shard), I from 0 to N-1 and N from
// 1 to MaxShards.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%q: want I/N, the shard index from 0 and the shard total, e.g. 0/4", s)
	}
	idx, err := strconv.Atoi(strings.TrimSpace(i))
	if err != nil {
		return Shard{}, fmt.Errorf("%q: the shard index %q is not a whole number", s, i)
	}
	total, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return Shard{}, fmt.Errorf("%q: the shard total %q is not a whole number", s, n)
	}
	sh := Shard{Index: idx, Total: total}
	if err := sh.Check(); err != nil {
		return sh, fmt.Errorf("%q: %v", s, err)
	}
	return sh, nil
}

// Check checks the shard: a total from 1 to MaxShards, an index from 0
// to the total less one.
func (s Shard) Check() error {
	if s.Total < 1 || s.Total > MaxShards {
		return fmt.Errorf("the shard total must be from 1 to %d, got %d", MaxShards, s.Total)
	}
	if s.Index < 0 || s.Index >= s.Total {
		return fmt.Errorf("the shard index counts from 0 and must be from 0 to %d for %d shards, got %d", s.Total-1, s.Total, s.Index)
	}
	return nil
}

// place is a scenario's "FILE:LINE", what its seed and its shard depend on.
func place(sc *features.Scenario) string { return sc.File + ":" + strconv.Itoa(sc.Line) }

// byPlace sorts scenarios by feature file, then line: the order of a
// run's scorecard.
func byPlace(scs []*features.Scenario) []*features.Scenario {
	out := slices.Clone(scs)
	slices.SortStableFunc(out, func(a, b *features.Scenario) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return out
}

// SelectionDigest is "sha256:" and the hex SHA-256 of the scenarios'
// places FILE:LINE, sorted by file then line, each followed by a newline:
// the same selection gives the same digest on every machine.
func SelectionDigest(scs []*features.Scenario) string {
	h := sha256.New()
	for _, sc := range byPlace(scs) {
		h.Write([]byte(place(sc) + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Share is the scenarios of shard s: the selection sorted by feature
// file then line, and dealt round-robin, the scenario at position p (from
// 0) to shard p mod Total. Shards so differ by at most one scenario, and
// each depends only on the selection, so shards agree without talking.
// A shard may be empty when there are more shards than scenarios.
//
// With Durations, the shards are those of Plan instead.
func (s Shard) Share(scs []*features.Scenario) []*features.Scenario {
	if s.Total <= 1 {
		return byPlace(scs)
	}
	sorted := byPlace(scs)
	plan, _ := s.Plan(sorted)
	var out []*features.Scenario
	for p, sc := range sorted {
		if plan[p] == s.Index {
			out = append(out, sc)
		}
	}
	return out
}

// Plan is the shard of each scenario of scs, in the order of byPlace(scs),
// and how many of them had a recorded duration. Without Durations, or
// when none of scs has one, it is round-robin by place (Share's count
// split). Otherwise it is longest-processing-time first: scenarios from
// the longest recorded duration down (ties by place), each to the shard
// with the least time so far (ties: the lowest index); a scenario with no
// duration counts as the median of those with one. Durations are taken
// in whole milliseconds, so the plan is integer arithmetic and the same
// on every machine given the same Durations.
func (s Shard) Plan(scs []*features.Scenario) (plan []int, known int) {
	sorted := byPlace(scs)
	plan = make([]int, len(sorted))
	total := max(s.Total, 1)
	ms := make([]int64, len(sorted))
	var have []int64
	for i, sc := range sorted {
		if d, ok := s.Durations[place(sc)]; ok && d > 0 {
			ms[i] = max(d.Milliseconds(), 1)
			have = append(have, ms[i])
		}
	}
	if len(have) == 0 {
		for p := range sorted {
			plan[p] = p % total
		}
		return plan, 0
	}
	slices.Sort(have)
	fill := have[(len(have)-1)/2] // the lower median: an integer
	for i := range ms {
		if ms[i] == 0 {
			ms[i] = fill
		}
	}
	order := make([]int, len(sorted))
	for i := range order {
		order[i] = i
	}
	// stable on byPlace order: equal durations go by place
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ms[b], ms[a]) })
	load := make([]int64, total)
	for _, i := range order {
		least := 0
		for sh := 1; sh < total; sh++ {
			if load[sh] < load[least] {
				least = sh
			}
		}
		plan[i] = least
		load[least] += ms[i]
	}
	return plan, len(have)
}

// planDigest is "sha256:" and the hex SHA-256 of each scenario's place and
// shard, "FILE:LINE INDEX" a line in place order, for a plan by
// durations; "" for the count split, which the selection digest fixes.
// Shards that computed different plans (their histories differed) have
// different digests, and drill merge refuses them.
func (s Shard) planDigest(scs []*features.Scenario) string {
	if s.Total <= 1 || s.Durations == nil {
		return ""
	}
	plan, known := s.Plan(scs)
	if known == 0 {
		return ""
	}
	h := sha256.New()
	for p, sc := range byPlace(scs) {
		fmt.Fprintf(h, "%s %d\n", place(sc), plan[p])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// record is the scorecard's record of the shard of sel.
func (s Shard) record(sel *Selection) *scoring.Shard {
	if s.Total == 0 {
		return nil
	}
	return &scoring.Shard{Index: s.Index, Total: s.Total, Selection: sel.Digest, Selected: sel.Selected, Plan: sel.Plan}
}
