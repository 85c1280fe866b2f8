package gateway

import (
	"sync"
	"time"
)

// spendWindow sums spend over a rolling minute in one-second buckets, so
// recording and reading are O(1) whatever the request rate.
type spendWindow struct {
	now func() time.Time

	mu      sync.Mutex
	buckets [60]float64
	stamps  [60]int64 // the Unix second each bucket holds
}

func (w *spendWindow) add(usd float64) {
	if usd <= 0 {
		return
	}
	sec := w.now().Unix()
	i := sec % 60
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stamps[i] != sec {
		w.stamps[i], w.buckets[i] = sec, 0
	}
	w.buckets[i] += usd
}

// lastMinute is the spend recorded in the last 60 seconds.
func (w *spendWindow) lastMinute() float64 {
	sec := w.now().Unix()
	w.mu.Lock()
	defer w.mu.Unlock()
	var sum float64
	for i := range w.buckets {
		if sec-w.stamps[i] < 60 {
			sum += w.buckets[i]
		}
	}
	return sum
}

// cost is the USD price of one call's usage; false when the model has no
// price (Validate makes that impossible for the configured models).
func cost(prices map[string]Price, model string, in, out int) (float64, bool) {
	p, ok := prices[model]
	if !ok {
		return 0, false
	}
	return (float64(in)*p.InputPerMTok + float64(out)*p.OutputPerMTok) / 1e6, true
}
