package team

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"
)

// Runbook is a Markdown runbook: YAML front matter, then sections (level-2
// headings) holding ordered steps.
type Runbook struct {
	ID           string   `yaml:"id"` // defaults to the file name without .md
	Owner        string   `yaml:"owner"`
	Alerts       []string `yaml:"alerts"`
	Escalation   string   `yaml:"escalation"`
	LastReviewed Date     `yaml:"last_reviewed"` // zero when missing
	ReviewEvery  Duration `yaml:"review_every"`  // zero: lint.review.every applies
	Services     []string `yaml:"services"`

	Title    string    `yaml:"-"` // the level-1 heading
	File     string    `yaml:"-"`
	Line     int       `yaml:"-"` // first line of the front matter
	Sections []Section `yaml:"-"`

	keyLines map[string]int // front matter key → line
}

// LineOf is the line of a front matter key, or of the front matter.
func (r *Runbook) LineOf(key string) int {
	if l, ok := r.keyLines[key]; ok {
		return l
	}
	return r.Line
}

// Section is a level-2 heading and the steps under it.
type Section struct {
	Name  string
	Line  int
	Steps []Step
	// Refs are the inline code spans of the section (`sre`,
	// `incident_commander`): in the Escalation section they name teams,
	// policies, schedules, users or roles, and lint checks that they exist.
	Refs []Ref
}

// Ref is one inline code span of a section and its line.
type Ref struct {
	Text string
	Line int
}

// Section returns the section named name, compared case-insensitively.
func (r *Runbook) Section(name string) (*Section, bool) {
	for i := range r.Sections {
		if strings.EqualFold(r.Sections[i].Name, name) {
			return &r.Sections[i], true
		}
	}
	return nil, false
}

// Step is one step of a section: a list item or a fenced block. A fenced
// sh/bash block is executable (Lang, Code, and Runme-style attributes from
// its info string, e.g. sh {"name":"cap-spend"}); a list item without one
// is a manual step.
type Step struct {
	Index  int // 1-based within the section
	Text   string
	Manual bool
	Lang   string
	Code   string
	Name   string
	Attrs  map[string]any
	// Run is how the step runs, from the Runme attributes drill honours.
	Run  StepRun
	File string
	Line int

	// Concrete says a manual step names a command in `code` or links
	// somewhere; executable steps are concrete.
	Concrete bool
}

// StepRun is how an executable step runs, from its Runme attributes:
// cwd, interpreter, excludeFromRunAll, background, promptEnv, and
// ignoreErrors or continueOnError. A boolean attribute is JSON true or
// false, or a string Runme writes ("true", "yes", "1"; "false", "no",
// "0"; promptEnv also "auto", which answers as true does).
type StepRun struct {
	// Cwd is the directory the step starts in, relative to the step's
	// working directory (which stands for the runbook's directory: the
	// team's repository is hidden from steps); "" is the directory itself.
	// It is created empty. One written absolute or leaving upward names a
	// directory of the host the runbook is written for: the step runs in
	// its own directory (Cwd ""), and lint reports the attribute ignored.
	Cwd string
	// Interpreter runs the code: "bash" (the default, also when empty, as
	// bash -euo pipefail), "sh" (sh -eu) or "python3" (the default of a
	// python block). A path ending in one of them (/bin/sh) names it;
	// another runs with bash, and lint reports the attribute ignored.
	Interpreter string
	// ExcludeFromRunAll leaves the step out of a drill, which follows the
	// runbook as Runme's run-all does.
	ExcludeFromRunAll bool
	// Background starts the step and goes on to the next one without
	// waiting; its process group is ended when the runbook ends.
	Background bool
	// PromptEnv answers the block's export NAME=... lines (Runme's
	// prompts) with drill.yaml's variable NAME where it is bound.
	PromptEnv bool
	// IgnoreErrors (ignoreErrors or continueOnError) lets the runbook go
	// on past the step when it fails or times out.
	IgnoreErrors bool
}

// Interpreters drill runs steps with.
var Interpreters = []string{"bash", "sh", "python3"}

var executableLangs = map[string]bool{"sh": true, "bash": true, "shell": true}

// pythonLangs are block languages that run with python3 when the block is
// named or gives an interpreter; unnamed, they are examples.
var pythonLangs = map[string]bool{"python": true, "python3": true, "py": true}

// parseRun reads the Runme attributes drill honours into st.Run; a value
// of the wrong type or out of range is a problem at the block.
func parseRun(st *Step) Problems {
	var probs Problems
	bad := func(attr, msg string) {
		probs = append(probs, Problem{File: st.File, Line: st.Line, Col: 1, Field: "code block " + attr, Msg: msg})
	}
	flag := func(attr string, auto bool) bool {
		v, ok := st.Attrs[attr]
		if !ok {
			return false
		}
		switch v := v.(type) {
		case bool:
			return v
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true", "yes", "1":
				return true
			case "auto":
				if auto {
					return true
				}
			case "false", "no", "0", "":
				return false
			}
		}
		want := "true or false"
		if auto {
			want = "true, false or auto"
		}
		bad(attr, fmt.Sprintf("expected %s, got %s", want, teamfile.Excerpt(fmt.Sprint(v))))
		return false
	}
	r := &st.Run
	r.ExcludeFromRunAll = flag("excludeFromRunAll", false)
	r.Background = flag("background", false)
	r.PromptEnv = flag("promptEnv", true)
	r.IgnoreErrors = flag("ignoreErrors", false) || flag("continueOnError", false)
	if v, ok := st.Attrs["cwd"]; ok {
		s, isStr := v.(string)
		c := path.Clean(strings.ReplaceAll(s, "\\", "/"))
		switch {
		case !isStr:
			bad("cwd", "expected a directory path as a string")
		case s == "" || path.IsAbs(s) || c == ".." || strings.HasPrefix(c, "../"):
			// a directory of the host the runbook is written for: the
			// step runs in its own directory, and lint says so
		case c != ".":
			r.Cwd = c
		}
	}
	if pythonLangs[st.Lang] {
		r.Interpreter = "python3"
	}
	if v, ok := st.Attrs["interpreter"]; ok {
		s, isStr := v.(string)
		base := path.Base(strings.TrimSpace(s))
		switch {
		case !isStr:
			bad("interpreter", "expected the interpreter's name as a string")
		case slices.Contains(Interpreters, base):
			r.Interpreter = base
		}
		// another runs with bash, and lint says so
	}
	return probs
}

var md = goldmark.New()

// ParseRunbook reads one runbook. file names it in problems.
func ParseRunbook(file string, data []byte) (*Runbook, error) {
	if teamfile.Text(file, data, "a Markdown runbook") != nil {
		return nil, Problems{{File: file, Msg: teamfile.NotText("a Markdown runbook")}}
	}
	// A byte-order mark is dropped by teamfile's reader already; bytes
	// handed in another way get the same reading.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	src := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	rb := &Runbook{File: file}
	var probs Problems
	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines) == 0 || strings.TrimRight(string(lines[0]), " \n") != "---" {
		return nil, Problems{{File: file, Line: 1, Col: 1, Msg: "missing front matter; expected the file to start with a --- line, YAML (id, owner, alerts, last_reviewed, ...), and a closing --- line"}}
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if l := strings.TrimRight(string(lines[i]), " \n"); l == "---" || l == "..." {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, Problems{{File: file, Line: 1, Col: 1, Msg: "front matter is not closed; expected a --- line after it"}}
	}
	// Blank the fences so YAML and Markdown positions are the file's own.
	var fm, body bytes.Buffer
	for i, l := range lines {
		switch {
		case i == 0 || i == end:
			fm.WriteString("\n")
			body.WriteString("\n")
		case i < end:
			fm.Write(l)
			body.WriteString("\n")
		default:
			body.Write(l)
		}
	}
	rb.Line = 1
	doc, fmProbs := strictyaml.Decode(file, fm.Bytes(), rb)
	probs = append(probs, fmProbs...)
	rb.keyLines = map[string]int{}
	if root := doc.Root; root != nil && root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			rb.keyLines[root.Content[i].Value] = root.Content[i].Line
		}
	}
	if rb.ID == "" {
		rb.ID = strings.TrimSuffix(path.Base(file), path.Ext(file))
	}
	if rb.ReviewEvery < 0 {
		probs = append(probs, Problem{File: file, Field: "review_every", Msg: "expected a positive duration"})
	}
	probs = append(probs, rb.parseBody(body.Bytes())...)
	if len(probs) > 0 {
		probs.Sort()
		return rb, probs
	}
	return rb, nil
}

func (rb *Runbook) parseBody(src []byte) Problems {
	var starts []int // byte offset of each line start
	starts = append(starts, 0)
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	lineOf := func(off int) int { return sort.Search(len(starts), func(i int) bool { return starts[i] > off }) }
	linesText := func(n ast.Node) string {
		var b strings.Builder
		l := n.Lines()
		for i := 0; i < l.Len(); i++ {
			s := l.At(i)
			b.Write(s.Value(src))
		}
		return strings.TrimSpace(b.String())
	}
	nodeLine := func(n ast.Node) int {
		if p := n.Pos(); p >= 0 {
			return lineOf(p)
		}
		if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
			return lineOf(n.Lines().At(0).Start)
		}
		return 0
	}

	var probs Problems
	doc := md.Parser().Parse(text.NewReader(src))
	var cur *Section
	// step builds the steps of one list item or top-level fenced block.
	addSteps := func(n ast.Node) {
		var prose []string
		var blocks []*ast.FencedCodeBlock
		concrete := false
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch c := c.(type) {
			case *ast.FencedCodeBlock:
				blocks = append(blocks, c)
				return ast.WalkSkipChildren, nil
			case *ast.Paragraph, *ast.TextBlock:
				prose = append(prose, linesText(c))
			case *ast.CodeSpan, *ast.Link, *ast.AutoLink:
				concrete = true
			}
			return ast.WalkContinue, nil
		})
		txt := strings.Join(prose, "\n")
		added := false
		for _, fb := range blocks {
			info := ""
			if fb.Info != nil {
				info = strings.TrimSpace(string(fb.Info.Segment.Value(src)))
			}
			lang, attrs, _ := strings.Cut(info, " ")
			if i := strings.IndexByte(lang, '{'); i >= 0 {
				lang, attrs = lang[:i], lang[i:]+" "+attrs
			}
			named := strings.Contains(attrs, `"name"`) || strings.Contains(attrs, `"interpreter"`)
			python := pythonLangs[strings.ToLower(lang)] && named
			if !executableLangs[strings.ToLower(lang)] && !python {
				// Examples (output, PromQL, YAML) are prose; a named block
				// is meant to run, and would silently become a manual step.
				if named {
					probs = append(probs, Problem{File: rb.File, Line: nodeLine(fb), Col: 1, Field: "code block language",
						Msg: fmt.Sprintf("a named step in %s cannot run: drill runs sh, bash and shell blocks, and python blocks with a name or an interpreter", teamfile.Excerpt(lang))})
				}
				continue
			}
			st := Step{Text: txt, Lang: strings.ToLower(lang), Code: string(fb.Lines().Value(src)), File: rb.File, Line: nodeLine(fb), Concrete: true}
			if attrs = strings.TrimSpace(attrs); attrs != "" {
				if err := json.Unmarshal([]byte(attrs), &st.Attrs); err != nil {
					probs = append(probs, Problem{File: rb.File, Line: st.Line, Col: 1, Field: "code block info string",
						Msg: fmt.Sprintf(`expected Runme-style JSON attributes like sh {"name":"cap-spend"}, got %s`, teamfile.Excerpt(attrs))})
				}
				if name, ok := st.Attrs["name"]; ok {
					s, isStr := name.(string)
					if !isStr {
						probs = append(probs, Problem{File: rb.File, Line: st.Line, Col: 1, Field: "code block name", Msg: "expected a string"})
					}
					st.Name = s
				}
			}
			probs = append(probs, parseRun(&st)...)
			if cur != nil {
				st.Index = len(cur.Steps) + 1
				cur.Steps = append(cur.Steps, st)
				added = true
			}
		}
		if !added && txt != "" && cur != nil && n.Kind() == ast.KindListItem {
			cur.Steps = append(cur.Steps, Step{Index: len(cur.Steps) + 1, Text: txt, Manual: true, File: rb.File, Line: nodeLine(n), Concrete: concrete})
		}
	}
	refs := func(n ast.Node) {
		if cur == nil {
			return
		}
		block := 0
		_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			if c.Type() == ast.TypeBlock {
				if l := nodeLine(c); l > 0 {
					block = l
				}
			}
			if cs, ok := c.(*ast.CodeSpan); ok {
				var b strings.Builder
				for t := cs.FirstChild(); t != nil; t = t.NextSibling() {
					if tx, ok := t.(*ast.Text); ok {
						b.Write(tx.Segment.Value(src))
					}
				}
				cur.Refs = append(cur.Refs, Ref{Text: strings.TrimSpace(b.String()), Line: block})
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		})
	}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if _, isHeading := n.(*ast.Heading); !isHeading {
			refs(n)
		}
		switch n := n.(type) {
		case *ast.Heading:
			name := strings.TrimSpace(strings.TrimRight(linesText(n), ":"))
			switch {
			case n.Level == 1 && rb.Title == "":
				rb.Title = name
			case n.Level == 2:
				rb.Sections = append(rb.Sections, Section{Name: name, Line: nodeLine(n)})
				cur = &rb.Sections[len(rb.Sections)-1]
			}
		case *ast.List:
			for it := n.FirstChild(); it != nil; it = it.NextSibling() {
				addSteps(it)
			}
		case *ast.FencedCodeBlock:
			addSteps(n)
		}
	}
	return probs
}
