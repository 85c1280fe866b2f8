package features

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/teamfile"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// Scenario is one runnable scenario (a pickle: Scenario Outline rows are
// expanded) of a feature file, with the lines a trainer needs in messages.
type Scenario struct {
	File  string
	Line  int
	Name  string
	Tags  []string
	Steps []ScenarioStep
}

// ScenarioStep is one step of a scenario.
type ScenarioStep struct {
	Keyword string // "Given ", "When ", "Then ", "And "...
	Text    string
	Line    int
	// Written is the step as the file writes it: for an outline, before
	// an Examples row fills in its placeholders.
	Written string
	// Argument is "a data table" or "a doc string" when the step carries
	// one. Only the steps whose form says so take one (a list of faults
	// takes a table, a PromQL condition a doc string); Check refuses it
	// on any other step, and its absence on those.
	Argument string
	// Table is the data table's rows, header first, an outline's
	// placeholders filled in; TableLines their lines in the file.
	Table      [][]string
	TableLines []int
	// Doc is the doc string's content.
	Doc string
}

// Key identifies a scenario across parses: godog parses the same files
// again and gives its own IDs.
func (s *Scenario) Key() string {
	var b strings.Builder
	b.WriteString(s.File)
	b.WriteByte(0)
	b.WriteString(s.Name)
	for _, st := range s.Steps {
		b.WriteByte(0)
		b.WriteString(st.Text)
	}
	return b.String()
}

// PickleKey is Key for a pickle as godog hands it to hooks.
func PickleKey(p *messages.Pickle) string {
	var b strings.Builder
	b.WriteString(p.Uri)
	b.WriteByte(0)
	b.WriteString(p.Name)
	for _, st := range p.Steps {
		b.WriteByte(0)
		b.WriteString(st.Text)
	}
	return b.String()
}

// Parse reads one feature file into its scenarios. Syntax errors name the
// file and line.
func Parse(file string, data []byte) ([]*Scenario, error) {
	if teamfile.Text(file, data, "a Gherkin feature file") != nil {
		return nil, ParseErrors{{File: file, Msg: teamfile.NotText("a Gherkin feature file")}}
	}
	if err := checkLanguage(file, data); err != nil {
		return nil, err
	}
	var n int
	newID := func() string { n++; return strconv.Itoa(n) }
	doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), newID)
	if err != nil {
		return nil, gherkinError(file, err)
	}
	if doc.Feature == nil {
		// Only comments or blank lines: a misspelt "Feature:" reads so.
		return nil, ParseErrors{{File: file, Line: 1, Msg: `no Feature: line; a feature file starts with "Feature: <name>" (a misspelt keyword makes the whole file a comment)`}}
	}
	steps := map[string]*messages.Step{}
	lines := map[string]int64{}
	var walk func(children []*messages.FeatureChild)
	addSteps := func(ss []*messages.Step) {
		for _, st := range ss {
			steps[st.Id] = st
		}
	}
	walk = func(children []*messages.FeatureChild) {
		for _, c := range children {
			if c.Background != nil {
				addSteps(c.Background.Steps)
			}
			if c.Scenario != nil {
				addSteps(c.Scenario.Steps)
				lines[c.Scenario.Id] = c.Scenario.Location.Line
				for _, ex := range c.Scenario.Examples {
					for _, row := range ex.TableBody {
						lines[row.Id] = row.Location.Line
					}
				}
			}
			if c.Rule != nil {
				for _, rc := range c.Rule.Children {
					walk([]*messages.FeatureChild{{Background: rc.Background, Scenario: rc.Scenario}})
				}
			}
		}
	}
	walk(doc.Feature.Children)
	var out []*Scenario
	for _, p := range gherkin.Pickles(*doc, file, newID) {
		sc := &Scenario{File: file, Name: p.Name}
		// The last AST node of an outline pickle is its examples row.
		for _, id := range p.AstNodeIds {
			if l, ok := lines[id]; ok {
				sc.Line = int(l)
			}
		}
		for _, t := range p.Tags {
			sc.Tags = append(sc.Tags, t.Name)
		}
		for _, ps := range p.Steps {
			st := ScenarioStep{Text: ps.Text}
			if len(ps.AstNodeIds) > 0 {
				if s, ok := steps[ps.AstNodeIds[0]]; ok {
					st.Keyword = s.Keyword
					st.Line = int(s.Location.Line)
					st.Written = s.Text
				}
			}
			switch {
			case ps.Argument != nil && ps.Argument.DataTable != nil:
				st.Argument = argTable
				for _, r := range ps.Argument.DataTable.Rows {
					var cells []string
					for _, c := range r.Cells {
						cells = append(cells, c.Value)
					}
					st.Table = append(st.Table, cells)
				}
				if s, ok := steps[ps.AstNodeIds[0]]; ok && s.DataTable != nil {
					for _, r := range s.DataTable.Rows {
						st.TableLines = append(st.TableLines, int(r.Location.Line))
					}
				}
			case ps.Argument != nil && ps.Argument.DocString != nil:
				st.Argument = argDoc
				st.Doc = ps.Argument.DocString.Content
			}
			sc.Steps = append(sc.Steps, st)
		}
		out = append(out, sc)
	}
	if len(out) == 0 {
		// Gherkin reads lines under a misspelt "Scenario:" as the
		// feature's description: the drill would silently not exist.
		return nil, ParseErrors{{File: file, Line: int(doc.Feature.Location.Line),
			Msg: fmt.Sprintf(`feature %q has no scenario; is a "Scenario:" keyword misspelt? (gherkin reads lines before the first scenario as the feature's description)`, doc.Feature.Name)}}
	}
	return out, nil
}

// languageLine is Gherkin's "# language: xx" header, which names the
// keywords' language.
var languageLine = regexp.MustCompile(`^\s*#\s*language\s*:\s*([a-zA-Z\-_]+)\s*$`)

// checkLanguage refuses a feature file in a Gherkin language other than
// English: the keywords would parse, but no step of the catalog would
// match a line, and each line would read as undefined. Gherkin reads the
// header only in the comments before the first other line.
func checkLanguage(file string, data []byte) error {
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if !strings.HasPrefix(t, "#") {
			return nil
		}
		if m := languageLine.FindStringSubmatch(t); m != nil && m[1] != "en" {
			return ParseErrors{{File: file, Line: i + 1, Msg: fmt.Sprintf(`"# language: %s": drill's steps are written in English, and other languages are not supported yet; remove the line (or write "# language: en") and write the drill in English`, m[1])}}
		}
	}
	return nil
}

// ParseError is one reason a feature file cannot be read as drills: its
// file, line and column (0 when unknown) and the message.
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error renders file:line:col: message, leaving out what is unknown.
func (e ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ParseErrors is every ParseError of one file; Parse returns it as the
// error, one line per problem.
type ParseErrors []ParseError

func (es ParseErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// gherkinPos is the "(line:col): message" form of the gherkin parser's
// errors, whose positions the library keeps unexported.
var gherkinPos = regexp.MustCompile(`^\((\d+):(\d+)\): (.*)$`)

// gherkinGot is the end of a gherkin error that quotes the line it could
// not parse.
var gherkinGot = regexp.MustCompile(`(, got )'(.*)'$`)

// MaxParseErrors bounds the syntax errors of one feature file: a file
// that is not Gherkin at all (a link to some other file) has one per
// line.
const MaxParseErrors = 10

// gherkinError turns the parser's "(line:col): message" lines into
// ParseErrors, one per problem.
func gherkinError(file string, err error) error {
	var out ParseErrors
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "Parser errors:" {
			continue
		}
		e := ParseError{File: file, Msg: l}
		if m := gherkinPos.FindStringSubmatch(l); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Col, _ = strconv.Atoi(m[2])
			e.Msg = m[3]
		}
		// The line quoted is at most a short escaped excerpt.
		if m := gherkinGot.FindStringSubmatchIndex(e.Msg); m != nil {
			e.Msg = e.Msg[:m[3]] + teamfile.Excerpt(e.Msg[m[4]:m[5]])
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		out = ParseErrors{{File: file, Msg: teamfile.Excerpt(strings.TrimSpace(err.Error()))}}
	}
	if len(out) > MaxParseErrors {
		more := len(out) - MaxParseErrors
		out = append(out[:MaxParseErrors], ParseError{File: file, Msg: fmt.Sprintf("and %d more syntax errors; is this a Gherkin feature file?", more)})
	}
	return out
}

// Problem is an undefined or ambiguous step of a feature file.
type Problem struct {
	File    string   `json:"file"`
	Line    int      `json:"line"`
	Step    string   `json:"step"`
	Message string   `json:"message"`
	Closest []string `json:"closest,omitempty"` // the nearest catalog steps, with the step's own values
}

func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s: %s", p.File, p.Line, p.Message, p.Step)
	if len(p.Closest) > 0 {
		b.WriteString("\n  closest known steps:")
		for _, c := range p.Closest {
			b.WriteString("\n    " + c)
		}
		b.WriteString("\n  (drill steps --search WORD lists every phrasing a step accepts)")
	}
	return b.String()
}

// Check finds the steps of the scenarios that no catalog step matches,
// that several match, or whose values are out of range.
func Check(scs []*Scenario) []Problem {
	var out []Problem
	for _, sc := range scs {
		for _, st := range sc.Steps {
			line := strings.TrimSpace(st.Keyword) + " " + st.Text
			ms := matchAll(st.Text)
			switch len(ms) {
			case 1:
				if p, bad := checkArgument(sc.File, line, st, catalog[ms[0].step]); bad {
					out = append(out, p)
					continue
				}
				// The pattern admits values the step would refuse once
				// the drill runs: refuse them now.
				if err := ms[0].err; err != nil {
					msg := "bad value: " + err.Error()
					if d, ok := strings.CutPrefix(err.Error(), "duration: "); ok {
						msg = "bad duration: " + d
					}
					out = append(out, Problem{File: sc.File, Line: st.Line, Step: line, Message: msg})
				}
			case 0:
				p := Problem{File: sc.File, Line: st.Line, Step: line, Message: "undefined step", Closest: Closest(st.Text, 2)}
				if needs, i, ok := lacks(st.Text); ok {
					// The step the line is, with the trainer's values, first.
					p.Message = "incomplete step: " + needs
					own := fill(i, trainerValues(st.Text))
					p.Closest = append([]string{own}, slices.DeleteFunc(p.Closest, func(c string) bool { return c == own })...)[:2]
				}
				out = append(out, p)
				if st.Argument != "" && !anyTakes(st.Argument) {
					out = append(out, Problem{File: sc.File, Line: st.Line, Step: line,
						Message: "the step carries " + st.Argument + ", and no drill step takes one; write its values in the step line"})
				}
			default:
				var forms []string
				for _, m := range ms {
					forms = append(forms, strconv.Quote(catalog[m.step].Form))
				}
				out = append(out, Problem{File: sc.File, Line: st.Line, Step: st.Text,
					Message: "ambiguous step, accepted by " + strings.Join(forms, " and ")})
			}
		}
	}
	out = append(out, checkSubjects(scs)...)
	// One message per step line, even when an outline expands it.
	seen := map[string]bool{}
	uniq := out[:0]
	for _, p := range out {
		k := fmt.Sprintf("%s:%d:%s", p.File, p.Line, p.Step)
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, p)
		}
	}
	return uniq
}

// referenceWord finds a reference to the subject of a step before: it,
// the alert, the page, the incident.
var referenceWord = regexp.MustCompile(`(?i)(?:^|\s)(it|the alert|the page|the incident)(?:\s|$)`)

// checkSubjects finds the steps whose "it", "the alert" or "the page"
// refers to nothing: no step before them in the scenario waits for an
// alert to fire (or its page), so a reader cannot tell what they mean,
// and the run would fail them only once the world ran.
func checkSubjects(scs []*Scenario) []Problem {
	var out []Problem
	for _, sc := range scs {
		have := false
		for _, st := range sc.Steps {
			m, ok := matchOne(st.Text)
			if !ok {
				have = true // an undefined step may be the subject: Check names it already
				continue
			}
			c := catalog[m.step]
			if c.refers && !have {
				// Every phrasing of the step is about an alert that fired
				// (its page, its acknowledgement, its resolving).
				what := "the step is about the alert (or its page) of a step before"
				if w := referenceWord.FindStringSubmatch(st.Text); w != nil {
					what = fmt.Sprintf("%q refers to the alert (or its page) of a step before", strings.ToLower(w[1]))
				}
				out = append(out, Problem{File: sc.File, Line: st.Line, Step: strings.TrimSpace(st.Keyword) + " " + st.Text,
					Message: what + `, and no step before it in the scenario waits for an alert to fire; name the alert first, e.g. Then alert "NAME" fires within 10m`})
				continue // a step that refers to nothing is no subject either
			}
			have = have || c.subject
		}
	}
	return out
}

// FaultUse is one fault a scenario's step injects, as written.
type FaultUse struct {
	File   string
	Line   int
	Step   string
	Kind   string
	Target string // "" for the default target
	Params map[string]string
	Err    error // the step's own arguments do not make a fault
}

// Faults lists the faults the scenarios' steps inject, in order, without
// running anything: a run checks them against the catalog and the
// topology before its first scenario starts.
func Faults(scs []*Scenario) []FaultUse {
	var out []FaultUse
	for _, sc := range scs {
		for _, st := range sc.Steps {
			m, ok := matchOne(st.Text)
			if !ok || !catalog[m.step].injects() {
				continue
			}
			// A step taking a table ends in a colon; its message adds one.
			u := FaultUse{File: sc.File, Line: st.Line, Step: strings.TrimSuffix(strings.TrimSpace(st.Keyword)+" "+st.Text, ":")}
			if u.Err = m.err; u.Err != nil {
				out = append(out, u)
				continue
			}
			specs, err := catalog[m.step].faultsOf(m.args, stepArgOf(st))
			if err != nil {
				u.Err = err
				out = append(out, u)
				continue
			}
			for _, f := range specs {
				v := u
				if f.Line > 0 {
					v.Line = f.Line
				}
				v.Kind, v.Target, v.Params, v.Err = f.Kind, f.Target, f.Params, f.Err
				out = append(out, v)
			}
		}
	}
	return out
}

// Setting is the number that the scenario's last step setting what
// ("traffic": the rate in requests per real second; "speed": the drill
// clock's speed) gives, and that step's line; ok is false when no step
// sets it and the run's or team's value holds.
func Setting(sc *Scenario, what string) (v float64, line int, ok bool) {
	for _, st := range sc.Steps {
		if m, found := matchOne(st.Text); found && m.err == nil && catalog[m.step].sets == what {
			if f, err := strconv.ParseFloat(m.args[0], 64); err == nil {
				v, line, ok = f, st.Line, true
			}
		}
	}
	return v, line, ok
}

// ControlWindowSetting is the control window the scenario's last "a
// control window of D" step before its first fault sets, and that step's
// line; ok is false when no step sets one and the run's window holds. A
// window set after the first fault changes nothing: the window is over.
func ControlWindowSetting(sc *Scenario) (d time.Duration, line int, ok bool) {
	if sc == nil {
		return 0, 0, false
	}
	for _, st := range sc.Steps {
		if m, found := matchOne(st.Text); found && m.err == nil {
			if catalog[m.step].injects() {
				break // a window set after the first fault changes nothing
			}
			if catalog[m.step].sets == "control" {
				if v, err := ParseDuration(m.args[0]); err == nil {
					d, line, ok = v, st.Line, true
				}
			}
		}
	}
	return d, line, ok
}
