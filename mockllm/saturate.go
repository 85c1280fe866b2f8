package mockllm

// Token and money arithmetic saturates instead of wrapping: whatever a
// fault or a configuration multiplies, a count the server reports, bills
// and adds to a Prometheus counter stays a non-negative number that
// clients (float64 JSON numbers included) read exactly, and a counter is
// never asked to decrease.

// MaxTokens is where one request's reported token counts (prompt,
// completion) saturate: 10^12, so that their sum stays exact in a float64
// and in every SDK's integer type.
const MaxTokens = 1_000_000_000_000

// MaxCostUSD is where one request's reported cost saturates.
const MaxCostUSD = 1e12

// scaleTokens is n·f, saturated to [0, MaxTokens]; NaN counts as 0.
func scaleTokens(n int, f float64) int {
	v := float64(n) * f
	switch {
	case !(v > 0): // negative, zero or NaN
		return 0
	case v >= MaxTokens:
		return MaxTokens
	}
	return int(v)
}

// totalTokens is a+b for the usage a response reports, saturated.
func totalTokens(a, b int) int {
	return min(max(a, 0)+max(b, 0), 2*MaxTokens)
}

// costUSD keeps a request's cost in [0, MaxCostUSD]; NaN counts as 0.
func costUSD(v float64) float64 {
	switch {
	case !(v > 0):
		return 0
	case v > MaxCostUSD:
		return MaxCostUSD
	}
	return v
}
