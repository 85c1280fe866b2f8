package mutate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/drillkit/drill/team"
)

// Family is a kind of team file a mutant changes.
type Family string

// The families of mutants, one per kind of team file.
const (
	Rules      Family = "alert-rules"
	Runbooks   Family = "runbooks"
	Escalation Family = "escalation"
	Variables  Family = "variables"
)

// Mutant is one small change to one file of the team.
type Mutant struct {
	// ID is stable across runs: file, operator and target.
	ID       string `json:"id"`
	File     string `json:"file"` // relative to the team directory
	Family   Family `json:"family"`
	Operator string `json:"operator"`
	Target   string `json:"target"`
	// Description says what the change is, in one line.
	Description string `json:"description"`
	// Missing says what the drills fail to check when the mutant
	// survives; Suggest is the step that would have caught it.
	Missing string `json:"missing"`
	Suggest string `json:"suggest,omitempty"`
	// Alerts are the alerts the change concerns (a rule's, a runbook's);
	// empty where it concerns the whole plan.
	Alerts []string `json:"alerts,omitempty"`

	content []byte // the mutated file
}

// Content is the mutated file's text.
func (m *Mutant) Content() []byte { return m.content }

// GenOptions parameterise Generate.
type GenOptions struct {
	// At is the drill time the mutants' drills start at: a schedule
	// mutant leaves a gap around it. Zero is now.
	At time.Time
}

// Generated is what Generate made: the mutants, sorted by ID, and the
// changes left out as equivalent (they print the same as the original).
type Generated struct {
	Mutants    []*Mutant
	Equivalent []*Mutant
}

// Generate makes every mutant of the team's files. A change that leaves
// its file's text or its rule's expression as it was is equivalent and
// kept apart.
func Generate(t *team.Team, opts GenOptions) (*Generated, error) {
	if opts.At.IsZero() {
		opts.At = time.Now()
	}
	var all []*Mutant
	for _, gen := range []func(*team.Team, GenOptions) ([]*Mutant, error){ruleMutants, runbookMutants, escalationMutants, variableMutants} {
		ms, err := gen(t, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	g := &Generated{}
	seen := map[string]int{}
	for _, m := range all {
		// Two changes of the same operator and target (two thresholds
		// of one rule) get #2, #3... in file order.
		seen[m.ID]++
		if n := seen[m.ID]; n > 1 {
			m.ID = fmt.Sprintf("%s#%d", m.ID, n)
			m.Target = fmt.Sprintf("%s#%d", m.Target, n)
		}
		orig, err := readTeamFile(t, m.File)
		if err != nil {
			return nil, err
		}
		if m.content == nil || bytes.Equal(orig, m.content) {
			g.Equivalent = append(g.Equivalent, m)
			continue
		}
		g.Mutants = append(g.Mutants, m)
	}
	sort.Slice(g.Mutants, func(i, j int) bool { return g.Mutants[i].ID < g.Mutants[j].ID })
	sort.Slice(g.Equivalent, func(i, j int) bool { return g.Equivalent[i].ID < g.Equivalent[j].ID })
	return g, nil
}

// Sample picks n of the mutants with the seed (all of them when n is 0
// or at least their number), in ID order: the same seed and mutants give
// the same sample.
func Sample(ms []*Mutant, n int, seed int64) []*Mutant {
	if n <= 0 || n >= len(ms) {
		return ms
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6d7574616e74)) // "mutant"
	idx := r.Perm(len(ms))[:n]
	sort.Ints(idx)
	out := make([]*Mutant, 0, n)
	for _, i := range idx {
		out = append(out, ms[i])
	}
	return out
}

func newMutant(file string, fam Family, op, target string) *Mutant {
	return &Mutant{ID: file + ":" + op + ":" + target, File: file, Family: fam, Operator: op, Target: target}
}
