package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// now is the end of the report window: the day after the real run in
// testdata/cost-spike.scorecard.json.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// scenario builds a scenario whose timeline gives the timings asked for
// (minutes; 0 leaves the event out).
func scenario(name, family string, st scoring.Verdict, start time.Time, detect, ack, recover float64, falseAlarm bool) scoring.Scenario {
	m := func(f float64) time.Duration { return time.Duration(f * float64(time.Minute)) }
	fault := start.Add(5 * time.Minute)
	ev := []timeline.Event{
		{Seq: 1, At: start, Kind: timeline.ScenarioStart},
		{Seq: 2, At: fault, Kind: timeline.ControlEnd},
		{Seq: 3, At: fault, Kind: timeline.FaultOn, Subject: "f1"},
	}
	if falseAlarm {
		ev = append(ev, timeline.Event{Seq: 4, At: start.Add(time.Minute), Kind: timeline.AlertFiring, Subject: "Noisy"})
	}
	if detect > 0 {
		ev = append(ev, timeline.Event{Seq: 5, At: fault.Add(m(detect)), Kind: timeline.AlertFiring, Subject: "Expected"},
			timeline.Event{Seq: 6, At: fault.Add(m(detect)), Kind: timeline.Page, Subject: "alice"})
	}
	if ack > 0 {
		ev = append(ev, timeline.Event{Seq: 7, At: fault.Add(m(detect + ack)), Kind: timeline.Ack, Subject: "alice"})
	}
	if recover > 0 {
		ev = append(ev, timeline.Event{Seq: 8, At: fault.Add(m(recover)), Kind: timeline.Recovered})
	}
	return scoring.Scenario{Name: name, Feature: "features/" + family + ".feature", Family: family, Status: st,
		ExpectedAlerts: []string{"Expected"}, Events: ev}
}

func run(id string, at time.Time, scs ...scoring.Scenario) *scoring.Scorecard {
	c := &scoring.Scorecard{SchemaVersion: 1, RunID: id, Team: "Acme ML platform", StartedAt: at, FinishedAt: at.Add(time.Minute), Speed: 60, Seed: 1, Scenarios: scs}
	c.Summary = scoring.Summarize(c.Scenarios)
	return c
}

// history is ten baseline runs and ten current runs: cost-spike gets
// slower to recover and fails more, with one false alarm; inference-outage
// detects faster; acknowledging takes as long as before.
func history(t testing.TB) []*scoring.Scorecard {
	start := now.Add(-30 * 24 * time.Hour)
	var cards []*scoring.Scorecard
	for i := range 10 {
		at := start.Add(time.Duration(12+i*30) * time.Hour) // every 30 hours from day 0.5 to 12
		cards = append(cards, run(fmt.Sprintf("base-%d", i), at,
			scenario("cap spend", "cost-spike", scoring.Passed, at, 4, 1, 10+float64(i%3), false),
			scenario("fail over", "inference-outage", scoring.Passed, at, 6+float64(i%4), 2, 12, false),
		))
	}
	for i := range 10 {
		at := start.Add(time.Duration(15*24+i*30) * time.Hour) // day 15 to 26
		st := scoring.Passed
		if i >= 2 {
			st = scoring.Failed
		}
		cards = append(cards, run(fmt.Sprintf("cur-%d", i), at,
			scenario("cap spend", "cost-spike", st, at, 4, 1, 15+float64(i%3), i == 2),
			scenario("fail over", "inference-outage", scoring.Passed, at, 3, 2, 12, false),
		))
	}
	// outside the window: ignored
	cards = append(cards, run("too-old", start.Add(-time.Hour), scenario("x", "cost-spike", scoring.Failed, start, 1, 1, 1, false)))
	// the latest run is a real one, as drill run wrote it
	raw, err := os.ReadFile("testdata/cost-spike.scorecard.json")
	require.NoError(t, err)
	var real scoring.Scorecard
	require.NoError(t, json.Unmarshal(raw, &real))
	return append(cards, &real)
}

func build(t *testing.T) *Report {
	o := DefaultOptions()
	o.Now = now
	r, err := Build(history(t), o)
	require.NoError(t, err)
	return r
}

func TestBuild(t *testing.T) {
	r := build(t)
	require.Equal(t, "Acme ML platform", r.Team)
	require.Len(t, r.Runs, 21, "the run before the window is left out")
	require.Equal(t, []string{"overall", "cost-spike", "inference-outage"}, []string{r.Groups[0].Name, r.Groups[1].Name, r.Groups[2].Name})
	require.Equal(t, Correction, r.Correction)

	cost := r.Groups[1]
	require.Equal(t, 10, cost.Baseline.Runs)
	require.Equal(t, 11, cost.Current.Runs)
	require.InDelta(t, 1.0, *cost.Baseline.PassRate, 1e-9)
	require.InDelta(t, 4.0/12.0, *cost.Current.PassRate, 1e-9, "10 synthetic + 2 real scenarios, 8 failed")
	require.Equal(t, 10, cost.Baseline.TimeToRecover.N)
	require.InDelta(t, 12*60, *cost.Baseline.TimeToRecover.P90, 1e-9)
	require.InDelta(t, 11*60, *cost.Baseline.TimeToRecover.Median, 1e-9)

	kinds := map[string]string{}
	for _, c := range r.Changes {
		kinds[c.Group+" "+c.Metric] = c.Kind
		require.Less(t, c.PAdjusted, Alpha, "%s %s", c.Group, c.Metric)
		require.LessOrEqual(t, c.P, c.PAdjusted)
	}
	require.Equal(t, "regression", kinds["cost-spike pass_rate"])
	require.Equal(t, "regression", kinds["cost-spike time_to_recover"])
	require.Equal(t, "improvement", kinds["inference-outage time_to_detect"])
	require.NotContains(t, kinds, "inference-outage time_to_recover", "unchanged timings are not flagged")
	require.NotContains(t, kinds, "cost-spike false_alarm_rate", "one false alarm in 13 alerts is no change")
	require.NotContains(t, kinds, "overall time_to_acknowledge")

	fa := comparison(t, r, "cost-spike", "false_alarm_rate")
	require.False(t, fa.Counted, "0 of 10 against 1 of 13 cannot reach significance")
	require.Contains(t, fa.Verdict, "not counted in the correction")
	ttr := comparison(t, r, "overall", "time_to_recover")
	require.Less(t, *ttr.PAdjusted, Alpha, "recovery is slower, significantly ...")
	require.Empty(t, ttr.Kind)
	require.Contains(t, ttr.Verdict, "+12%, below the minimum change of 20%", "... but by 12m → 13m30s, less than the minimum change")
	ttd := comparison(t, r, "overall", "time_to_detect")
	require.Less(t, *ttd.PAdjusted, Alpha, "detection is faster, significantly, by 20% ...")
	require.Empty(t, ttd.Kind)
	require.Contains(t, ttd.Verdict, "-20%, but not clearly beyond the minimum change of 20%", "... but not credibly by more")
	require.Equal(t, 1, strings.Count(describe(r.Changes[0]), "Holm"))
}

// comparison finds one comparison of a report.
func comparison(t *testing.T, r *Report, group, metric string) Comparison {
	t.Helper()
	for _, c := range r.Comparisons {
		if c.Group == group && c.Metric == metric {
			return c
		}
	}
	t.Fatalf("no comparison %s %s", group, metric)
	return Comparison{}
}

func TestBottleneckTrend(t *testing.T) {
	r := build(t)
	all := r.Groups[0]
	require.Equal(t, "detect", all.Baseline.Bottleneck, "inference-outage waited on detection in the baseline")
	require.Equal(t, 10, all.Baseline.BottleneckCount)
	require.Equal(t, 20, all.Baseline.Breakdowns)
	require.Equal(t, "verify", all.Current.Bottleneck)
	require.Equal(t, 21, all.Current.BottleneckCount)
	require.Len(t, all.Current.Phases, len(scoring.PhaseNames))
	verify := all.Baseline.phase(scoring.PhaseVerify)
	require.Equal(t, 20, verify.N)
	require.InDelta(t, 7*60, *verify.P90, 1e-9)
	require.InDelta(t, 4.5*60, *verify.Median, 1e-9)

	require.Equal(t, "detect", r.Runs[0].Bottleneck)
	require.Equal(t, "verify", r.Runs[10].Bottleneck)
	require.InDelta(t, 8.5*60, r.Runs[10].PhaseMedians[scoring.PhaseVerify], 1e-9, "cur-0: verify 10m and 7m")

	kinds := map[string]string{}
	for _, c := range r.Changes {
		kinds[c.Group+" "+c.Metric] = c.Kind
	}
	require.Equal(t, "regression", kinds["overall verify_phase"])
	require.Equal(t, "regression", kinds["inference-outage time_to_mitigate"])
	require.Equal(t, "improvement", kinds["inference-outage time_to_detect"])
	require.NotContains(t, kinds, "inference-outage detect_phase", "the detect phase is time to detect here: one finding, not two")
	require.Equal(t, "inference-outage time_to_detect", comparison(t, r, "inference-outage", "detect_phase").SameAs)
	require.NotContains(t, kinds, "inference-outage verify_phase", "verify is time to mitigate here: no runbook step ran")
	v := comparison(t, r, "inference-outage", "verify_phase")
	require.Equal(t, "inference-outage time_to_mitigate", v.SameAs)
	require.Equal(t, "regression", v.Kind, "the table still shows the flag")

	// the real run was recorded before scorecards carried a breakdown:
	// it is derived from its events, and the record is left as it was
	require.Nil(t, r.Latest.Scenarios[0].Breakdown)
	bd, _ := breakdownOf(r.Latest.Scenarios[0])
	require.NotNil(t, bd)
	require.Equal(t, scoring.PhaseVerify, bd.Bottleneck)
}

// TestHandoffsAndRoleGaps flags a rise from none as a regression and a
// fall to none as an improvement.
func TestHandoffsAndRoleGaps(t *testing.T) {
	start := now.Add(-30 * 24 * time.Hour)
	messy := func(at time.Time) scoring.Scenario {
		sc := scenario("s", "cost-spike", scoring.Passed, at, 2, 1, 10, false)
		fault := at.Add(5 * time.Minute)
		sc.Events = append(sc.Events,
			timeline.Event{Seq: 10, At: fault.Add(150 * time.Second), Kind: timeline.Page, Subject: "alice"}, // re-page
			timeline.Event{Seq: 11, At: fault.Add(3 * time.Minute), Kind: timeline.BrokenLink, Subject: "incident-commander", Attrs: map[string]string{"kind": "role"}})
		return sc
	}
	clean := func(at time.Time) scoring.Scenario {
		return scenario("s", "cost-spike", scoring.Passed, at, 2, 1, 10, false)
	}
	cards := func(base, cur func(time.Time) scoring.Scenario) []*scoring.Scorecard {
		var out []*scoring.Scorecard
		for i := range 6 {
			a, b := start.Add(time.Duration(1+i)*24*time.Hour), start.Add(time.Duration(20+i)*24*time.Hour)
			out = append(out, run(fmt.Sprintf("a%d", i), a, base(a)), run(fmt.Sprintf("b%d", i), b, cur(b)))
		}
		return out
	}
	o := DefaultOptions()
	o.Now = now
	r, err := Build(cards(clean, messy), o)
	require.NoError(t, err)
	all := r.Groups[0]
	require.Equal(t, 6, all.Current.Handoffs)
	require.Equal(t, 6, all.Current.RoleGaps)
	require.InDelta(t, 1.0, *all.Current.HandoffsPerScenario, 1e-9)
	require.InDelta(t, 0.0, *all.Baseline.RoleGapsPerScenario, 1e-9)
	// six against six, every one apart: p = 2/C(12,6) = 0.0022 each
	got := strings.Join(changesByKind(r, "regression"), "\n")
	require.Contains(t, got, "overall (and cost-spike, the same scenarios): handoffs per scenario 0.00 → 1.00 (from none; p 0.0022, Holm ")
	require.Contains(t, got, "overall (and cost-spike, the same scenarios): role gaps per scenario 0.00 → 1.00 (from none; p 0.0022, Holm ")

	r, err = Build(cards(messy, clean), o)
	require.NoError(t, err)
	got = strings.Join(changesByKind(r, "improvement"), "\n")
	require.Contains(t, got, "handoffs per scenario 1.00 → 0.00 (-100%; p 0.0022")
	require.Contains(t, got, "role gaps per scenario 1.00 → 0.00 (-100%; p 0.0022")
	require.Empty(t, changesByKind(r, "regression"))
}

func TestBadWindows(t *testing.T) {
	o := DefaultOptions()
	o.Baseline = o.Since
	_, err := Build(nil, o)
	require.ErrorContains(t, err, "shorter than the window")
	o = DefaultOptions()
	o.Since = 0
	_, err = Build(nil, o)
	require.ErrorContains(t, err, "must be positive")
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "36h": 36 * time.Hour, "1.5d": 36 * time.Hour} {
		got, err := ParseWindow(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "d", "-3d", "0d", "soon", "3x"} {
		_, err := ParseWindow(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "14d", FormatWindow(14*24*time.Hour))
}

func TestGolden(t *testing.T) {
	r := build(t)
	for _, f := range []struct{ format, file string }{{"text", "report.txt"}, {"md", "report.md"}, {"json", "report.json"}, {"html", "report.html"}} {
		t.Run(f.format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, r, f.format))
			golden(t, filepath.Join("testdata", "golden", f.file), b.Bytes())
		})
	}
	require.ErrorContains(t, Write(&bytes.Buffer{}, r, "pdf"), `unknown format "pdf": want one of text, md, html, json`)
}

func TestEmptyReport(t *testing.T) {
	o := DefaultOptions()
	o.Now = now
	r, err := Build(nil, o)
	require.NoError(t, err)
	for _, f := range Formats {
		var b bytes.Buffer
		require.NoError(t, Write(&b, r, f), f)
	}
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, r))
	require.Contains(t, b.String(), "No run in the window.")
}

func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, build(t)))
	page := b.String()
	for _, banned := range []string{"<script", "<link", "src=", "@import", "url("} {
		require.NotContains(t, page, banned, "the report must not load anything")
	}
	require.Equal(t, 3+2*2, strings.Count(page, "<svg "), "three trend charts, and a breakdown bar and a timeline per scenario of the latest run")
	require.Equal(t, 2, strings.Count(page, `class="breakdown"`))
}

// chromium finds the browser, or skips the test with one line.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (apt-get install -y chromium); HTML render test skipped")
	return ""
}

// layoutCheck is appended to a copy of the page (the report itself has no
// script): it measures every label as the browser laid it out and writes
// what overlaps, what leaves its picture and the axes' labels into the
// DOM, which --dump-dom hands back.
const layoutCheck = `<script>
(function () {
  var out = {texts: 0, overlaps: [], clipped: [], x: [], y: [], t: []};
  document.querySelectorAll('svg').forEach(function (svg, si) {
    var sb = svg.getBoundingClientRect();
    var ts = [];
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width > 0) ts.push({s: t.textContent, r: r});
    });
    out.texts += ts.length;
    for (var i = 0; i < ts.length; i++) {
      var a = ts[i].r;
      if (a.left < sb.left - 1 || a.right > sb.right + 1 || a.top < sb.top - 1 || a.bottom > sb.bottom + 1) {
        out.clipped.push(si + ': ' + ts[i].s);
      }
      for (var j = i + 1; j < ts.length; j++) {
        var b = ts[j].r;
        var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 0.5 && h > 0.5) out.overlaps.push(si + ': "' + ts[i].s + '" and "' + ts[j].s + '"');
      }
    }
    ['x', 'y', 't'].forEach(function (k) {
      var l = [];
      svg.querySelectorAll('text.tick-' + k).forEach(function (t) { l.push(t.textContent); });
      if (l.length) out[k].push(l);
    });
  });
  var pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

type layout struct {
	Texts             int
	Overlaps, Clipped []string
	X, Y, T           [][]string
}

// render loads page in headless Chromium: the DOM it built, with the
// layout check's result, and a screenshot of the page for a person to
// look at (DRILL_SCREENSHOT_DIR keeps it; otherwise a temporary file).
func render(t *testing.T, bin, name string, page []byte) (string, layout) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, name+".html")
	checked := strings.Replace(string(page), "</body>", layoutCheck+"\n</body>", 1)
	require.NoError(t, os.WriteFile(file, []byte(checked), 0o644))
	browse := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + filepath.Join(dir, "profile-"+args[0][2:8])}
		cmd := exec.CommandContext(ctx, bin, append(append(base, args...), "file://"+file)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "chromium: %s", stderr.String())
		return out
	}
	dom := string(browse("--dump-dom"))
	shots := dir
	if d := os.Getenv("DRILL_SCREENSHOT_DIR"); d != "" {
		shots = d
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	png := filepath.Join(shots, name+".png")
	browse("--screenshot="+png, "--window-size=1000,5200", "--hide-scrollbars")
	st, err := os.Stat(png)
	require.NoError(t, err, "the screenshot")
	require.Positive(t, st.Size())
	t.Logf("screenshot: %s", png)

	_, after, ok := strings.Cut(dom, `<pre id="layout-check">`)
	require.True(t, ok, "the layout check ran")
	raw, _, _ := strings.Cut(after, "</pre>")
	var l layout
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(raw)), &l))
	return dom, l
}

// TestHTMLInChromium renders the report in headless Chromium, reads the
// key numbers back from the DOM it built, and checks how the browser laid
// out every label: none overlaps another or leaves its picture, dates on
// the time axes all differ, and the value axes read in round units.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	r := build(t)
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, r))
	got, l := render(t, bin, "report", b.Bytes())
	cost := r.Groups[1]
	for _, want := range []string{
		"drill report: Acme ML platform",
		fmt.Sprintf("regressions: %d", len(changesByKind(r, "regression"))),
		fmt.Sprintf("improvements: %d", len(changesByKind(r, "improvement"))),
		rateCell(cost.Current.PassRate, cost.Current.Passed, cost.Current.Judged), // 33.3% (4/12)
		statCell(cost.Baseline.TimeToRecover),
		"cost-spike: time to recover median 11m0s → 15m36s (+42%; p ",
		"A billing spike is detected, paged and capped by the runbook",
		"detect 3m58s", "recovered", "cap-spend",
		// the bottleneck trend and the latest run's bars
		rows(r, cost)[6].Cur, // verify (11 of 12)
		"verify 9m33s (bottleneck)", "detect 5m29s (bottleneck)",
		"bottleneck: verify took 9m33s (63% of the measured time)",
		"overall: verify phase median 4m30s → 8m17s (+84%; p ",
		"Holm", "runs: ",
	} {
		require.True(t, strings.Contains(got, want), "the rendered page lacks %q", want)
	}
	require.Equal(t, 7, strings.Count(got, "<svg "), "the browser parsed every chart")
	checkLayout(t, l)
	require.Len(t, l.X, 3, "three trend charts")
	require.Equal(t, []string{"Oct 29", "Nov 5", "Nov 12", "Nov 19", "Nov 26"}, l.X[0], "a 30-day window: weekly dates")
	require.Equal(t, []string{"0%", "25%", "50%", "75%", "100%"}, l.Y[0])
	require.Equal(t, []string{"0", "5m", "10m", "15m"}, l.Y[1], "per-run medians up to 14m59s: round minutes")
}

// TestHTMLCrowdedInChromium draws a timeline crowded on purpose (pages,
// acks, alerts and runbook steps seconds apart, long names at the right
// edge) over a 36-hour window, whose axis is in hours.
func TestHTMLCrowdedInChromium(t *testing.T) {
	bin := chromium(t)
	at := now.Add(-2 * time.Hour)
	fault := at.Add(5 * time.Minute)
	s := func(d time.Duration) time.Time { return fault.Add(d) }
	sc := scoring.Scenario{Name: "everything at once", Family: "cost-spike", Status: scoring.Failed, ExpectedAlerts: []string{"LLMSpendSpike"},
		Events: []timeline.Event{
			{Seq: 1, At: at, Kind: timeline.ScenarioStart},
			{Seq: 2, At: fault, Kind: timeline.ControlEnd},
			{Seq: 3, At: fault, Kind: timeline.FaultOn, Subject: "billing-spike"},
			{Seq: 4, At: s(time.Second), Kind: timeline.FaultOn, Subject: "search-api-503"},
		}}
	seq := int64(5)
	ev := func(d time.Duration, k timeline.Kind, subject string) {
		sc.Events = append(sc.Events, timeline.Event{Seq: seq, At: s(d), Kind: k, Subject: subject})
		seq++
	}
	for i, a := range []string{"LLMSpendSpike", "SearchAPIFailing", "GatewayErrorBudgetBurn", "TokenRateAnomaly"} {
		ev(time.Duration(60+i*5)*time.Second, timeline.AlertPending, a)
		ev(time.Duration(90+i*5)*time.Second, timeline.AlertFiring, a)
	}
	for i, who := range []string{"alice", "bob", "carol", "dave", "erin"} {
		ev(time.Duration(95+i*3)*time.Second, timeline.Page, who)
		ev(time.Duration(110+i*4)*time.Second, timeline.Ack, who)
	}
	for i, step := range []string{"check-spend", "cap-spend", "rotate-key", "fail-over-provider", "verify-traffic", "notify-finance"} {
		ev(time.Duration(130+i*6)*time.Second, timeline.StepStart, step)
		ev(time.Duration(134+i*6)*time.Second, timeline.StepEnd, step)
	}
	ev(9*time.Minute, timeline.FaultOff, "search-api-503")
	ev(14*time.Minute+50*time.Second, timeline.AlertResolved, "GatewayErrorBudgetBurn")
	ev(14*time.Minute+55*time.Second, timeline.Recovered, "")
	ev(15*time.Minute, timeline.FaultOff, "billing-spike")
	last := run("crowded", at, sc, scenario("calm", "cost-spike", scoring.Passed, at, 3, 1, 9, true))
	first := run("earlier", now.Add(-30*time.Hour), scenario("calm", "cost-spike", scoring.Passed, now.Add(-30*time.Hour), 4, 1, 10, false))
	o := DefaultOptions()
	o.Now, o.Since, o.Baseline = now, 36*time.Hour, 12*time.Hour
	r, err := Build([]*scoring.Scorecard{first, last}, o)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, r))
	got, l := render(t, bin, "crowded", b.Bytes())
	for _, want := range []string{"fail-over-provider", "ack erin", "firing TokenRateAnomaly", "page carol"} {
		require.Contains(t, got, want)
	}
	checkLayout(t, l)
	require.Greater(t, l.Texts, 60)
	require.Equal(t, []string{"Nov 26 00:00", "06:00", "12:00", "18:00", "Nov 27 00:00", "06:00", "12:00"}, l.X[0], "36 hours: every 6 hours, the date where a day starts")
	for _, axis := range l.T {
		for _, tick := range axis {
			require.Regexp(t, `^(0|\+(\d+h)?(\d+m)?(\d+s)?)$`, tick, "timeline ticks read in round units")
		}
	}
}

// checkLayout fails on any label the browser drew over another or
// outside its picture, and on date axes where two labels read as the same
// time (an hour label belongs to the last date written before it).
func checkLayout(t *testing.T, l layout) {
	t.Helper()
	require.Positive(t, l.Texts)
	require.Empty(t, l.Overlaps, "labels overlap")
	require.Empty(t, l.Clipped, "labels leave their picture")
	for _, axis := range l.X {
		seen := map[string]bool{}
		day := ""
		for _, d := range axis {
			if date, hour, ok := strings.Cut(d, " "); ok && hour != "" && !strings.Contains(hour, ":") {
				day = d // "Nov 5"
			} else if ok && strings.Contains(hour, ":") && len(date) <= 3 {
				day = d[:strings.LastIndex(d, " ")] // "Nov 26 06:00"
			}
			key := day + "|" + d
			require.False(t, seen[key], "%q twice on one axis: %v", d, axis)
			seen[key] = true
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got))
}

func BenchmarkBuildAndHTML(b *testing.B) {
	cards := history(b)
	o := DefaultOptions()
	o.Now = now
	for b.Loop() {
		r, err := Build(cards, o)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteHTML(&bytes.Buffer{}, r); err != nil {
			b.Fatal(err)
		}
	}
}

// A scorecard written before the runbook's Mitigation phase was named
// remediate (testdata/mitigate-phase.scorecard.json, as drill wrote it
// then: its breakdown, summary and step events say "mitigate") reads as
// today's: the report compares its remediate phase with a current run's,
// and shows no phase "mitigate".
func TestOldPhaseNamesCompareAcrossHistory(t *testing.T) {
	raw, err := os.ReadFile("testdata/mitigate-phase.scorecard.json")
	require.NoError(t, err)
	require.Contains(t, string(raw), `"name": "mitigate"`, "the fixture is an old scorecard")
	require.Contains(t, string(raw), `"phase": "mitigate"`)
	var old scoring.Scorecard
	require.NoError(t, json.Unmarshal(raw, &old))

	// The same drill recorded today: its events carry the new phase name
	// and its breakdown is the scorer's.
	cur := old.Scenarios[0]
	cur.Breakdown, cur.Alerts, cur.Events = nil, nil, append([]timeline.Event(nil), cur.Events...)
	for i, e := range cur.Events {
		if e.Attrs["phase"] == "mitigate" {
			attrs := map[string]string{}
			for k, v := range e.Attrs {
				attrs[k] = v
			}
			attrs["phase"] = scoring.PhaseRemediate
			cur.Events[i].Attrs = attrs
		}
	}
	at := old.StartedAt.Add(14 * 24 * time.Hour)
	card := run("20261115T090000-1", at, cur)

	o := DefaultOptions()
	o.Now, o.Since, o.Baseline = at.Add(24*time.Hour), 20*24*time.Hour, 14*24*time.Hour
	r, err := Build([]*scoring.Scorecard{&old, card}, o)
	require.NoError(t, err)
	all := r.Groups[0]
	for _, m := range []Metrics{all.Baseline, all.Current} {
		require.Equal(t, 1, m.Runs)
		require.Equal(t, scoring.PhaseRemediate, m.Bottleneck)
		rem := m.phase(scoring.PhaseRemediate)
		require.Equal(t, 1, rem.N)
		require.InDelta(t, 345, *rem.Median, 1e-9, "the Mitigation step's 5m45s")
		for _, p := range m.Phases {
			require.NotEqual(t, "mitigate", p.Name)
		}
	}
	c := comparison(t, r, "overall", "remediate_phase")
	require.Equal(t, 1, c.BaselineN)
	require.Equal(t, 1, c.CurrentN)
	for _, c := range r.Comparisons {
		require.NotEqual(t, "mitigate_phase", c.Metric)
	}
}
