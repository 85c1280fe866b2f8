package alerting

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"
)

// TestUntrimmedReadsEqualTrimmed holds PromQL over untrimmed chunks to
// the trimmed reads it replaces: every expression, at times inside and
// before the stored data (so that samples after the query time exist),
// gives the same result both ways.
func TestUntrimmedReadsEqualTrimmed(t *testing.T) {
	c, err := openCore(t.TempDir(), nil, 15*time.Second, liveMaxSamples)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.close() })
	start := time.Unix(1_700_000_000, 0).UTC()
	app := c.db.AppenderV2(context.Background())
	// 400 samples 15s apart: several head chunks per series, a counter
	// reset, a gap and a staleness marker.
	for i := range 400 {
		ts := start.Add(time.Duration(i) * 15 * time.Second).UnixMilli()
		for s := range 3 {
			lset := labels.FromStrings("__name__", "reqs_total", "route", string(rune('a'+s)))
			v := float64((i % 170) * (s + 1))
			if s == 2 && i > 200 && i < 230 {
				continue // a gap
			}
			if s == 1 && i == 300 {
				v = math.Float64frombits(value.StaleNaN)
			}
			_, err := app.Append(0, lset, 0, ts, v, nil, nil, storage.AppendV2Options{})
			require.NoError(t, err)
		}
	}
	require.NoError(t, app.Commit())
	exprs := []string{
		`reqs_total`, `reqs_total offset 3m`, `rate(reqs_total[5m])`, `increase(reqs_total[1m])`,
		`sum by (route) (rate(reqs_total[2m]))`, `resets(reqs_total[10m])`, `changes(reqs_total[7m])`,
		`count_over_time(reqs_total[5m])`, `last_over_time(reqs_total[30s])`, `absent_over_time(reqs_total{route="c"}[1m])`,
		`max_over_time(rate(reqs_total[1m])[5m:30s])`, `timestamp(reqs_total)`, `reqs_total @ 1700001000`,
		`deriv(reqs_total[3m])`, `reqs_total > 100`,
	}
	ctx := context.Background()
	nonEmpty := 0
	for _, at := range []time.Duration{0, 7 * time.Second, 30 * time.Minute, 50*time.Minute + 3*time.Second, 75 * time.Minute, 99*time.Minute + 45*time.Second, 2 * time.Hour} {
		ts := start.Add(at)
		for _, expr := range exprs {
			want := c.queryOn(ctx, c.db, expr, ts)
			got := c.queryOn(ctx, untrimmed{c.db}, expr, ts)
			require.Equal(t, want, got, "%s at +%s", expr, at)
			require.NotContains(t, want, "error", expr)
			if want != "" {
				nonEmpty++
			}
		}
	}
	require.Greater(t, nonEmpty, len(exprs)*4, "most queries must see data, or the comparison proves nothing")
}

func (c *core) queryOn(ctx context.Context, q storage.Queryable, expr string, ts time.Time) string {
	qry, err := c.qe.NewInstantQuery(ctx, q, nil, expr, ts)
	if err != nil {
		return "error: " + err.Error()
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return "error: " + res.Err.Error()
	}
	return res.Value.String()
}
