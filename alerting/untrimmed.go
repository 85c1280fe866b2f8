package alerting

import (
	"context"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// untrimmed is the store as the PromQL engine reads it: series come back
// with their whole chunks rather than trimmed to the query's time range
// (storage.SelectHints.DisableTrimming). PromQL bounds every range and
// lookback itself, sample by sample, so results do not change; trimming
// would only wrap each series in a second iterator that checks every
// sample against the range again, and allocate its intervals, for every
// series of every rule at every tick.
type untrimmed struct{ storage.Queryable }

func (u untrimmed) Querier(mint, maxt int64) (storage.Querier, error) {
	q, err := u.Queryable.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return untrimmedQuerier{q}, nil
}

type untrimmedQuerier struct{ storage.Querier }

func (q untrimmedQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	if hints != nil {
		h := *hints
		h.DisableTrimming = true
		hints = &h
	}
	return q.Querier.Select(ctx, sortSeries, hints, ms...)
}
