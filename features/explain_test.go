package features

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/timeline"
)

// explainingEnv is a fake world that can explain an alert.
type explainingEnv struct {
	*fakeEnv
	x   alerting.Explanation
	err error
	got string
}

func (e *explainingEnv) ExplainAlert(_ context.Context, alert string) (alerting.Explanation, error) {
	e.got = alert
	return e.x, e.err
}

func failFires(t *testing.T, env Env, clock *timeline.Virtual, alert string) error {
	t.Helper()
	s := NewState(env, nil)
	fires := step(t, s, `alert {alert} fires within`).(func(context.Context, string, string) error)
	errc := make(chan error, 1)
	go func() { errc <- fires(context.Background(), alert, "5m") }()
	require.Eventually(t, func() bool { return clock.Pending() == 1 }, 10*time.Second, time.Millisecond)
	clock.Advance(6 * time.Minute)
	return <-errc
}

// An alert that never went pending fails with what its selectors
// matched: the world's explanation, in the step's failure.
func TestNeverPendingCarriesTheExplanation(t *testing.T) {
	fake := newFake()
	env := &explainingEnv{fakeEnv: fake, x: alerting.Explanation{Alert: "LLMCallsFailing", Rules: []alerting.RuleCheck{{
		Expr: `sum(rate(app_llm_calls_total{result="failed"}[5m])) > 0`,
		Selectors: []alerting.SelectorCheck{{
			Selector: `app_llm_calls_total{result="failed"}`, Metric: "app_llm_calls_total", Reason: alerting.Excluded,
			Matchers: []alerting.MatcherCheck{{Matcher: `result="failed"`, Label: "result", Among: "app_llm_calls_total", Values: []string{"error", "ok"}}},
		}},
	}}}}
	err := failFires(t, env, fake.clock, "LLMCallsFailing")
	require.Equal(t, "LLMCallsFailing", env.got)
	require.EqualError(t, err, `alert "LLMCallsFailing" did not fire within 5m of this step (no fault was injected before it) (it never went pending: `+
		`its expression stayed false: app_llm_calls_total{result="failed"} matched no series: app_llm_calls_total carries result = error, ok, none matching result="failed")`)

	// A world that cannot check says so, and still fails the step.
	env.err = errors.New("the environment is not running")
	err = failFires(t, env, fake.clock, "LLMCallsFailing")
	require.ErrorContains(t, err, "(it never went pending: its expression stayed false (drill could not check its selectors: the environment is not running))")
}
