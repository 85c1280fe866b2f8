package response

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func parseRespondersSrc(t *testing.T, src string) (ResponderConfig, error) {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	return ParseResponders("drill.yaml", &doc)
}

func TestParseRespondersGood(t *testing.T) {
	cfg, err := parseRespondersSrc(t, `
alice: {ack_delay: {dist: constant, value: 1m}}
bob: {available: false}
default: {available: true, ack_delay: {dist: uniform, min: 1m, max: 4m}}
carol: {ack_delay: {dist: lognormal, median: 2m, p90: 6m}}
dave: {ack_delay: 90s}
`)
	require.NoError(t, err)
	require.Equal(t, Dist{Kind: "constant", Value: time.Minute}, cfg.For("alice").AckDelay)
	require.True(t, cfg.For("alice").Available)
	require.False(t, cfg.For("bob").Available)
	require.Equal(t, Dist{Kind: "uniform", Min: time.Minute, Max: 4 * time.Minute}, cfg.For("bob").AckDelay, "bob inherits default's ack_delay")
	require.Equal(t, Dist{Kind: "lognormal", Median: 2 * time.Minute, P90: 6 * time.Minute}, cfg.For("carol").AckDelay)
	require.Equal(t, Dist{Kind: "constant", Value: 90 * time.Second}, cfg.For("dave").AckDelay)
	require.Equal(t, cfg.Default, cfg.For("nobody-listed"))
	require.Equal(t, 2, cfg.Users["alice"].Line)

	empty, err := ParseResponders("drill.yaml", nil)
	require.NoError(t, err)
	require.Equal(t, DefaultResponder, empty.For("anyone"))
}

func TestParseRespondersBad(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"not a mapping":    {"[alice]", "drill.yaml:1:1: responders: expected a mapping of user id to {available, ack_delay}, got a list"},
		"unknown field":    {"alice: {avail: true}", "drill.yaml:1:9: responders.alice.avail: unknown field; valid fields are: available, ack_delay, claim_delay"},
		"bool":             {"alice: {available: yes-ish}", `drill.yaml:1:20: responders.alice.available: expected true or false, got "yes-ish"`},
		"bad duration":     {"alice: {ack_delay: soon}", `drill.yaml:1:20: responders.alice.ack_delay: expected a duration such as 500ms, 2s or 1m, got "soon"`},
		"unknown dist":     {"alice: {ack_delay: {dist: gamma}}", `drill.yaml:1:27: responders.alice.ack_delay.dist: expected constant, uniform or lognormal, got "gamma"`},
		"missing dist":     {"alice: {ack_delay: {value: 1m}}", "drill.yaml:1:20: responders.alice.ack_delay.dist: missing; expected constant, uniform or lognormal"},
		"missing param":    {"alice: {ack_delay: {dist: lognormal, median: 2m}}", "drill.yaml:1:20: responders.alice.ack_delay.p90: missing; dist lognormal needs median and p90"},
		"wrong param":      {"alice: {ack_delay: {dist: constant, value: 1m, max: 2m}}", "drill.yaml:1:48: responders.alice.ack_delay.max: unknown field for dist constant; expected value"},
		"uniform reverse":  {"alice: {ack_delay: {dist: uniform, min: 4m, max: 1m}}", "drill.yaml:1:50: responders.alice.ack_delay.max: expected max >= min (4m0s), got 1m0s"},
		"p90 below median": {"alice: {ack_delay: {dist: lognormal, median: 5m, p90: 1m}}", "drill.yaml:1:55: responders.alice.ack_delay.p90: expected 0 < median <= p90, got median 5m0s, p90 1m0s"},
		"duplicate":        {"alice: {available: true}\nalice: {available: false}", "drill.yaml:2:1: responders.alice: duplicate key; first given at line 1"},
		"entry not a map":  {"alice: 3m", `drill.yaml:1:8: responders.alice: expected a mapping with fields available, ack_delay, claim_delay, got "3m"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseRespondersSrc(t, tc.src)
			require.EqualError(t, err, tc.want)
		})
	}
	// Every problem is reported, in file order.
	_, err := parseRespondersSrc(t, "bob: {x: 1}\nalice: {available: 3}")
	require.EqualError(t, err, "drill.yaml:1:7: responders.bob.x: unknown field; valid fields are: available, ack_delay, claim_delay\n"+
		`drill.yaml:2:20: responders.alice.available: expected true or false, got "3"`)
}

func TestDistSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ln := Dist{Kind: "lognormal", Median: 2 * time.Minute, P90: 6 * time.Minute}
	var xs []time.Duration
	for range 4000 {
		xs = append(xs, ln.Sample(r))
	}
	slices.Sort(xs)
	require.InDelta(t, float64(2*time.Minute), float64(xs[2000]), float64(15*time.Second), "median")
	require.InDelta(t, float64(6*time.Minute), float64(xs[3600]), float64(45*time.Second), "p90")
	u := Dist{Kind: "uniform", Min: time.Minute, Max: 4 * time.Minute}
	for range 1000 {
		v := u.Sample(r)
		require.GreaterOrEqual(t, v, time.Minute)
		require.LessOrEqual(t, v, 4*time.Minute)
	}
	require.Equal(t, time.Minute, Dist{Kind: "constant", Value: time.Minute}.Sample(r))
}
