package mockllm

import (
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/faultmode"
)

// Issue 16: mockllm accepted billing factor 1e25 on its control API, then
// panicked (`counter cannot decrease`: the token count wrapped to a
// negative number) and the drill failed. The control API now refuses
// what the fault catalog refuses, with the range.
func TestControlAPIRefusesOutOfRangeParams(t *testing.T) {
	s, _ := startTest(t, nil)
	for _, tc := range []struct{ body, want string }{
		{`{"mode":"billing","params":{"factor":1e25,"tokens":"both"}}`, "params.factor: want a number above 1 and at most 1000, got 1e+25"},
		{`{"mode":"billing","params":{"factor":0.5,"tokens":"both"}}`, "params.factor: want a number above 1 and at most 1000, got 0.5"},
		{`{"mode":"price","params":{"factor":1001}}`, "params.factor: want a number above 0 and at most 1000, got 1001"},
		{`{"mode":"stream_cut","params":{"after_tokens":10000000}}`, "params.after_tokens: want tokens from 0 to 1000000, got 10000000"},
		{`{"mode":"stream_stall","params":{"delay":"2h"}}`, "params.delay: want a duration above 0s and at most 1h, got 2h0m0s"},
		{`{"mode":"rate_limit","params":{"rpm":2000000000}}`, "params.rpm: want requests per minute from 0 to 1000000000, got 2000000000"},
		{`{"mode":"error","params":{"status":503,"retry_after":9223372036854775807}}`, "params.retry_after: want whole seconds from 0s to 24h, got 9223372036854775807"},
		{`{"mode":"garbage","params":{"kind":"` + strings.Repeat("z", 5000) + `"}}`, `params.kind: want one of random_tokens`},
		{`{"mode":"error","count":10000000000,"params":{"status":503}}`, "count: want a whole number from 0 to 1000000000"},
	} {
		res, body := post(t, s.URL()+"/_drill/faults", tc.body)
		require.Equal(t, http.StatusBadRequest, res.StatusCode, tc.body)
		require.Contains(t, body, tc.want)
		require.Less(t, len(body), 1000, "the error quotes a short excerpt at most")
	}
	require.Empty(t, s.Faults().List())
}

// At the top of every range the server still answers, reports usage and
// cost that never wrap, and its counters only grow.
func TestLargestFaultsDoNotOverflow(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	addFault(t, s, Fault{Mode: ModeBilling, Params: FaultParams{Factor: faultmode.BillingFactorRange.Max, Tokens: "both"}})
	addFault(t, s, Fault{Mode: ModePrice, Params: FaultParams{Factor: faultmode.PriceFactorRange.Max}})
	for range 3 {
		res, body := post(t, url, chatBody("gpt-4o", strings.Repeat("tokens everywhere ", 2000), ""))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		u := usage(t, body)
		require.Greater(t, u[0], 0)
		require.LessOrEqual(t, u[0], MaxTokens)
	}
	for _, e := range s.Journal() {
		require.Greater(t, e.CostUSD, 0.0)
		require.LessOrEqual(t, e.CostUSD, MaxCostUSD)
	}
	res, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(b), "drill_mockllm_cost_usd_total")
	require.NotContains(t, string(b), "NaN")
	require.NotContains(t, string(b), "Inf\n")
}

func TestSaturatingArithmetic(t *testing.T) {
	require.Equal(t, MaxTokens, scaleTokens(1_000_000, 1e25), "saturates instead of wrapping negative")
	require.Equal(t, MaxTokens, scaleTokens(math.MaxInt, 2))
	require.Equal(t, 0, scaleTokens(100, math.NaN()))
	require.Equal(t, 0, scaleTokens(100, -3))
	require.Equal(t, 30, scaleTokens(10, 3))
	require.Equal(t, 2*MaxTokens, totalTokens(MaxTokens, MaxTokens))
	require.Equal(t, 5, totalTokens(-7, 5))
	require.Equal(t, MaxCostUSD, costUSD(math.Inf(1)))
	require.Equal(t, 0.0, costUSD(math.NaN()))
	require.Equal(t, 0.0, costUSD(-1))
	require.Equal(t, 1.5, costUSD(1.5))
	require.Equal(t, time.Duration(math.MaxInt64), faultmode.Seconds(math.MaxInt))
}
