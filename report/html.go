package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// WriteHTML writes the report as one self-contained HTML file: tables,
// trend charts and the latest run's timelines as inline SVG, no script
// and no external resource.
func WriteHTML(w io.Writer, r *Report) error {
	type groupView struct {
		Name string
		Rows []row
	}
	type scenarioView struct {
		Name, Family, Status, Reason string
		Warnings                     []string
		Timings                      []string
		Bottleneck                   string // the breakdown's evidence
		Handoffs                     string
		Bar                          template.HTML
		SVG                          template.HTML
	}
	data := struct {
		Header       []string
		Regressions  []string
		Improvements []string
		Groups       []groupView
		PassChart    template.HTML
		TimeChart    template.HTML
		PhaseChart   template.HTML
		Trend        [][]string
		LatestID     string
		Scenarios    []scenarioView
	}{Header: header(r), Regressions: changesByKind(r, "regression"), Improvements: changesByKind(r, "improvement")}
	for _, g := range r.Groups {
		data.Groups = append(data.Groups, groupView{g.Name, rows(r, g)})
	}
	data.PassChart = template.HTML(trendChart(r, "pass rate per run", []series{{"pass rate", "#2b7a2b", func(p RunPoint) *float64 { return p.PassRate }}}, true))
	data.TimeChart = template.HTML(trendChart(r, "median time to detect and to recover per run", []series{
		{"time to detect", "#c46b00", func(p RunPoint) *float64 { return p.DetectMedian }},
		{"time to recover", "#1f5fa8", func(p RunPoint) *float64 { return p.RecoverMedian }},
	}, false))
	if trend := bottleneckTrend(r); trend != nil {
		data.Trend = trend
		var ss []series
		for _, name := range trend[0][4:] {
			full := name
			if name == "ack" {
				full = scoring.PhaseAcknowledge
			}
			ss = append(ss, series{name, phaseColor(full), func(p RunPoint) *float64 {
				if v, ok := p.PhaseMedians[full]; ok {
					return &v
				}
				return nil
			}})
		}
		data.PhaseChart = template.HTML(trendChart(r, "median of each phase of time to recover per run", ss, false))
	}
	if r.Latest != nil {
		data.LatestID = r.Latest.RunID
		for _, sc := range r.Latest.Scenarios {
			t := sc.Timings
			bd, _ := breakdownOf(sc)
			var bar, bottleneck, handoffs string
			if bd != nil {
				bar, bottleneck = breakdownSVG(sc, bd), bd.Evidence
				handoffs = fmt.Sprintf("handoffs %d (%d escalation(s), %d re-page(s))", bd.Handoffs, bd.Escalations, bd.Repages)
			}
			data.Scenarios = append(data.Scenarios, scenarioView{
				Bottleneck: bottleneck, Handoffs: handoffs, Bar: template.HTML(bar),
				Name: sc.Name, Family: sc.Family, Status: string(sc.Status), Reason: sc.Reason, Warnings: sc.Warnings,
				Timings: []string{
					"detect " + scoring.FormatSeconds(t.TimeToDetect), "acknowledge " + scoring.FormatSeconds(t.TimeToAcknowledge),
					"mitigate " + scoring.FormatSeconds(t.TimeToMitigate), "recover " + scoring.FormatSeconds(t.TimeToRecover),
				},
				SVG: template.HTML(timelineSVG(sc)),
			})
		}
	}
	return page.Execute(w, data)
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{index .Header 0}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}
.regression{color:#b00020;font-weight:bold}
.improvement{color:#1b7a1b;font-weight:bold}
.passed{color:#1b7a1b}.failed,.error{color:#b00020}.inconclusive{color:#a06000}
svg{display:block;margin:.5em 0}
svg text{font:11px system-ui,sans-serif}
.muted{color:#666}
.bottleneck{border-left:4px solid #b00020;padding-left:.5em}
.warning{border-left:4px solid #b26a00;padding-left:.5em}
</style>
</head>
<body>
<h1>{{index .Header 0}}</h1>
<p>{{index .Header 1}}</p>
<p class="muted">{{index .Header 2}}</p>
<h2>Changes against the baseline</h2>
<p class="regression" id="regressions">regressions: {{len .Regressions}}</p>
{{with .Regressions}}<ul>{{range .}}<li class="regression">{{.}}</li>{{end}}</ul>{{end}}
<p class="improvement" id="improvements">improvements: {{len .Improvements}}</p>
{{with .Improvements}}<ul>{{range .}}<li class="improvement">{{.}}</li>{{end}}</ul>{{end}}
{{range .Groups}}
<h2 id="group-{{.Name}}">{{.Name}}</h2>
<table>
<tr><th>metric</th><th>baseline</th><th>current</th><th>change</th></tr>
{{range .Rows}}<tr><td>{{.Label}}</td><td>{{.Base}}</td><td>{{.Cur}}</td><td class="{{.Flag}}">{{.Flag}}</td></tr>
{{end}}</table>
{{end}}
<h2>Trends</h2>
{{.PassChart}}
{{.TimeChart}}
{{with .Trend}}
<h2>Bottleneck by run</h2>
<p class="muted">Oldest first; the phase most often the longest in each run, and the median of each phase in drill time.</p>
{{$.PhaseChart}}
<table id="bottleneck-trend">
{{range $i, $l := .}}<tr>{{range $l}}{{if $i}}<td>{{.}}</td>{{else}}<th>{{.}}</th>{{end}}{{end}}</tr>
{{end}}</table>
{{end}}
<h2>Latest run{{with .LatestID}}: {{.}}{{end}}</h2>
{{if not .Scenarios}}<p>No run in the window.</p>{{end}}
{{range .Scenarios}}
<h3>{{.Name}} <span class="{{.Status}}">{{.Status}}</span>{{with .Family}} <span class="muted">{{.}}</span>{{end}}</h3>
{{with .Reason}}<p>{{.}}</p>{{end}}
{{range .Warnings}}<p class="warning">warning: {{.}}</p>{{end}}
<p>{{range $i, $t := .Timings}}{{if $i}} · {{end}}{{$t}}{{end}}</p>
{{with .Bar}}<h4>Where the time went</h4>
{{.}}{{end}}
{{with .Bottleneck}}<p class="bottleneck">bottleneck: {{.}}</p>{{end}}
{{with .Handoffs}}<p class="muted">{{.}}</p>{{end}}
{{.SVG}}
{{end}}
</body>
</html>
`))

type series struct {
	name, color string
	value       func(RunPoint) *float64
}

const (
	chartW, chartH         = 900, 220
	padL, padR, padT, padB = 60, 20, 28, 36
)

// trendChart draws runs over the window: the baseline shaded, one line
// per series, a circle per run with its value as a tooltip.
func trendChart(r *Report, title string, ss []series, percent bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="16" font-weight="bold">%s</text>`, padL, html.EscapeString(title))
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	span := r.WindowEnd.Sub(r.WindowStart).Seconds()
	x := func(t time.Time) float64 { return padL + t.Sub(r.WindowStart).Seconds()/span*plotW }
	top := 1.0
	if !percent {
		top = 0
		for _, p := range r.Runs {
			for _, s := range ss {
				if v := s.value(p); v != nil {
					top = math.Max(top, *v)
				}
			}
		}
		top = niceCeil(top * 1.1)
	}
	y := func(v float64) float64 { return padT + plotH - v/top*plotH }
	// baseline window
	fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%.1f" fill="#eef2f7"/>`, x(r.WindowStart), padT, x(r.BaselineEnd)-x(r.WindowStart), plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#667">baseline</text>`, x(r.WindowStart)+4, padT+12)
	// axes and grid
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		label := dur(&v)
		if percent {
			label = fmt.Sprintf("%.0f%%", v*100)
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y(v), y(v), padL-6, y(v)+4, label)
	}
	for _, t := range []time.Time{r.WindowStart, r.BaselineEnd, r.WindowEnd} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(t), chartH-padB+16, t.UTC().Format("Jan 2"))
	}
	for i, s := range ss {
		var pts []string
		for _, p := range r.Runs {
			if v := s.value(p); v != nil {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.StartedAt), y(*v)))
			}
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.color, strings.Join(pts, " "))
		}
		for _, p := range r.Runs {
			if v := s.value(p); v != nil {
				val := dur(v)
				if percent {
					val = pct(v)
				}
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s</title></circle>`,
					x(p.StartedAt), y(*v), s.color, html.EscapeString(p.RunID), html.EscapeString(s.name), val)
			}
		}
		gap := 140
		if len(ss) > 2 {
			gap = 90 // the phase chart's six series
		}
		lx := chartW - padR - gap*(len(ss)-i)
		fmt.Fprintf(&b, `<rect x="%d" y="6" width="10" height="10" fill="%s"/><text x="%d" y="15">%s</text>`,
			lx, s.color, lx+14, html.EscapeString(s.name))
	}
	if len(r.Runs) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#888">no runs in the window</text>`, padL+plotW/2, padT+plotH/2)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// lanes of a scenario timeline, top to bottom.
var lanes = []string{"fault", "alerts", "response", "runbook", "service"}

const (
	tlW, laneH, tlLeft, tlRight, tlTop = 900, 34, 90, 70, 10
)

// timelineSVG draws one scenario's events on a drill-time axis from its
// first event: fault spans, alert pending/firing spans, pages and acks,
// runbook steps, the end of the control window and recovery.
func timelineSVG(sc scoring.Scenario) string {
	ev := append([]timeline.Event(nil), sc.Events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	var b strings.Builder
	height := tlTop + laneH*len(lanes) + 30
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="timeline of %s">`,
		tlW, height, tlW, height, html.EscapeString(sc.Name))
	if len(ev) == 0 {
		b.WriteString(`<text x="10" y="20" fill="#888">no events recorded</text></svg>`)
		return b.String()
	}
	start, end := ev[0].At, ev[len(ev)-1].At
	span := math.Max(end.Sub(start).Seconds(), 1)
	plotW := float64(tlW - tlLeft - tlRight)
	x := func(t time.Time) float64 { return tlLeft + t.Sub(start).Seconds()/span*plotW }
	laneY := func(name string) float64 {
		for i, l := range lanes {
			if l == name {
				return float64(tlTop + i*laneH)
			}
		}
		return 0
	}
	for i, l := range lanes {
		y := float64(tlTop + i*laneH)
		fill := "#fafafa"
		if i%2 == 1 {
			fill = "#f2f2f2"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%.0f" width="%.0f" height="%d" fill="%s"/><text x="6" y="%.0f">%s</text>`,
			tlLeft, y, plotW, laneH, fill, y+laneH/2+4, l)
	}
	axisY := float64(tlTop + laneH*len(lanes))
	step := tickStep(span)
	for s := 0.0; s <= span+1e-9; s += step {
		xx := tlLeft + s/span*plotW
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			xx, xx, tlTop, axisY+4, xx, axisY+16, scoring.Offset(time.Duration(s*float64(time.Second))))
	}
	span2 := func(lane string, from, to time.Time, color, label string, row int) {
		y := laneY(lane) + 5 + float64(row)*13
		w := math.Max(x(to)-x(from), 2)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="11" fill="%s" opacity="0.8"><title>%s %s → %s</title></rect>`,
			x(from), y, w, color, html.EscapeString(label), scoring.Offset(from.Sub(start)), scoring.Offset(to.Sub(start)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9">%s</text>`, x(from)+2, y+9, html.EscapeString(label))
	}
	mark := func(lane string, at time.Time, color, label string, row int) {
		y := laneY(lane) + 11 + float64(row)*13
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s"><title>%s at %s</title></circle><text x="%.1f" y="%.1f" font-size="9">%s</text>`,
			x(at), y, color, html.EscapeString(label), scoring.Offset(at.Sub(start)), x(at)+7, y+3, html.EscapeString(label))
	}
	open := map[string]time.Time{}
	key := func(e timeline.Event) string { return string(e.Kind) + "|" + e.Subject }
	var faultRow, stepRow, respRow int
	for _, e := range ev {
		switch e.Kind {
		case timeline.ControlEnd:
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#555" stroke-dasharray="4 3"><title>end of the control window at %s</title></line>`,
				x(e.At), x(e.At), tlTop, axisY, scoring.Offset(e.At.Sub(start)))
		case timeline.FaultOn:
			open["fault|"+e.Subject] = e.At
		case timeline.FaultOff:
			if from, ok := open["fault|"+e.Subject]; ok {
				span2("fault", from, e.At, "#d33", "fault "+e.Subject, faultRow%2)
				faultRow++
				delete(open, "fault|"+e.Subject)
			}
		case timeline.AlertPending:
			open["pending|"+e.Subject] = e.At
		case timeline.AlertFiring:
			if from, ok := open["pending|"+e.Subject]; ok {
				span2("alerts", from, e.At, "#f0c070", "pending", 0)
				delete(open, "pending|"+e.Subject)
			}
			open["firing|"+e.Subject] = e.At
		case timeline.AlertResolved:
			if from, ok := open["firing|"+e.Subject]; ok {
				span2("alerts", from, e.At, "#e08a00", "firing "+e.Subject, 1)
				delete(open, "firing|"+e.Subject)
			}
			delete(open, "pending|"+e.Subject)
		case timeline.Page:
			mark("response", e.At, "#1f5fa8", "page "+e.Subject, respRow%2)
			respRow++
		case timeline.Ack:
			mark("response", e.At, "#1b7a1b", "ack "+e.Subject, respRow%2)
			respRow++
		case timeline.StepStart:
			open[key(e)] = e.At
		case timeline.StepEnd:
			k := string(timeline.StepStart) + "|" + e.Subject
			if from, ok := open[k]; ok {
				color := "#6a4fb3"
				if e.Attrs["status"] != "" && e.Attrs["status"] != "ok" {
					color = "#b00020"
				}
				span2("runbook", from, e.At, color, e.Subject, stepRow%2)
				stepRow++
				delete(open, k)
			}
		case timeline.Recovered:
			mark("service", e.At, "#1b7a1b", "recovered", 0)
		case timeline.HarnessError:
			mark("service", e.At, "#b00020", "harness error", 1)
		}
	}
	// spans still open at the end run to the last event
	var rest []string
	for k := range open {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		kind, subject, _ := strings.Cut(k, "|")
		switch kind {
		case "fault":
			span2("fault", open[k], end, "#d33", "fault "+subject, faultRow%2)
			faultRow++
		case "firing":
			span2("alerts", open[k], end, "#e08a00", "firing "+subject, 1)
		case "pending":
			span2("alerts", open[k], end, "#f0c070", "pending", 0)
		case string(timeline.StepStart):
			span2("runbook", open[k], end, "#6a4fb3", subject, stepRow%2)
			stepRow++
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// tickStep picks an axis step giving at most ~10 ticks.
func tickStep(span float64) float64 {
	for _, s := range []float64{10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200} {
		if span/s <= 10 {
			return s
		}
	}
	return span / 10
}

// phaseColor is a phase's colour on the bars and the phase chart.
func phaseColor(name string) string {
	switch name {
	case scoring.PhaseDetect:
		return "#c46b00"
	case scoring.PhaseRoute:
		return "#8c6d1f"
	case scoring.PhaseAcknowledge:
		return "#1f5fa8"
	case scoring.PhaseDiagnose:
		return "#6a4fb3"
	case scoring.PhaseMitigate:
		return "#2b7a2b"
	case scoring.PhaseVerify:
		return "#178a8a"
	}
	return "#888"
}

const barH, barTop, barLabelMin = 26, 8, 72

// breakdownSVG draws a scenario's time to recover as one stacked bar: a
// segment per phase, in order, labelled with its duration when it has
// room and always in the caption under the bar; the bottleneck outlined
// and named in bold; a phase that never ended drawn faded. The bar sits
// on the drill-time axis of the scenario's timeline drawn under it,
// starting at the fault, so each phase lines up with its events.
func breakdownSVG(sc scoring.Scenario, bd *scoring.Breakdown) string {
	name := sc.Name
	var total float64
	for _, p := range bd.Phases {
		total += float64(p.Seconds)
	}
	plotW := float64(tlW - tlLeft - tlRight)
	x0, scale := float64(tlLeft), 0.0
	if total > 0 {
		scale = plotW / total
	}
	if start, span, fault, ok := axisOf(sc); ok {
		// the timeline's mapping: seconds from its first event over its span
		x0 = tlLeft + fault.Sub(start).Seconds()/span*plotW
		scale = plotW / span
	}
	height := barTop + barH + 26
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="breakdown" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="time to recover by phase, %s">`,
		tlW, height, tlW, height, html.EscapeString(name))
	fmt.Fprintf(&b, `<text x="6" y="%d">by phase</text>`, barTop+barH/2+4)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%d" fill="#f2f2f2"/>`, tlLeft, barTop, plotW, barH)
	x := x0
	var caption []string
	for _, p := range bd.Phases {
		s := p.Seconds
		d := scoring.FormatSeconds(&s)
		label := phaseLabel(p.Name) + " " + d
		if p.Open {
			label += " (never ended)"
		}
		w := float64(p.Seconds) * scale
		isB := p.Name == bd.Bottleneck
		if w > 0 {
			opacity, stroke := "0.85", ""
			if p.Open {
				opacity = "0.4"
			}
			if isB {
				stroke = ` stroke="#b00020" stroke-width="3"`
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" opacity="%s"%s><title>%s: %s</title></rect>`,
				x, barTop, w, barH, phaseColor(p.Name), opacity, stroke, html.EscapeString(label), html.EscapeString(p.Evidence))
			if w >= barLabelMin {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#fff">%s</text>`, x+4, barTop+barH/2+4, html.EscapeString(label))
			}
		}
		lbl := html.EscapeString(label)
		if isB {
			lbl = `<tspan font-weight="bold" fill="#b00020">` + lbl + ` (bottleneck)</tspan>`
		}
		caption = append(caption, fmt.Sprintf(`<tspan fill="%s">■</tspan> %s`, phaseColor(p.Name), lbl))
		x += w
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="start">%s</text>`, x+6, barTop+barH/2+4, html.EscapeString(scoring.FormatSeconds(ptrSeconds(total))))
	fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, tlLeft, barTop+barH+18, strings.Join(caption, "  "))
	b.WriteString(`</svg>`)
	return b.String()
}

// axisOf is the drill-time axis timelineSVG draws for sc (its first
// event and span, seconds) and the first fault on it.
func axisOf(sc scoring.Scenario) (start time.Time, span float64, fault time.Time, ok bool) {
	if len(sc.Events) == 0 {
		return
	}
	ev := append([]timeline.Event(nil), sc.Events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	start = ev[0].At
	span = math.Max(ev[len(ev)-1].At.Sub(start).Seconds(), 1)
	for _, e := range ev {
		if e.Kind == timeline.FaultOn {
			return start, span, e.At, true
		}
	}
	return start, span, fault, false
}

func ptrSeconds(f float64) *scoring.Seconds {
	s := scoring.Seconds(f)
	return &s
}
