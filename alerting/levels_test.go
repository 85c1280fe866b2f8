package alerting

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"
)

// levelRules exercise every kind of dependency between groups.
const levelRules = `groups:
  - name: reads_later          # reads z, which a later group records
    rules:
      - record: w
        expr: z + 1
  - name: base
    rules:
      - record: x
        expr: sum(src)
  - name: chain                # reads x from base
    rules:
      - record: y
        expr: x * 2
  - name: alerts               # independent of all above
    rules:
      - alert: SrcHigh
        expr: src > 3
        annotations: {summary: "{{ $value }}"}
  - name: free                 # reads only scraped series
    rules:
      - record: src_sum
        expr: sum(src)
  - name: on_alerts            # selects ALERTS: after every group with alerting rules
    rules:
      - record: alerting_count
        expr: count(ALERTS{alertname="SrcHigh"})
  - name: records_z            # records what reads_later reads
    rules:
      - record: z
        expr: src * 3
  - name: chain2               # reads y from chain: a two-step chain
    rules:
      - alert: YHigh
        expr: y > 30
        for: 1m
  - name: rerecords_x          # writes x too: stays after base
    rules:
      - record: x
        expr: sum(src) + 0
  - name: regexp               # no fixed metric name: after every writer
    rules:
      - record: any_count
        expr: count({__name__=~"x|y"})
  - name: template_query       # a template may query anything
    rules:
      - alert: Templated
        expr: src > 0
        annotations: {summary: '{{ with query "x" }}{{ . | first | value }}{{ end }}'}
`

func loadTestCore(t *testing.T, text string) *core {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, writeFile(p, text))
	c, err := openCore(t.TempDir(), nil, 15*time.Second, liveMaxSamples)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.close() })
	require.Empty(t, c.loadRules([]string{p}, 15*time.Second, labels.EmptyLabels(), "", nil))
	return c
}

func TestGroupLevels(t *testing.T) {
	c := loadTestCore(t, levelRules)
	got := map[string]int{}
	for _, g := range c.groups {
		got[g.Name()] = c.level[g]
	}
	require.Equal(t, map[string]int{
		"reads_later":    0,
		"base":           0,
		"chain":          1, // x from base
		"alerts":         0,
		"on_alerts":      1, // ALERTS from alerts
		"records_z":      1, // z read by reads_later, which must see the previous tick's z
		"chain2":         2, // y from chain
		"rerecords_x":    2, // writes x like base, read by chain: after both
		"regexp":         3, // after every earlier writer (rerecords_x is the latest)
		"template_query": 4, // after regexp, which writes any_count
		"free":           0, // nothing it reads is recorded
	}, got)
}

// TestLevelledEvalEqualsInOrder evaluates the same rules over the same
// samples once level by level and once group by group in order, as
// promtool does, and requires identical stores: recorded series, ALERTS
// and ALERTS_FOR_STATE, sample for sample.
func TestLevelledEvalEqualsInOrder(t *testing.T) {
	levelled := loadTestCore(t, levelRules)
	ordered := loadTestCore(t, levelRules)
	ctx := context.Background()
	start := time.Unix(0, 0).UTC()
	for step := range 40 {
		ts := start.Add(time.Duration(step) * 15 * time.Second)
		for _, c := range []*core{levelled, ordered} {
			app := c.db.AppenderV2(ctx)
			for i := range 5 {
				// src rises for a while, then stops being exposed (stale).
				if step < 30 {
					_, err := app.Append(0, labels.FromStrings("__name__", "src", "i", fmt.Sprint(i)), 0,
						ts.UnixMilli(), float64((step*(i+1))%11), nil, nil, storage.AppendV2Options{})
					require.NoError(t, err)
				}
			}
			require.NoError(t, app.Commit())
		}
		_, errs := levelled.eval(ctx, ts, levelled.groups)
		require.Empty(t, errs)
		for _, g := range ordered.groups {
			g.Eval(ctx, ts)
		}
	}
	end := start.Add(40 * 15 * time.Second)
	dump := func(c *core) string {
		q, err := c.qe.NewRangeQuery(ctx, c.db, nil, `{__name__=~".+"}`, start, end, 15*time.Second)
		require.NoError(t, err)
		defer q.Close()
		res := q.Exec(ctx)
		require.NoError(t, res.Err)
		return res.Value.String()
	}
	a, b := dump(levelled), dump(ordered)
	for _, name := range []string{"alerting_count", "YHigh", "any_count", `"w"`, "Templated"} {
		require.True(t, strings.Contains(a, name), "no %s series: the rules did not run", name)
	}
	require.True(t, a == b, "levelled evaluation stored other samples than in-order evaluation:\n%s\nwant:\n%s", a, b)
}
