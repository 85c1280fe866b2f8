package features

import "strings"

// Ref is what a name in a step refers to. The catalog declares it for
// each captured group of a step that names something, and References
// lists them, so that a run, `drill run --plan` and `drill lint` resolve
// every name a drill refers to before any world starts.
type Ref string

// What a step's name may refer to, and where it is resolved.
const (
	RefAlert     Ref = "alert"     // an alerting rule of the team's rule files
	RefTeam      Ref = "team"      // a team of the escalation files
	RefResponder Ref = "responder" // a user of the escalation files, as a simulated responder
	RefRole      Ref = "role"      // an incident role of the escalation roles:, by id or name
	RefProvider  Ref = "provider"  // a provider of drill.yaml
	RefStub      Ref = "stub"      // a stub (third-party API) of drill.yaml
	RefTarget    Ref = "target"    // a fault's target: a provider, a stub, or traffic
	RefMix       Ref = "mix"       // a named traffic mix
	RefPromQL    Ref = "promql"    // a PromQL condition; the metrics it selects are names too
	// RefFault is a kind of the fault catalog; a run's fault check
	// resolves it with its parameters, against the catalog.
	RefFault Ref = "fault"
)

// refDocs say what a name of each kind must be, for the step catalog.
var refDocs = map[Ref]string{
	RefAlert:     "an alerting rule of the team's rule files",
	RefTeam:      "a team of the escalation files",
	RefResponder: "a user of the escalation files",
	RefRole:      "a role of the escalation roles:, by id or name",
	RefProvider:  "a provider of drill.yaml",
	RefStub:      "a stub of drill.yaml",
	RefTarget:    "a provider or stub of drill.yaml, or traffic",
	RefMix:       "a named traffic mix",
	RefPromQL:    "PromQL that parses, selecting metrics drill scrapes or the team's rules read or record",
	RefFault:     "a kind of the fault catalog (`drill faults`)",
}

// Doc says what a name of this kind must be.
func (r Ref) Doc() string { return refDocs[r] }

// namesDoc is the line of the catalog's docs listing what a step names.
func (s Step) namesDoc() string {
	var parts []string
	for _, r := range s.Refs() {
		if r != "" {
			parts = append(parts, string(r)+" ("+r.Doc()+")")
		}
	}
	return strings.Join(parts, "; ")
}

// Reference is one name a scenario's step refers to, as written.
type Reference struct {
	File string
	Line int // the step's line
	// Row is the line of the Examples row the name comes from, when an
	// outline's placeholder gave it; 0 otherwise.
	Row  int
	Step string // keyword and text, an outline's placeholders filled in
	Kind Ref
	Name string
}

// At is the line to fix the name at: its Examples row, or the step.
func (r Reference) At() int {
	if r.Row > 0 {
		return r.Row
	}
	return r.Line
}

// References lists the names the scenarios' steps refer to, in order,
// without running anything. Scenario Outline rows are expanded (each
// pickle is one row), so a placeholder's name is listed per row, with
// that row's line. Steps no catalog step matches name nothing (Check
// reports them); empty optional groups name nothing either.
func References(scs []*Scenario) []Reference {
	var out []Reference
	for _, sc := range scs {
		for _, st := range sc.Steps {
			m, ok := matchOne(st.Text)
			if !ok || m.err != nil {
				continue
			}
			// The step as written, before an outline filled it in.
			var written []string
			outline := st.Written != "" && st.Written != st.Text
			if outline {
				if w, ok := matchOne(st.Written); ok && w.step == m.step {
					written = w.args
				}
			}
			step := strings.TrimSpace(st.Keyword) + " " + st.Text
			out = append(out, argReferences(sc, st, catalog[m.step], step)...)
			for g, kind := range catalog[m.step].Refs() {
				if kind == "" || g >= len(m.args) || m.args[g] == "" {
					continue
				}
				r := Reference{File: sc.File, Line: st.Line, Step: strings.TrimSpace(st.Keyword) + " " + st.Text, Kind: kind, Name: m.args[g]}
				if outline && (written == nil || written[g] != m.args[g]) {
					r.Row = sc.Line
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// argReferences are the names a step's argument gives: a faults table's
// kinds and targets, at each row's line; a doc string's PromQL condition.
func argReferences(sc *Scenario, st ScenarioStep, c Step, step string) []Reference {
	var out []Reference
	switch {
	case c.arg == argTable && st.Argument == argTable:
		specs, err := tableFaults(0, stepArgOf(st))
		if err != nil {
			return nil // Check reports it
		}
		for _, f := range specs {
			for _, r := range []struct {
				kind Ref
				name string
			}{{RefFault, f.Kind}, {RefTarget, f.Target}} {
				if r.name != "" {
					out = append(out, Reference{File: sc.File, Line: st.Line, Row: f.Line, Step: step, Kind: r.kind, Name: r.name})
				}
			}
		}
	case c.arg == argDoc && st.Argument == argDoc && strings.TrimSpace(st.Doc) != "":
		out = append(out, Reference{File: sc.File, Line: st.Line, Step: step, Kind: RefPromQL, Name: strings.TrimSpace(st.Doc)})
	}
	return out
}
