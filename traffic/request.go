package traffic

import (
	"context"
	"errors"
	"net"
	"time"
)

// Result is what one request did.
type Result struct {
	Kind    string
	Outcome string
	Start   time.Time
	Status  int           // HTTP status; 0 when none came back
	Latency time.Duration // to the end of the body or stream
	TTFT    time.Duration // streams: to the first content chunk
	// Tokens and cost as the response reported them.
	InputTokens, OutputTokens int64
	CostUSD                   float64
	// Detail says why the outcome is not ok.
	Detail string
}

// maxResponse caps how much of a response is read.
const maxResponse = 8 << 20

func (g *Generator) fail(res Result, outcome, why string) Result {
	res.Outcome, res.Detail = outcome, why
	return res
}

// transportOutcome tells a timeout from any other failure.
func transportOutcome(ctx context.Context, err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return OutcomeTimeout
	}
	return OutcomeError
}

type usage struct {
	PromptTokens     int64    `json:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	InputTokens      int64    `json:"input_tokens"`
	OutputTokens     int64    `json:"output_tokens"`
	CostUSD          *float64 `json:"cost_usd"`
	Cost             *float64 `json:"cost"`
}

func (u *usage) apply(res *Result) {
	if u == nil {
		return
	}
	res.InputTokens = max(u.PromptTokens, u.InputTokens)
	res.OutputTokens = max(u.CompletionTokens, u.OutputTokens)
	switch {
	case u.CostUSD != nil:
		res.CostUSD = *u.CostUSD
	case u.Cost != nil:
		res.CostUSD = *u.Cost
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
