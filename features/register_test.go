package features

import (
	"io"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"
)

// godog hands a step's data table and doc string to the steps that take
// one, through the one expression each step registers: a run injects
// every row's fault and reads the doc string's condition.
func TestGodogPassesStepArguments(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When these faults start at once:
      | fault       | target  |
      | outage      | primary |
      | stub-outage | search  |
    And providers "primary" and "secondary" go down
    Then this condition holds for 0s:
      """
      up == 1
      """
`
	env := newFake()
	env.value = 1
	st := NewState(env, nil)
	st.ControlWindow = 0
	suite := godog.TestSuite{
		ScenarioInitializer: func(sc *godog.ScenarioContext) { Register(sc, st) },
		Options: &godog.Options{Format: "progress", Output: io.Discard, Strict: true, NoColors: true,
			FeatureContents: []godog.Feature{{Name: "f.feature", Contents: []byte(src)}}},
	}
	require.Equal(t, 0, suite.Run())
	require.Equal(t, []string{"outage-1", "stub-outage-1", "outage-1", "outage-1"}, env.injected)
	require.Contains(t, env.exprs, "up == 1")
}
