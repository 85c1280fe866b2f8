package textdist

import (
	"sort"
	"strings"
)

// Levenshtein is the edit distance between a and b: the fewest
// insertions, deletions and substitutions that turn one into the other.
// Compare bytes for names, words for sentences.
func Levenshtein[T comparable](a, b []T) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns up to n of the known names nearest to name by edit
// distance over bytes, case-insensitively, nearest first (ties in the
// order of known), each once. Names that differ in more than half of
// name's letters (and more than 2) are left out as no likely typo, unless
// none is nearer: then the n nearest are returned, to show what exists.
func Closest(name string, known []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	lower := []byte(strings.ToLower(name))
	seen := make(map[string]bool, len(known))
	cs := make([]cand, 0, len(known))
	for _, k := range known {
		if seen[k] {
			continue
		}
		seen[k] = true
		cs = append(cs, cand{k, Levenshtein(lower, []byte(strings.ToLower(k)))})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	cs = cs[:min(max(n, 0), len(cs))]
	limit := max(2, len(lower)/2)
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.d <= limit {
			out = append(out, c.name)
		}
	}
	if len(out) == 0 {
		for _, c := range cs {
			out = append(out, c.name)
		}
	}
	return out
}
