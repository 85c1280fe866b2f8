package features

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Step arguments: a data table where a step takes a list (faults that go
// on at once), a doc string where it takes a PromQL condition too long
// for its line. A step's form says which it takes (Step.arg); Check
// refuses one on any other step, and its absence on those.
const (
	argTable = "a data table"
	argDoc   = "a doc string"
)

// MaxTableFaults bounds the rows of a faults table: more faults at once
// than this is no longer a drill of one failure mode.
const MaxTableFaults = 10

// StepArg is the data table (header first) or doc string of a step line.
type StepArg struct {
	Rows  [][]string
	Lines []int // each row's line in the file; 0 when unknown
	Doc   string
}

func stepArgOf(st ScenarioStep) StepArg {
	return StepArg{Rows: st.Table, Lines: st.TableLines, Doc: st.Doc}
}

// faultSpec is one fault a step injects: its kind, target ("" for the
// default), parameters and time bound (0: to the scenario's end), and
// the line of the table row it comes from (0: the step's own).
type faultSpec struct {
	Kind, Target string
	Params       map[string]string
	For          time.Duration
	Line         int
	Err          error // this row does not make a fault
}

// injects reports whether the step injects faults (a When fault step).
func (s Step) injects() bool { return s.fault != nil || s.faults != nil }

// faultsOf is what a fault step injects, from its values (its trailing
// duration last) and argument.
func (s Step) faultsOf(args []string, a StepArg) ([]faultSpec, error) {
	var d time.Duration
	if len(args) > 0 && args[len(args)-1] != "" {
		v, err := ParseDuration(args[len(args)-1])
		if err != nil {
			return nil, err
		}
		d = v
	}
	if s.fault != nil {
		kind, target, params, err := s.fault(args[:len(args)-1])
		if err != nil {
			return nil, err
		}
		return []faultSpec{{Kind: kind, Target: target, Params: params, For: d}}, nil
	}
	return s.faults(args, d, a)
}

// tableColumns are the columns of a faults table, by what a trainer may
// head them with.
var tableColumns = map[string]string{
	"fault": "fault", "kind": "fault", "failure": "fault",
	"target": "target", "on": "target", "provider": "target", "stub": "target", "api": "target",
	"with": "params", "params": "params", "parameters": "params",
	"for": "for", "duration": "for", "lasting": "for",
}

// tableFaults reads a faults table: a header naming its columns (fault
// and target, optionally with and for), then one fault per row, a kind
// of the fault catalog on a provider, stub or traffic.
func tableFaults(d time.Duration, a StepArg) ([]faultSpec, error) {
	lineOf := func(i int) int {
		if i < len(a.Lines) {
			return a.Lines[i]
		}
		return 0
	}
	want := "a header row | fault | target | (optionally | with | for |), then one fault of the catalog per row (`drill faults`)"
	if len(a.Rows) < 2 {
		return nil, fmt.Errorf("the table has no fault: want %s", want)
	}
	if n := len(a.Rows) - 1; n > MaxTableFaults {
		return nil, fmt.Errorf("the table has %d faults, more than %d at once", n, MaxTableFaults)
	}
	col := map[string]int{}
	for i, h := range a.Rows[0] {
		c, ok := tableColumns[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			var names []string
			for k := range tableColumns {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("line %d: column %q: want one of %s", lineOf(0), h, strings.Join(names, ", "))
		}
		if _, dup := col[c]; dup {
			return nil, fmt.Errorf("line %d: column %q: a second %s column", lineOf(0), h, c)
		}
		col[c] = i
	}
	for _, c := range []string{"fault", "target"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("line %d: the header has no %s column: want %s", lineOf(0), c, want)
		}
	}
	var out []faultSpec
	for i, row := range a.Rows[1:] {
		line := lineOf(i + 1)
		cell := func(c string) string {
			if j, ok := col[c]; ok && j < len(row) {
				v, _ := unquote(strings.TrimSpace(row[j]))
				return v
			}
			return ""
		}
		f := faultSpec{Kind: cell("fault"), Target: cell("target"), Params: map[string]string{}, For: d, Line: line}
		switch {
		case f.Kind == "":
			f.Err = fmt.Errorf("line %d: no fault kind", line)
		case f.Target == "":
			f.Err = fmt.Errorf("line %d: no target", line)
		}
		if p := cell("params"); p != "" {
			for _, kv := range strings.Split(p, ",") {
				k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
				if !ok || k == "" {
					f.Err = fmt.Errorf("line %d: parameters %q: want key=value pairs, comma separated", line, p)
					break
				}
				f.Params[k] = v
			}
		}
		if v := cell("for"); v != "" {
			dd, err := ParseDuration(v)
			if err != nil {
				f.Err = fmt.Errorf("line %d: for: %w", line, err)
			}
			f.For = dd
		}
		out = append(out, f)
	}
	return out, nil
}

// checkArgument is the problem of a step line whose argument does not
// fit the catalog step that accepts it: one it does not take, or none
// where it takes one, or a table that is no list of faults.
func checkArgument(file, line string, st ScenarioStep, c Step) (Problem, bool) {
	p := Problem{File: file, Line: st.Line, Step: line}
	switch {
	case st.Argument == "" && c.arg == "":
		return p, false
	case st.Argument == "":
		p.Message = "the step takes " + c.arg + " below its line (" + c.argDoc() + "), and has none"
	case c.arg == "":
		p.Message = "the step carries " + st.Argument + ", and this step takes none; write its values in the step line"
		if steps := argSteps(st.Argument); len(steps) > 0 {
			p.Message += " (the steps that take " + st.Argument + ": " + strings.Join(steps, "; ") + ")"
		}
	case c.arg != st.Argument:
		p.Message = "the step carries " + st.Argument + ", and takes " + c.arg + " (" + c.argDoc() + ")"
	case c.arg == argTable:
		specs, err := tableFaults(0, stepArgOf(st))
		if err == nil {
			for _, f := range specs {
				if f.Err != nil {
					err = f.Err
					break
				}
			}
		}
		if err == nil {
			return p, false
		}
		p.Message = "bad faults table: " + err.Error()
	case strings.TrimSpace(st.Doc) == "":
		p.Message = "the doc string is empty: want " + c.argDoc()
	default:
		return p, false
	}
	return p, true
}

func (s Step) argDoc() string {
	switch s.arg {
	case argTable:
		return "a table with a header row | fault | target | and one fault per row"
	case argDoc:
		return "a PromQL condition"
	}
	return ""
}

// anyTakes reports whether some catalog step takes an argument of this kind.
func anyTakes(arg string) bool { return len(argSteps(arg)) > 0 }

// argSteps are the canonical forms of the steps taking arg.
func argSteps(arg string) []string {
	var out []string
	for _, s := range catalog {
		if s.arg == arg {
			out = append(out, s.Keyword+" "+s.Form)
		}
	}
	return out
}

// injectAll injects the faults of a step, one after another at the same
// drill instant.
func (s *State) injectAll(ctx context.Context, specs []faultSpec) error {
	for _, f := range specs {
		if f.Err != nil {
			return f.Err
		}
		if err := s.inject(ctx, f.Kind, f.Target, f.Params, f.For); err != nil {
			return err
		}
	}
	return nil
}
