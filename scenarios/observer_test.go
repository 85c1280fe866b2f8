package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// observed records what a run tells its Observer.
type observed struct {
	mu       sync.Mutex
	calls    []string
	log      *timeline.Log
	evidence func(context.Context) (map[string]int64, error)
}

func (o *observed) add(f string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, fmt.Sprintf(f, a...))
}

func (o *observed) Begin(name, where string, steps []string) {
	o.add("begin %s %s %d steps", name, where, len(steps))
}
func (o *observed) Attach(log *timeline.Log, api http.Handler, evidence func(context.Context) (map[string]int64, error)) {
	o.mu.Lock()
	o.log, o.evidence = log, evidence
	o.mu.Unlock()
	o.add("attach api=%v", api != nil)
}
func (o *observed) Step(i int, status, err string) { o.add("step %d %s", i, status) }
func (o *observed) Tell(msg string)                { o.add("tell %s", msg) }
func (o *observed) End(rec *scoring.Scenario)      { o.add("end %s %s", rec.Name, rec.Status) }

// check asserts a simulated run's calls: the scenario began with its
// place and steps, its world attached its log (no live API), each step
// ran and passed in order, and it ended with its verdict.
func (o *observed) check(t *testing.T, name, where string, steps int, log []timeline.Event) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	want := []string{fmt.Sprintf("begin %s %s %d steps", name, where, steps)}
	for i := 0; i < steps; i++ {
		want = append(want, fmt.Sprintf("step %d running", i), fmt.Sprintf("step %d passed", i))
	}
	want = append(want, fmt.Sprintf("end %s passed", name))
	// The world attaches once, when a step first needs it (the steps
	// before the world starts set it up).
	var got []string
	attached := 0
	for _, c := range o.calls {
		if c == "attach api=false" {
			attached++
			continue
		}
		got = append(got, c)
	}
	require.Equal(t, 1, attached, o.calls)
	require.Equal(t, want, got)
	require.NotNil(t, o.log)
	require.Equal(t, log, o.log.Events(), "the log attached is the scenario's")
	ev, err := o.evidence(context.Background())
	require.Error(t, err, "the world is torn down")
	require.Nil(t, ev)
}
