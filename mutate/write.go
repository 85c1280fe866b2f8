package mutate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report, gates []GateResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Gates []GateResult `json:"gates,omitempty"`
	}{r, gates})
}

func pct(s Score) string {
	if s.Counted == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*s.Score)
}

func wall(r *Report) string {
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
}

// WriteText writes the report as a terminal table: every mutant's
// outcome, the scores per file and per family, the survivors with what
// the drills fail to check, and the gates.
func WriteText(w io.Writer, r *Report, gates []GateResult) error {
	fmt.Fprintf(w, "drill mutate: team %s, seed %d, ×%g; %d of %d mutant(s) run in %s\n", r.Team, r.Seed, r.Speed, len(r.Results), r.Generated, wall(r))
	if r.Shard.Total > 0 {
		fmt.Fprintf(w, "shard %d of %d (from 0)\n", r.Shard.Index, r.Shard.Total)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: the report is partial")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tMUTANT\tRAN\tWHY")
	for _, res := range r.Results {
		why := res.Description
		switch res.Status {
		case Killed:
			why += " — killed by " + res.KilledBy[0].Place
			if k := res.KilledBy[0]; k.Reason != "" {
				why += " (" + cut(k.Reason, 100) + ")"
			}
		case Invalid:
			why += " — " + res.Invalid
		case Errored:
			why += " — " + res.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\n", strings.ToUpper(string(res.Status)), res.ID, res.Ran, len(res.Drills), why)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCORE\tKILLED\tSURVIVED\tINVALID\tERRORS\tOF")
	row := func(kind string, s Score) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s %s\n", pct(s), s.Killed, s.Survived, s.Invalid, s.Errors, kind, s.Name)
	}
	for _, s := range r.ByFile {
		row("file", s)
	}
	for _, s := range r.ByFamily {
		row("family", s)
	}
	all := r.Total
	all.Name = "mutants"
	row("all", all)
	tw.Flush()
	if surv := survivors(r); len(surv) > 0 {
		fmt.Fprintf(w, "\n%d survivor(s): what the drills fail to check\n", len(surv))
		for _, res := range surv {
			fmt.Fprintf(w, "  %s\n    %s\n    %s\n", res.ID, res.Description, res.Missing)
			if res.Differs != "" {
				fmt.Fprintf(w, "    on the recorded metrics it evaluates differently, unchecked: %s\n", res.Differs)
			}
			if res.Suggest != "" {
				fmt.Fprintf(w, "    add: %s\n", res.Suggest)
			}
		}
	}
	if len(r.Equivalent) > 0 {
		fmt.Fprintf(w, "\n%d equivalent mutant(s) left out, not run:\n", len(r.Equivalent))
		for _, m := range r.Equivalent {
			fmt.Fprintf(w, "  %s\n    %s\n    %s\n", m.ID, m.Description, equivalentWhy(m))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	writeGates(w, gates)
	return nil
}

// equivalentWhy is why a mutant is equivalent, with the drills it was
// judged on.
func equivalentWhy(m EquivalentMutant) string {
	if len(m.Drills) == 0 {
		return m.Reason
	}
	return m.Reason + ": " + strings.Join(m.Drills, ", ")
}

// cut shortens s to n characters.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func survivors(r *Report) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == Survived {
			out = append(out, res)
		}
	}
	return out
}

func writeGates(w io.Writer, gates []GateResult) {
	if len(gates) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, g := range gates {
		mark := "ok  "
		if !g.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "gate %s %s", mark, g.Gate)
		if g.Reason != "" {
			fmt.Fprintf(w, " (%s)", g.Reason)
		}
		fmt.Fprintln(w)
	}
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// WriteMarkdown writes the report for a pull request comment.
func WriteMarkdown(w io.Writer, r *Report, gates []GateResult) error {
	fmt.Fprintf(w, "## drill mutate: %s of %d mutant(s) killed (team %s)\n\n", pct(r.Total), r.Total.Counted, r.Team)
	fmt.Fprintf(w, "Seed %d, ×%g, %d of %d mutant(s) run in %s.", r.Seed, r.Speed, len(r.Results), r.Generated, wall(r))
	if r.Interrupted {
		fmt.Fprint(w, " **Interrupted: partial.**")
	}
	fmt.Fprint(w, "\n\n| score | killed | survived | invalid | errors | of |\n|---|---|---|---|---|---|\n")
	for _, s := range r.ByFamily {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | family %s |\n", pct(s), s.Killed, s.Survived, s.Invalid, s.Errors, s.Name)
	}
	for _, s := range r.ByFile {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | `%s` |\n", pct(s), s.Killed, s.Survived, s.Invalid, s.Errors, s.Name)
	}
	if surv := survivors(r); len(surv) > 0 {
		fmt.Fprintf(w, "\n### Survivors: what the drills fail to check\n\n| mutant | change | missing | add |\n|---|---|---|---|\n")
		for _, res := range surv {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", mdCell(res.ID), mdCell(res.Description), mdCell(res.Missing), mdCell(res.Suggest))
		}
	}
	if len(r.Equivalent) > 0 {
		fmt.Fprintf(w, "\n### Equivalent: left out, not run\n\n| mutant | change | why |\n|---|---|---|\n")
		for _, m := range r.Equivalent {
			fmt.Fprintf(w, "| `%s` | %s | %s |\n", mdCell(m.ID), mdCell(m.Description), mdCell(equivalentWhy(m)))
		}
	}
	fmt.Fprint(w, "\n### Every mutant\n\n| status | mutant | drills run |\n|---|---|---|\n")
	for _, res := range r.Results {
		fmt.Fprintf(w, "| %s | `%s` | %d of %d |\n", res.Status, mdCell(res.ID), res.Ran, len(res.Drills))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n> %s\n", mdCell(n))
	}
	if len(gates) > 0 {
		fmt.Fprint(w, "\n| gate | result |\n|---|---|\n")
		for _, g := range gates {
			res := "ok"
			if !g.OK {
				res = "**failed**: " + g.Reason
			}
			fmt.Fprintf(w, "| `%s` | %s |\n", mdCell(g.Gate), mdCell(res))
		}
	}
	return nil
}
