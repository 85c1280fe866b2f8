package features

import (
	"context"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Env is one scenario's running world, as the steps see it. The scenarios
// package implements it over a testbed, the alerting engine and the
// response engine; tests implement it with fakes.
type Env interface {
	// Start brings the world up: testbed, traffic, alerting, response.
	// It is idempotent.
	Start(ctx context.Context) error
	// Started reports whether Start succeeded.
	Started() bool
	// SetSpeed changes the drill clock speed; only before Start.
	SetSpeed(speed float64) error
	Clock() timeline.Clock
	Log() *timeline.Log
	// Team is the team whose plan is drilled.
	Team() *team.Team
	// Inject applies a fault of the catalog to a target (a provider, a stub
	// or "traffic") for d of drill time (0: until the scenario ends) and
	// returns its ID.
	Inject(ctx context.Context, kind, target string, params map[string]string, d time.Duration) (string, error)
	// Evidence returns how many requests or connections each fault
	// injected so far affected.
	Evidence(ctx context.Context) (map[string]int64, error)
	// Query evaluates a PromQL expression at the current drill time over
	// the drill's metrics and returns the value of its first sample; ok is
	// false when the result is empty.
	Query(ctx context.Context, expr string) (v float64, ok bool, err error)
	// ReadAlert reads the condition of the team's alerting rule named
	// alert on the drill's data at drill time at: whether it reads good
	// on data, not merely whether the alert is quiet (see Reading).
	ReadAlert(ctx context.Context, alert string, at time.Time) (Reading, error)
	// ReadCondition reads a PromQL condition at drill time at: good when
	// it returns a sample and the targets whose series it reads scrape.
	ReadCondition(ctx context.Context, expr string, at time.Time) (Reading, error)
	// EvalInterval is how often, in drill time, conditions are
	// re-evaluated.
	EvalInterval() time.Duration
	// SetTraffic sets the steady traffic rate (requests per real second)
	// and, when mix is not empty, a named request mix.
	SetTraffic(rate float64, mix string) error
	// SetResponderAvailable makes a simulated responder reachable or not.
	SetResponderAvailable(user string, available bool) error
}

// Reading is what a condition reads on the drill's data at one instant.
// An alert that resolved is no evidence of health by itself: its
// expression also goes empty when the service dies, its /metrics fails or
// a window holds too few samples. Good is the only reading that shows
// recovery; NoData says there was nothing to judge by (no sample, a
// failing scrape). Detail says what it was read from.
type Reading struct {
	Good, NoData bool
	Detail       string
}
