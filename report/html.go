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
		Enough       string
		Regressions  []string
		Improvements []string
		Groups       []groupView
		PassChart    template.HTML
		TimeChart    template.HTML
		PhaseChart   template.HTML
		Trend        [][]string
		LatestID     string
		Scenarios    []scenarioView
	}{Header: header(r), Enough: enough(r), Regressions: changesByKind(r, "regression"), Improvements: changesByKind(r, "improvement")}
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
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
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
<p class="muted">{{index .Header 3}}</p>
<h2>Changes against the baseline</h2>
<p class="regression" id="regressions">regressions: {{len .Regressions}}</p>
{{with .Regressions}}<ul>{{range .}}<li class="regression">{{.}}</li>{{end}}</ul>{{end}}
<p class="improvement" id="improvements">improvements: {{len .Improvements}}</p>
{{with .Improvements}}<ul>{{range .}}<li class="improvement">{{.}}</li>{{end}}</ul>{{end}}
{{with .Enough}}<p id="runs-needed">{{.}}</p>{{end}}
{{range .Groups}}
<h2 id="group-{{.Name}}">{{.Name}}</h2>
<table>
<tr><th>metric</th><th>baseline</th><th>current</th><th>p</th><th>runs</th><th>change</th></tr>
{{range .Rows}}<tr><td>{{.Label}}</td><td>{{.Base}}</td><td>{{.Cur}}</td><td>{{.P}}</td><td>{{.Runs}}</td><td class="{{.Flag}}">{{.Flag}}</td></tr>
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
	chartW, chartH         = 900, 236
	padL, padR, padT, padB = 60, 20, 44, 36
	chartFont              = 11 // px, svg text
)

// trendChart draws runs over the window: the baseline shaded, one line
// per series, a circle per run with its value as a tooltip. The time axis
// is labelled at round dates (or hours, for short windows), no two alike;
// a duration axis at round minutes or seconds. The legend is a row of its
// own under the title, each entry as wide as its label.
func trendChart(r *Report, title string, ss []series, percent bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="14" font-weight="bold">%s</text>`, padL, html.EscapeString(title))
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	span := r.WindowEnd.Sub(r.WindowStart).Seconds()
	x := func(t time.Time) float64 { return padL + t.Sub(r.WindowStart).Seconds()/span*plotW }
	top, step := 1.0, 0.25
	if !percent {
		var hi float64
		for _, p := range r.Runs {
			for _, s := range ss {
				if v := s.value(p); v != nil {
					hi = math.Max(hi, *v)
				}
			}
		}
		st := durationStep(math.Max(hi, 1), 5)
		step = st.Seconds()
		top = math.Max(step, math.Ceil(hi/step-1e-9)*step)
		if top <= hi { // head room over the highest point
			top += step
		}
	}
	y := func(v float64) float64 { return padT + plotH - v/top*plotH }
	// baseline window
	fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%.1f" fill="#eef2f7"/>`, x(r.WindowStart), padT, x(r.BaselineEnd)-x(r.WindowStart), plotH)
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#99a" stroke-dasharray="3 3"/>`, x(r.BaselineEnd), x(r.BaselineEnd), padT, padT+plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#667">baseline</text>`, x(r.WindowStart)+4, padT+12)
	if cx := x(r.BaselineEnd) + 4; cx+textWidth("current", chartFont) < padL+plotW {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#667">current</text>`, cx, padT+12)
	}
	// value axis: round steps
	for v := 0.0; v <= top+1e-9; v += step {
		label := durationLabel(time.Duration(math.Round(v)) * time.Second)
		if percent {
			label = fmt.Sprintf("%.0f%%", v*100)
		}
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text class="tick-y" x="%d" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y(v), y(v), padL-6, y(v)+4, label)
	}
	// time axis: round dates, each label distinct and clear of the next
	ticks := dateTicks(r.WindowStart, r.WindowEnd, 8)
	lastEnd := math.Inf(-1)
	for _, t := range ticks {
		w := textWidth(t.Label, chartFont)
		cx := x(t.At)
		if cx-w/2 < lastEnd+6 || cx-w/2 < 0 || cx+w/2 > chartW {
			continue
		}
		lastEnd = cx + w/2
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#bbb"/><text class="tick-x" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			cx, cx, padT+plotH, padT+plotH+4, cx, padT+plotH+20, t.Label)
	}
	lx := float64(padL)
	for _, s := range ss {
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
		fmt.Fprintf(&b, `<rect x="%.1f" y="21" width="10" height="10" fill="%s"/><text x="%.1f" y="30">%s</text>`,
			lx, s.color, lx+14, html.EscapeString(s.name))
		lx += 14 + textWidth(s.name, chartFont) + 18
	}
	if len(r.Runs) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#888">no runs in the window</text>`, padL+plotW/2, padT+plotH/2)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// lanes of a scenario timeline, top to bottom.
var lanes = []string{"fault", "alerts", "response", "runbook", "service"}

const (
	tlW, tlLeft, tlRight, tlTop = 900, 90, 70, 10
	rowH, lanePad, tlFont       = 13, 4, 9 // a label row, a lane's margin, the labels' px
)

// tlItem is one thing on a timeline lane: a span (a bar from..to with its
// label at its start) or a mark (a dot at from with its label beside it).
type tlItem struct {
	lane         string
	from, to     time.Time
	mark         bool
	color, label string
	title        string  // the tooltip
	x0, x1, lx   float64 // the room it takes, and where its label starts
	row          int
	anchorEnd    bool // the label sits left of its item, at the right edge
}

// timelineSVG draws one scenario's events on a drill-time axis from its
// first event: fault spans, alert pending/firing spans, pages and acks,
// runbook steps, the end of the control window and recovery. Each lane
// grows a row whenever a label would run into the one before it, so
// labels never overlap; the axis is labelled in round minutes.
func timelineSVG(sc scoring.Scenario) string {
	ev := append([]timeline.Event(nil), sc.Events...)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	var b strings.Builder
	if len(ev) == 0 {
		height := tlTop + 30
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="timeline of %s">`,
			tlW, height, tlW, height, html.EscapeString(sc.Name))
		b.WriteString(`<text x="10" y="20" fill="#888">no events recorded</text></svg>`)
		return b.String()
	}
	start, end := ev[0].At, ev[len(ev)-1].At
	span := math.Max(end.Sub(start).Seconds(), 1)
	plotW := float64(tlW - tlLeft - tlRight)
	x := func(t time.Time) float64 { return tlLeft + t.Sub(start).Seconds()/span*plotW }

	var items []*tlItem
	add := func(lane string, from, to time.Time, color, label string) {
		items = append(items, &tlItem{lane: lane, from: from, to: to, color: color, label: label,
			title: fmt.Sprintf("%s %s → %s", label, scoring.Offset(from.Sub(start)), scoring.Offset(to.Sub(start)))})
	}
	mark := func(lane string, at time.Time, color, label string) {
		items = append(items, &tlItem{lane: lane, from: at, to: at, mark: true, color: color, label: label,
			title: fmt.Sprintf("%s at %s", label, scoring.Offset(at.Sub(start)))})
	}
	var controlEnds []time.Time
	open := map[string]time.Time{}
	for _, e := range ev {
		switch e.Kind {
		case timeline.ControlEnd:
			controlEnds = append(controlEnds, e.At)
		case timeline.FaultOn:
			open["fault|"+e.Subject] = e.At
		case timeline.FaultOff:
			if from, ok := open["fault|"+e.Subject]; ok {
				add("fault", from, e.At, "#d33", "fault "+e.Subject)
				delete(open, "fault|"+e.Subject)
			}
		case timeline.AlertPending:
			open["pending|"+e.Subject] = e.At
		case timeline.AlertFiring:
			if from, ok := open["pending|"+e.Subject]; ok {
				add("alerts", from, e.At, "#f0c070", "pending")
				delete(open, "pending|"+e.Subject)
			}
			open["firing|"+e.Subject] = e.At
		case timeline.AlertResolved:
			if from, ok := open["firing|"+e.Subject]; ok {
				add("alerts", from, e.At, "#e08a00", "firing "+e.Subject)
				delete(open, "firing|"+e.Subject)
			}
			delete(open, "pending|"+e.Subject)
		case timeline.Page:
			mark("response", e.At, "#1f5fa8", "page "+e.Subject)
		case timeline.Ack:
			mark("response", e.At, "#1b7a1b", "ack "+e.Subject)
		case timeline.StepStart:
			open[string(timeline.StepStart)+"|"+e.Subject] = e.At
		case timeline.StepEnd:
			k := string(timeline.StepStart) + "|" + e.Subject
			if from, ok := open[k]; ok {
				color := "#6a4fb3"
				if e.Attrs["status"] != "" && e.Attrs["status"] != "ok" {
					color = "#b00020"
				}
				add("runbook", from, e.At, color, e.Subject)
				delete(open, k)
			}
		case timeline.Recovered:
			mark("service", e.At, "#1b7a1b", "recovered")
		case timeline.HarnessError:
			mark("service", e.At, "#b00020", "harness error")
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
			add("fault", open[k], end, "#d33", "fault "+subject)
		case "firing":
			add("alerts", open[k], end, "#e08a00", "firing "+subject)
		case "pending":
			add("alerts", open[k], end, "#f0c070", "pending")
		case string(timeline.StepStart):
			add("runbook", open[k], end, "#6a4fb3", subject)
		}
	}

	// Lay out each lane: an item takes the room of its bar or dot and of
	// its label; a label that would leave the picture sits left of its
	// item instead.
	rowsOf := map[string]int{}
	for _, lane := range lanes {
		var in []*tlItem
		for _, it := range items {
			if it.lane == lane {
				in = append(in, it)
			}
		}
		for _, it := range in {
			w := textWidth(it.label, tlFont)
			it.x0, it.x1 = x(it.from), math.Max(x(it.to), x(it.from)+2)
			it.lx = it.x0 + 2
			if it.mark {
				it.x0, it.x1, it.lx = it.x0-5, it.x0+5, it.x0+7
			}
			if it.lx+w > tlW-2 {
				it.anchorEnd = true
				it.lx = it.x0 - 2
				it.x0 = it.lx - w
			} else {
				it.x1 = math.Max(it.x1, it.lx+w)
			}
		}
		sort.SliceStable(in, func(i, j int) bool { return in[i].x0 < in[j].x0 })
		bounds := make([][2]float64, len(in))
		for i, it := range in {
			bounds[i] = [2]float64{it.x0, it.x1}
		}
		rows, n := layoutRows(bounds, 4)
		for i, it := range in {
			it.row = rows[i]
		}
		rowsOf[lane] = n
	}
	laneY := map[string]float64{}
	y := float64(tlTop)
	for _, l := range lanes {
		laneY[l] = y
		y += float64(rowsOf[l]*rowH + 2*lanePad)
	}
	axisY := y
	height := int(axisY) + 24
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="timeline of %s">`,
		tlW, height, tlW, height, html.EscapeString(sc.Name))
	for i, l := range lanes {
		fill := "#fafafa"
		if i%2 == 1 {
			fill = "#f2f2f2"
		}
		h := float64(rowsOf[l]*rowH + 2*lanePad)
		fmt.Fprintf(&b, `<rect x="%d" y="%.0f" width="%.0f" height="%.0f" fill="%s"/><text x="6" y="%.0f">%s</text>`,
			tlLeft, laneY[l], plotW, h, fill, laneY[l]+h/2+4, l)
	}
	step := durationStep(span, 10)
	for s := time.Duration(0); s.Seconds() <= span+1e-9; s += step {
		xx := tlLeft + s.Seconds()/span*plotW
		label := "+" + durationLabel(s)
		if s == 0 {
			label = "0"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#ddd"/><text class="tick-t" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			xx, xx, tlTop, axisY+4, xx, axisY+16, label)
	}
	for _, at := range controlEnds {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" stroke="#555" stroke-dasharray="4 3"><title>end of the control window at %s</title></line>`,
			x(at), x(at), tlTop, axisY, scoring.Offset(at.Sub(start)))
	}
	for _, it := range items {
		top := laneY[it.lane] + lanePad + float64(it.row*rowH)
		anchor := ""
		if it.anchorEnd {
			anchor = ` text-anchor="end"`
		}
		if it.mark {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s"><title>%s</title></circle>`, x(it.from), top+6, it.color, html.EscapeString(it.title))
		} else {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="11" fill="%s" opacity="0.8"><title>%s</title></rect>`,
				x(it.from), top, math.Max(x(it.to)-x(it.from), 2), it.color, html.EscapeString(it.title))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="%d"%s>%s</text>`, it.lx, top+9, tlFont, anchor, html.EscapeString(it.label))
	}
	b.WriteString(`</svg>`)
	return b.String()
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
	case scoring.PhaseRemediate:
		return "#2b7a2b"
	case scoring.PhaseVerify:
		return "#178a8a"
	}
	return "#888"
}

const barH, barTop, barFont, captionH = 26, 8, 11, 15

// breakdownSVG draws a scenario's time to recover as one stacked bar: a
// segment per phase, in order, labelled with its duration when the label
// fits inside it and always in the caption under the bar (wrapped to the
// picture's width); the bottleneck outlined and named in bold; a phase
// that never ended drawn faded. The bar sits on the drill-time axis of
// the scenario's timeline drawn under it, starting at the fault, so each
// phase lines up with its events.
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
	// where the total goes: after the bar, or at the right edge
	totalText := scoring.FormatSeconds(ptrSeconds(total))
	totalW := textWidth(totalText, barFont)
	totalX, totalAnchor := x0+total*scale+6, "start"
	if totalX+totalW > tlW-2 {
		totalX, totalAnchor = tlW-2, "end"
	}
	totalLeft := totalX
	if totalAnchor == "end" {
		totalLeft = totalX - totalW
	}

	var bar strings.Builder
	x := x0
	type entry struct {
		markup string
		width  float64
	}
	var caption []entry
	for _, p := range bd.Phases {
		s := p.Seconds
		label := phaseLabel(p.Name) + " " + scoring.FormatSeconds(&s)
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
			fmt.Fprintf(&bar, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" opacity="%s"%s><title>%s: %s</title></rect>`,
				x, barTop, w, barH, phaseColor(p.Name), opacity, stroke, html.EscapeString(label), html.EscapeString(p.Evidence))
			if lw := textWidth(label, barFont); lw+8 <= w && x+4+lw < totalLeft-4 {
				fmt.Fprintf(&bar, `<text x="%.1f" y="%d" fill="#fff">%s</text>`, x+4, barTop+barH/2+4, html.EscapeString(label))
			}
		}
		text, lbl := "■ "+label, html.EscapeString(label)
		width := textWidth(text, barFont)
		if isB {
			lbl = `<tspan font-weight="bold" fill="#b00020">` + lbl + ` (bottleneck)</tspan>`
			width = textWidth(text+" (bottleneck)", barFont) * 1.1 // bold runs wider
		}
		caption = append(caption, entry{fmt.Sprintf(`<tspan fill="%s">■</tspan> %s`, phaseColor(p.Name), lbl), width})
		x += w
	}
	// the caption, wrapped where the next entry would leave the picture
	var lines [][]string
	room, used := float64(tlW-tlLeft-4), 0.0
	gap := textWidth("  ", barFont)
	for _, e := range caption {
		if len(lines) == 0 || used+gap+e.width > room {
			lines = append(lines, nil)
			used = -gap
		}
		lines[len(lines)-1] = append(lines[len(lines)-1], e.markup)
		used += gap + e.width
	}
	height := barTop + barH + 8 + captionH*max(1, len(lines))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="breakdown" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="time to recover by phase, %s">`,
		tlW, height, tlW, height, html.EscapeString(name))
	fmt.Fprintf(&b, `<text x="6" y="%d">by phase</text>`, barTop+barH/2+4)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%d" fill="#f2f2f2"/>`, tlLeft, barTop, plotW, barH)
	b.WriteString(bar.String())
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s">%s</text>`, totalX, barTop+barH/2+4, totalAnchor, html.EscapeString(totalText))
	for i, l := range lines {
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, tlLeft, barTop+barH+18+i*captionH, strings.Join(l, "  "))
	}
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
