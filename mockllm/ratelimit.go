package mockllm

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// bucket is a token bucket refilled continuously at capacity per minute,
// as the providers' per-minute limits behave.
type bucket struct {
	capacity float64
	level    float64
	last     time.Time
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.level = math.Min(b.capacity, b.level+el*b.capacity/60)
	}
	b.last = now
}

// wait is how long until the bucket holds n.
func (b *bucket) wait(n float64) time.Duration {
	if b.level >= n {
		return 0
	}
	return time.Duration((n - b.level) / (b.capacity / 60) * float64(time.Second))
}

// untilFull is how long until the bucket is full again.
func (b *bucket) untilFull() time.Duration {
	return time.Duration((b.capacity - b.level) / (b.capacity / 60) * float64(time.Second))
}

type limiterKey struct{ source, key, model string }

// limiter holds the request and token buckets of every API key and model.
type limiter struct {
	mu      sync.Mutex
	buckets map[limiterKey]*[2]bucket // requests, tokens
}

// rlResult is the state of a limit after a request, for the headers.
type rlResult struct {
	limit         RateLimit
	remainingReq  int
	remainingTok  int
	resetReq      time.Duration
	resetTok      time.Duration
	retryAfter    time.Duration // > 0 when refused
	refusedTokens bool          // refused on tokens, not requests
	requested     int
}

// take consumes one request and tokens from the buckets of (source, key,
// model) under lim, or refuses without consuming anything.
func (l *limiter) take(now time.Time, source, key, model string, lim RateLimit, tokens int) rlResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[limiterKey]*[2]bucket{}
	}
	k := limiterKey{source, key, model}
	b := l.buckets[k]
	if b == nil || b[0].capacity != float64(lim.RPM) || b[1].capacity != float64(lim.TPM) {
		b = &[2]bucket{{capacity: float64(lim.RPM), level: float64(lim.RPM), last: now}, {capacity: float64(lim.TPM), level: float64(lim.TPM), last: now}}
		l.buckets[k] = b
	}
	res := rlResult{limit: lim, requested: tokens}
	var wait time.Duration
	if lim.RPM > 0 {
		b[0].refill(now)
		wait = b[0].wait(1)
	}
	if lim.TPM > 0 {
		b[1].refill(now)
		if float64(tokens) > b[1].capacity {
			// Never satisfiable: refuse for a full minute, as providers do.
			res.refusedTokens = true
			wait = max(wait, time.Minute)
		} else if w := b[1].wait(float64(tokens)); w > wait {
			wait = w
			res.refusedTokens = true
		}
	}
	if wait > 0 {
		res.retryAfter = wait
	} else {
		if lim.RPM > 0 {
			b[0].level--
		}
		if lim.TPM > 0 {
			b[1].level -= float64(tokens)
		}
	}
	res.remainingReq, res.resetReq = int(b[0].level), b[0].untilFull()
	res.remainingTok, res.resetTok = int(b[1].level), b[1].untilFull()
	return res
}

// setHeaders writes the provider's rate-limit headers.
func (r rlResult) setHeaders(h http.Header, provider string, now time.Time) {
	switch provider {
	case ProviderGemini, ProviderBedrock:
		// Gemini and Bedrock send no rate-limit headers (Gemini's 429 has a RetryInfo detail,
		// from Retry-After below).
	case ProviderAnthropic:
		if r.limit.RPM > 0 {
			h.Set("anthropic-ratelimit-requests-limit", strconv.Itoa(r.limit.RPM))
			h.Set("anthropic-ratelimit-requests-remaining", strconv.Itoa(r.remainingReq))
			h.Set("anthropic-ratelimit-requests-reset", now.Add(r.resetReq).UTC().Format(time.RFC3339))
		}
		if r.limit.TPM > 0 {
			h.Set("anthropic-ratelimit-tokens-limit", strconv.Itoa(r.limit.TPM))
			h.Set("anthropic-ratelimit-tokens-remaining", strconv.Itoa(r.remainingTok))
			h.Set("anthropic-ratelimit-tokens-reset", now.Add(r.resetTok).UTC().Format(time.RFC3339))
		}
	case ProviderAzure:
		// Azure OpenAI sends what remains, not the limit or its reset.
		if r.limit.RPM > 0 {
			h.Set("x-ratelimit-remaining-requests", strconv.Itoa(r.remainingReq))
		}
		if r.limit.TPM > 0 {
			h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(r.remainingTok))
		}
	default:
		if r.limit.RPM > 0 {
			h.Set("x-ratelimit-limit-requests", strconv.Itoa(r.limit.RPM))
			h.Set("x-ratelimit-remaining-requests", strconv.Itoa(r.remainingReq))
			h.Set("x-ratelimit-reset-requests", fmtReset(r.resetReq))
		}
		if r.limit.TPM > 0 {
			h.Set("x-ratelimit-limit-tokens", strconv.Itoa(r.limit.TPM))
			h.Set("x-ratelimit-remaining-tokens", strconv.Itoa(r.remainingTok))
			h.Set("x-ratelimit-reset-tokens", fmtReset(r.resetTok))
		}
	}
	if r.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retrySeconds(r.retryAfter)))
		if provider == ProviderAzure {
			// Rounded up: a client that waits exactly this long finds
			// the bucket refilled.
			h.Set("Retry-After-Ms", strconv.FormatInt(int64((r.retryAfter+time.Millisecond-1)/time.Millisecond), 10))
		}
	}
}

func retrySeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// fmtReset formats a reset duration as OpenAI does ("1s", "6m0s", "120ms").
func fmtReset(d time.Duration) string {
	if d < time.Second {
		return strconv.Itoa(int(d.Milliseconds())) + "ms"
	}
	return d.Round(time.Second).String()
}
