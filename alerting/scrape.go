package alerting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"

	"github.com/drillkit/drill/timeline"
)

// Target is one /metrics endpoint to scrape.
type Target struct {
	Name string // the job label
	URL  string // full URL of the metrics endpoint
}

// maxBody bounds one scrape's response, as a guard against a runaway
// target; testbed targets expose far less.
const maxBody = 64 << 20

// acceptHeader asks for the text formats textparse reads, preferring the
// classic Prometheus text format.
const acceptHeader = "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"

// scrapeTarget is a target plus what the scrape loop remembers about it
// between scrapes: the series it exposed (for staleness markers) and
// their storage refs (so a steady target costs no label work per scrape).
type scrapeTarget struct {
	Target
	instance string
	cache    map[string]*cachedSeries // by the raw series text
	gen      uint64
	lastErr  error
	body     bytes.Buffer // the last response, reused: parsed labels are copies

	// failingSince is the drill time of the first failed scrape of the
	// current run of failures (zero while scrapes succeed); reported is
	// whether that run was logged.
	failingSince time.Time
	reported     bool

	// seen are the series the target's scrapes appended, by label hash,
	// for a Recording; nil when the engine records nothing. Past
	// seenMax of them, seenOver is set and no more are kept.
	seen     map[uint64]labels.Labels
	seenMax  int
	seenOver bool
}

// saw keeps lset among the series this target's scrapes appended.
func (st *scrapeTarget) saw(lset labels.Labels) {
	if st.seen == nil || st.seenOver {
		return
	}
	h := lset.Hash()
	if _, ok := st.seen[h]; ok {
		return
	}
	if len(st.seen) >= st.seenMax {
		st.seenOver = true
		return
	}
	st.seen[h] = lset
}

// transition is the timeline event of a change in the target's scrapes
// at drill time t: its first failure (after good scrapes, or at the very
// first) or its first good scrape after failures.
func (st *scrapeTarget) transition(t time.Time) (timeline.Event, bool) {
	failing := st.lastErr != nil
	if failing == st.reported {
		return timeline.Event{}, false
	}
	st.reported = failing
	attrs := map[string]string{"url": st.URL, "instance": st.instance}
	if failing {
		attrs["error"] = st.lastErr.Error()
		return timeline.Event{At: t, Kind: timeline.ScrapeFailed, Subject: st.Name, Attrs: attrs,
			Message: fmt.Sprintf("scraping %s failed (%v): up is 0 and its series go stale; alerts that read them see no data", st.URL, st.lastErr)}, true
	}
	return timeline.Event{At: t, Kind: timeline.ScrapeRestored, Subject: st.Name, Attrs: attrs,
		Message: fmt.Sprintf("scraping %s succeeds again", st.URL)}, true
}

type cachedSeries struct {
	ref     storage.SeriesRef
	lset    labels.Labels
	counter bool // scaled by the speed
	gen     uint64
}

func newScrapeTarget(t Target) (*scrapeTarget, error) {
	if strings.TrimSpace(t.Name) == "" {
		return nil, fmt.Errorf("alerting: target %q: name is empty; want the job name", t.URL)
	}
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alerting: target %s: url %q is not an http(s) URL with a host", t.Name, t.URL)
	}
	return &scrapeTarget{Target: t, instance: u.Host, cache: map[string]*cachedSeries{}}, nil
}

// scrape fetches the target and appends its samples at ts, counters
// multiplied by scale. A failed scrape is not an error of the engine: it
// records up=0 and marks the target's series stale, as Prometheus does.
func (st *scrapeTarget) scrape(ctx context.Context, client *http.Client, db storage.AppendableV2, ts time.Time, scale float64, timeout time.Duration) error {
	t := timestamp.FromTime(ts)
	start := time.Now()
	st.gen++
	app := db.AppenderV2(ctx)
	n, err := st.fetchAndAppend(ctx, client, app, t, scale, timeout)
	if err == nil {
		if cerr := app.Commit(); cerr != nil {
			return fmt.Errorf("alerting: storing the scrape of %s: %w", st.Name, cerr)
		}
	} else {
		_ = app.Rollback()
		st.gen++ // nothing from this scrape counts as seen
		n = 0
	}
	st.lastErr = err
	up := 1.0
	if err != nil {
		up = 0
	}
	app = db.AppenderV2(ctx)
	// Series exposed last time and not this time go stale.
	stale := math.Float64frombits(value.StaleNaN)
	for k, cs := range st.cache {
		if cs.gen != st.gen {
			if _, aerr := app.Append(cs.ref, cs.lset, 0, t, stale, nil, nil, storage.AppendV2Options{}); aerr != nil && !isBenign(aerr) {
				_ = app.Rollback()
				return fmt.Errorf("alerting: appending a staleness marker for %s: %w", cs.lset, aerr)
			}
			delete(st.cache, k)
		}
	}
	for _, s := range []struct {
		name string
		v    float64
	}{
		{seriesUp, up},
		{seriesScrapeDuration, time.Since(start).Seconds()},
		{seriesSamplesScraped, float64(n)},
	} {
		lset := labels.FromStrings(model.MetricNameLabel, s.name, "instance", st.instance, "job", st.Name)
		st.saw(lset)
		if _, aerr := app.Append(0, lset, 0, t, s.v, nil, nil, storage.AppendV2Options{}); aerr != nil && !isBenign(aerr) {
			_ = app.Rollback()
			return fmt.Errorf("alerting: appending %s for %s: %w", s.name, st.Name, aerr)
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("alerting: storing up for %s: %w", st.Name, err)
	}
	return nil
}

// isBenign reports append errors Prometheus' scrape loop also drops
// sample by sample rather than failing the scrape.
func isBenign(err error) bool {
	return errors.Is(err, storage.ErrOutOfOrderSample) || errors.Is(err, storage.ErrDuplicateSampleForTimestamp) ||
		errors.Is(err, storage.ErrTooOldSample) || errors.Is(err, storage.ErrOutOfBounds)
}

func (st *scrapeTarget) fetchAndAppend(ctx context.Context, client *http.Client, app storage.AppenderV2, t int64, scale float64, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("server returned HTTP status %s", resp.Status)
	}
	st.body.Reset()
	if _, err := st.body.ReadFrom(io.LimitReader(resp.Body, maxBody+1)); err != nil {
		return 0, err
	}
	body := st.body.Bytes()
	if len(body) > maxBody {
		return 0, fmt.Errorf("response is larger than %d bytes", maxBody)
	}
	p, err := textparse.New(body, resp.Header.Get("Content-Type"), nil, textparse.ParserOptions{
		FallbackContentType:     "text/plain",
		OpenMetricsSkipSTSeries: true,
	})
	if p == nil {
		return 0, fmt.Errorf("cannot parse the response: %w", err)
	}
	return st.appendAll(p, app, t, scale)
}

// appendAll appends every float sample the parser yields. The cache is
// only updated once the whole body parsed, so a malformed exposition
// leaves no half-scrape behind (the caller discards the appender).
func (st *scrapeTarget) appendAll(p textparse.Parser, app storage.AppenderV2, t int64, scale float64) (int, error) {
	var (
		famName string
		famType model.MetricType
		lset    labels.Labels
		n       int
		added   = map[string]*cachedSeries{}
	)
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("parsing the exposition: %w", err)
		}
		switch entry {
		case textparse.EntryType:
			name, typ := p.Type()
			famName, famType = string(name), typ
			continue
		case textparse.EntrySeries:
		default:
			continue // help, unit, comments; native histograms need protobuf
		}
		raw, _, v := p.Series() // exposed timestamps are real time: ignored
		// m[string(b)] looks up without allocating the key.
		cs, ok := st.cache[string(raw)]
		if !ok {
			cs, ok = added[string(raw)]
		}
		if !ok {
			p.Labels(&lset)
			cs = &cachedSeries{lset: st.relabel(lset), counter: isCounterSample(lset.Get(model.MetricNameLabel), famName, famType)}
			added[string(raw)] = cs
		}
		// Marking a cached series seen before the whole body parsed is
		// safe: a failed scrape bumps gen, so nothing of it counts.
		cs.gen = st.gen
		if cs.counter && !value.IsStaleNaN(v) {
			v *= scale
		}
		ref, err := app.Append(cs.ref, cs.lset, 0, t, v, nil, nil, storage.AppendV2Options{})
		if err != nil && !isBenign(err) {
			return 0, fmt.Errorf("appending %s: %w", cs.lset, err)
		}
		if err == nil {
			cs.ref = ref
		}
		n++
	}
	for k, cs := range added {
		st.cache[k] = cs
		st.saw(cs.lset)
	}
	return n, nil
}

// relabel adds job and instance like a Prometheus scrape with
// honor_labels false: exposed labels of those names become exported_*.
func (st *scrapeTarget) relabel(l labels.Labels) labels.Labels {
	b := labels.NewBuilder(l)
	for _, name := range []string{"job", "instance"} {
		if v := l.Get(name); v != "" {
			b.Set("exported_"+name, v)
		}
	}
	b.Set("job", st.Name)
	b.Set("instance", st.instance)
	return b.Labels()
}

// isCounterSample reports whether a sample of metric name, in a family of
// the given name and type, is cumulative and so scales with the speed:
// counters, and histogram/summary _count, _sum and _bucket. Gauges,
// summary quantiles, gauge histograms and untyped samples stay.
func isCounterSample(name, fam string, typ model.MetricType) bool {
	switch typ {
	case model.MetricTypeCounter:
		return name == fam || name == fam+"_total"
	case model.MetricTypeHistogram:
		return name == fam+"_bucket" || name == fam+"_count" || name == fam+"_sum"
	case model.MetricTypeSummary:
		return name == fam+"_count" || name == fam+"_sum"
	}
	return false
}
