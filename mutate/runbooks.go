package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/drillkit/drill/team"
)

// The operators on runbooks.
const (
	OpStepRemoved         = "mitigation-step-removed"
	OpStepNoop            = "mitigation-command-noop"
	OpVerificationRemoved = "verification-removed"
	OpReordered           = "steps-reordered"
)

// noop is what a mutated step's command becomes.
const noop = "true # drill mutate: this step's command was removed\n"

// mdStep is one step of a runbook section in the source: a list item or
// a top-level fenced block, from the start of its first line to the
// start of the next step or block.
type mdStep struct {
	start, end int
	name       string   // the step's name attribute, else its 1-based index
	code       [][2]int // byte ranges of its executable blocks' content
}

// mdSection is a level-2 section: its body (after the heading line) and
// its steps.
type mdSection struct {
	name       string
	start, end int
	steps      []mdStep
}

var md = goldmark.New()

// mdSections locates the level-2 sections of a runbook and their steps.
func mdSections(src []byte) []mdSection {
	doc := md.Parser().Parse(text.NewReader(src))
	lineStart := func(off int) int {
		if i := bytes.LastIndexByte(src[:off], '\n'); i >= 0 {
			return i + 1
		}
		return 0
	}
	var firstPos func(n ast.Node) int
	firstPos = func(n ast.Node) int {
		if fb, ok := n.(*ast.FencedCodeBlock); ok && fb.Info != nil {
			return fb.Info.Segment.Start
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return n.Lines().At(0).Start
		}
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if p := firstPos(c); p >= 0 {
				return p
			}
		}
		return -1
	}
	// startAfter is where the first node from n on that has a position
	// starts its line, else the end of the file.
	startAfter := func(n ast.Node) int {
		for ; n != nil; n = n.NextSibling() {
			if p := firstPos(n); p >= 0 {
				return lineStart(p)
			}
		}
		return len(src)
	}
	executable := func(fb *ast.FencedCodeBlock) (bool, string) {
		if fb.Info == nil {
			return false, ""
		}
		info := strings.TrimSpace(string(fb.Info.Segment.Value(src)))
		lang, attrs, _ := strings.Cut(info, " ")
		if i := strings.IndexByte(lang, '{'); i >= 0 {
			lang, attrs = lang[:i], lang[i:]+" "+attrs
		}
		switch strings.ToLower(lang) {
		case "sh", "bash", "shell":
		default:
			return false, ""
		}
		var a struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal([]byte(strings.TrimSpace(attrs)), &a)
		return true, a.Name
	}
	stepOf := func(n ast.Node, next ast.Node) (mdStep, bool) {
		st := mdStep{start: lineStart(firstPos(n)), end: startAfter(next)}
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			fb, ok := c.(*ast.FencedCodeBlock)
			if !entering || !ok {
				return ast.WalkContinue, nil
			}
			if ok, name := executable(fb); ok && fb.Lines().Len() > 0 {
				l := fb.Lines()
				st.code = append(st.code, [2]int{l.At(0).Start, l.At(l.Len() - 1).Stop})
				if st.name == "" {
					st.name = name
				}
			}
			return ast.WalkSkipChildren, nil
		})
		return st, st.start >= 0
	}
	var out []mdSection
	var cur *mdSection
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level <= 2 {
			if cur != nil {
				cur.end = startAfter(n)
				out = append(out, *cur)
				cur = nil
			}
			if h.Level == 2 {
				var title bytes.Buffer
				for i := 0; i < h.Lines().Len(); i++ {
					seg := h.Lines().At(i)
					title.Write(seg.Value(src))
				}
				bodyStart := len(src)
				if h.Lines().Len() > 0 {
					if i := bytes.IndexByte(src[h.Lines().At(0).Start:], '\n'); i >= 0 {
						bodyStart = h.Lines().At(0).Start + i + 1
					}
				}
				cur = &mdSection{name: strings.TrimSpace(title.String()), start: bodyStart}
			}
			continue
		}
		if cur == nil || firstPos(n) < 0 {
			continue
		}
		switch n := n.(type) {
		case *ast.List:
			for it := n.FirstChild(); it != nil; it = it.NextSibling() {
				next := it.NextSibling()
				if next == nil {
					next = n.NextSibling()
				}
				if st, ok := stepOf(it, next); ok {
					cur.steps = append(cur.steps, st)
				}
			}
		case *ast.FencedCodeBlock:
			if st, ok := stepOf(n, n.NextSibling()); ok && len(st.code) > 0 {
				cur.steps = append(cur.steps, st)
			}
		}
	}
	if cur != nil {
		cur.end = len(src)
		out = append(out, *cur)
	}
	for i := range out {
		for j := range out[i].steps {
			if out[i].steps[j].name == "" {
				out[i].steps[j].name = fmt.Sprint(j + 1)
			}
		}
	}
	return out
}

// splice replaces src[from:to] with with.
func splice(src []byte, from, to int, with []byte) []byte {
	out := make([]byte, 0, len(src)-(to-from)+len(with))
	out = append(out, src[:from]...)
	out = append(out, with...)
	return append(out, src[to:]...)
}

func runbookMutants(t *team.Team, _ GenOptions) ([]*Mutant, error) {
	names := t.Config.Lint.Sections
	var out []*Mutant
	for _, rb := range t.Runbooks {
		src, err := readTeamFile(t, rb.File)
		if err != nil {
			return nil, err
		}
		alerts := runbookAlerts(t, rb)
		var mit, ver *mdSection
		secs := mdSections(src)
		for i := range secs {
			switch {
			case strings.EqualFold(secs[i].name, names.Mitigation):
				mit = &secs[i]
			case strings.EqualFold(secs[i].name, names.Verification):
				ver = &secs[i]
			}
		}
		mk := func(op, target, desc string, content []byte) {
			m := newMutant(rb.File, Runbooks, op, target)
			m.Description = fmt.Sprintf("runbook %s: %s", rb.ID, desc)
			m.Alerts = alerts
			m.content = content
			out = append(out, m)
		}
		if mit != nil {
			for _, st := range mit.steps {
				mk(OpStepRemoved, "mitigation/"+st.name, fmt.Sprintf("%s step %s removed", names.Mitigation, st.name), splice(src, st.start, st.end, nil))
				if len(st.code) == 0 {
					continue
				}
				c := src
				for i := len(st.code) - 1; i >= 0; i-- { // from the end, so earlier offsets hold
					c = splice(c, st.code[i][0], st.code[i][1], []byte(noop))
				}
				mk(OpStepNoop, "mitigation/"+st.name, fmt.Sprintf("%s step %s's command turned into a no-op (true)", names.Mitigation, st.name), c)
			}
		}
		if ver != nil && len(ver.steps) > 0 {
			first, last := ver.steps[0], ver.steps[len(ver.steps)-1]
			mk(OpVerificationRemoved, "verification", fmt.Sprintf("every %s step removed", names.Verification), splice(src, first.start, last.end, nil))
		}
		switch {
		case mit != nil && len(mit.steps) >= 2:
			a, b := mit.steps[0], mit.steps[1]
			swapped := append(append([]byte{}, src[b.start:b.end]...), src[a.start:a.end]...)
			mk(OpReordered, "mitigation", fmt.Sprintf("%s steps %s and %s swapped", names.Mitigation, a.name, b.name), splice(src, a.start, b.end, swapped))
		case mit != nil && ver != nil && len(mit.steps) > 0 && len(ver.steps) > 0 && mit.end <= ver.start:
			// one mitigation step: verification runs before it
			m0, m1 := mit.steps[0].start, mit.steps[len(mit.steps)-1].end
			v0, v1 := ver.steps[0].start, ver.steps[len(ver.steps)-1].end
			c := splice(src, v0, v1, src[m0:m1])
			c = splice(c, m0, m1, src[v0:v1])
			mk(OpReordered, "mitigation", fmt.Sprintf("the %s steps swapped with the %s steps: it checks before it acts", names.Mitigation, names.Verification), c)
		}
	}
	return out, nil
}

// runbookAlerts are the alerts a runbook answers: its front matter's,
// and the alerts whose runbook link resolves to it.
func runbookAlerts(t *team.Team, rb *team.Runbook) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range rb.Alerts {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, r := range t.Alerts() {
		if got, ok := t.RunbookForAlert(r); ok && got == rb && !seen[r.Alert] {
			seen[r.Alert] = true
			out = append(out, r.Alert)
		}
	}
	return out
}
