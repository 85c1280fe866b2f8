package features

import (
	"regexp"
	"sort"
	"strings"

	"github.com/drillkit/drill/internal/textdist"
)

// A hint for an undefined step is the closest catalog steps written with
// the trainer's own values: the names they quoted, the durations,
// percentages, rates, amounts and factors they wrote. It is never a Go
// snippet: a trainer fixes the line, not the catalog.

// valueFinders find the values a trainer wrote in a step line, by kind,
// in the order tried (a duration before a bare number).
var valueFinders = []struct {
	kinds []string // the placeholders a value found fills
	re    *regexp.Regexp
}{
	{nil, regexp.MustCompile(`"[^"]+"`)}, // names and PromQL: every name kind
	{[]string{"percent"}, regexp.MustCompile(`(?i)\b` + percentDigits)},
	{[]string{"money"}, regexp.MustCompile(`(?i)` + kinds["money"].pattern)}, // before rates: $5 per minute is money
	{[]string{"rate"}, regexp.MustCompile(`(?i)\b` + kinds["rate"].pattern)},
	{[]string{"duration", "latency"}, regexp.MustCompile(`(?i)\b` + durationPat + `\b`)},
	{[]string{"factor"}, regexp.MustCompile(`(?i)\b` + kinds["factor"].pattern)},
	{[]string{"status"}, regexp.MustCompile(`\b[1-5]\d\d\b`)},
	{[]string{"count", "number"}, regexp.MustCompile(`\b\d+(?:\.\d+)?\b`)},
}

// trainerValues are the values of a step line by placeholder kind, in
// the order written; quoted text fills every name kind and PromQL.
func trainerValues(text string) map[string][]string {
	out := map[string][]string{}
	taken := make([]bool, len(text))
	for _, vf := range valueFinders {
		for _, loc := range vf.re.FindAllStringIndex(text, -1) {
			free := true
			for i := loc[0]; i < loc[1]; i++ {
				free = free && !taken[i]
			}
			if !free {
				continue
			}
			for i := loc[0]; i < loc[1]; i++ {
				taken[i] = true
			}
			v := text[loc[0]:loc[1]]
			ks := vf.kinds
			if ks == nil {
				ks = []string{"promql"}
				for k := range nameKinds {
					ks = append(ks, k)
				}
			}
			for _, k := range ks {
				out[k] = append(out[k], v)
			}
		}
	}
	return out
}

// fill writes a catalog step's canonical form with the trainer's values,
// kind by kind, in the order written: an optional part is kept when it
// holds a value the trainer wrote, a choice takes its first words, and a
// value the trainer did not write is the grammar's sample.
func fill(i int, vals map[string][]string) string {
	s := catalog[i]
	r := filler{vals: vals, used: map[string]int{}}
	return s.Keyword + " " + r.render(s.Form+s.suffix)
}

type filler struct {
	vals map[string][]string
	used map[string]int
}

func (r *filler) render(form string) string {
	var b strings.Builder
	for i := 0; i < len(form); i++ {
		switch c := form[i]; c {
		case '[', '(':
			end := closingBracket(form, i)
			alts := topAlternatives(form[i+1 : end])
			if c == '(' {
				b.WriteString(r.render(alts[0]))
			} else {
				for _, a := range alts {
					if r.wants(a) {
						b.WriteString(r.render(a))
						break
					}
				}
			}
			i = end
		case '{':
			end := strings.IndexByte(form[i:], '}')
			b.WriteString(r.value(form[i+1 : i+end]))
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// wants reports whether an optional part holds a value the trainer wrote
// and has not been used yet.
func (r *filler) wants(part string) bool {
	for _, m := range placeholderRE.FindAllStringSubmatch(part, -1) {
		if r.used[r.pool(m[1])] < len(r.vals[m[1]]) {
			return true
		}
	}
	return false
}

// pool is the kind whose count of used values a kind shares: one quoted
// string fills one name of any kind.
func (r *filler) pool(kind string) string {
	if _, ok := nameKinds[kind]; ok || kind == "promql" {
		return "quoted"
	}
	if kind == "latency" {
		return "duration"
	}
	return kind
}

func (r *filler) value(kind string) string {
	p := r.pool(kind)
	if vs := r.vals[kind]; r.used[p] < len(vs) {
		r.used[p]++
		return vs[r.used[p]-1]
	}
	return kinds[kind].sample
}

var placeholderRE = regexp.MustCompile(`\{(\w+)\}`)

func closingBracket(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '[', '(':
			depth++
		case ']', ')':
			if depth--; depth == 0 {
				return j
			}
		}
	}
	return len(s) - 1
}

// topAlternatives splits a choice's words at its top-level bars.
func topAlternatives(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Closest returns the n catalog steps nearest to a step line (by edit
// distance over words), each written with the line's own values, so a
// trainer can take one as it stands.
func Closest(text string, n int) []string {
	type cand struct {
		line string
		d    int
	}
	vals := trainerValues(text)
	words := strings.Fields(strings.ToLower(text))
	var cs []cand
	seen := map[string]bool{}
	for i := range catalog {
		line := fill(i, vals)
		if seen[line] {
			continue
		}
		seen[line] = true
		body := strings.Fields(strings.ToLower(strings.TrimSpace(strings.TrimPrefix(line, catalog[i].Keyword))))
		cs = append(cs, cand{line, textdist.Levenshtein(words, body) + subjectPenalty(words, body) + unused(vals, line) + 2*missing(words, body)})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.line)
	}
	return out
}

// subjects are the words that say what a step is about: a line about a
// provider is closer to a provider step than to an API step written
// with the same other words.
var subjects = []string{"provider", "api", "alert", "page", "team", "runbook", "traffic", "responder", "role", "stream", "fault", "quota", "commander", "status", "clock", "window", "spend", "error"}

// subjectPenalty is 2 for each subject word of the line the step lacks,
// and 1 for each the step has that the line does not.
func subjectPenalty(line, step []string) int {
	has := func(ws []string, w string) bool {
		for _, x := range ws {
			x = strings.Trim(x, `"'.,`)
			if x == w || strings.TrimSuffix(x, "'s") == w || strings.TrimSuffix(x, "s") == w {
				return true
			}
		}
		return false
	}
	n := 0
	for _, w := range subjects {
		switch l, s := has(line, w), has(step, w); {
		case l && !s:
			n += 2
		case s && !l:
			n++
		}
	}
	return n
}

// unused counts the trainer's values a step written with them left out:
// a step that takes what the trainer wrote is the closer.
func unused(vals map[string][]string, line string) int {
	seen := map[string]bool{}
	n := 0
	for _, vs := range vals {
		for _, v := range vs {
			if !seen[v] {
				seen[v] = true
				if !strings.Contains(line, v) {
					n++
				}
			}
		}
	}
	return n
}

// missing counts the words of the line that the step lacks, values and
// the commonest words left out: a step that says what the trainer said
// ("rate limited") is the closer, even when it says more.
func missing(line, step []string) int {
	in := map[string]bool{}
	for _, w := range step {
		in[strings.Trim(w, `"'.,:`)] = true
	}
	n := 0
	for _, w := range line {
		w = strings.Trim(w, `"'.,:`)
		if len(w) < 4 || in[w] || strings.ContainsAny(w, "0123456789$%") || commonWord[w] {
			continue
		}
		n++
	}
	return n
}

// commonWord are words that say little about which step a line means.
var commonWord = map[string]bool{"with": true, "from": true, "that": true, "then": true, "when": true, "within": true, "after": true, "minutes": true, "seconds": true, "hours": true, "minute": true, "second": true, "hour": true}
