package lint

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/drillkit/drill/team"
)

// genTeam builds a team of rules alert rules, runbooks runbooks and
// schedules schedules (two layers each, one restricted, across zones).
func genTeam(rules, runbooks, schedules int) fstest.MapFS {
	m := fstest.MapFS{}
	m["drill.yaml"] = &fstest.MapFile{Data: []byte("team: {id: big}\nvariables: {GATEWAY_ADMIN: x}\n")}
	zones := []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"}
	var esc strings.Builder
	esc.WriteString("users:\n")
	for i := range 100 {
		fmt.Fprintf(&esc, "  - {id: u%d, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}\n", i)
	}
	esc.WriteString("teams:\n")
	for i := range 10 {
		// u0..u4 are on every schedule's rotation, so each team's owner is reachable.
		fmt.Fprintf(&esc, "  - {id: t%d, members: [u%d, u%d]}\n", i, i%5, i+10)
	}
	esc.WriteString("schedules:\n")
	for i := range schedules {
		fmt.Fprintf(&esc, `  - id: s%d
    timezone: %s
    layers:
      - {name: weekly, start: 2026-01-05T09:00:00, rotation: 1w, users: [u%d, u%d, u%d]}
      - {name: days, start: 2026-01-05T09:00:00, rotation: 1d, users: [u%d], restrictions: [{type: weekly, from: "Mon 09:00", to: "Fri 17:00"}]}
    overrides:
      - {user: u%d, start: 2026-03-10T00:00:00, end: 2026-03-12T00:00:00}
`, i, zones[i%len(zones)], i%100, (i+1)%100, (i+2)%100, (i+3)%100, (i+4)%100)
	}
	esc.WriteString("policies:\n")
	for i := range max(schedules, 10) {
		fmt.Fprintf(&esc, "  - {id: p%d, team: t%d, loops: 2, rules: [{escalate_after: 10m, targets: [{schedule: s%d}]}, {escalate_after: 10m, targets: [{team: t%d}], assignment: all}]}\n", i, i%10, i%schedules, i%10)
	}
	esc.WriteString("routes:\n")
	for i := range 10 {
		fmt.Fprintf(&esc, "  - {match: {team: t%d}, policy: p%d}\n", i, i)
	}
	m["escalation/all.yaml"] = &fstest.MapFile{Data: []byte(esc.String())}
	for f := range 10 {
		var b strings.Builder
		fmt.Fprintf(&b, "groups:\n  - name: g%d\n    rules:\n", f)
		for i := f * rules / 10; i < (f+1)*rules/10; i++ {
			fmt.Fprintf(&b, `      - alert: Alert%d
        expr: sum(rate(http_requests_total{code=~"5..", svc="s%d"}[5m])) / sum(rate(http_requests_total{svc="s%d"}[5m])) > 0.05
        for: 5m
        labels: {severity: critical, team: t%d}
        annotations:
          summary: errors above 5%%
          description: "{{ $value }} of requests fail"
          runbook_url: https://runbooks.example.com/rb%d
`, i, i, i, i%10, i%runbooks)
		}
		m[fmt.Sprintf("alerts/g%d.yaml", f)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	for i := range runbooks {
		m[fmt.Sprintf("runbooks/rb%d.md", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(`---
id: rb%d
owner: t%d
alerts: [Alert%d]
last_reviewed: 2026-03-01
---
# Runbook %d
## Meaning
Errors.
## Impact
Users see errors.
## Diagnosis
1. Look at the dashboard.
## Mitigation
1. Roll back:
   `+"```sh {\"name\":\"rollback\"}\n   curl -X POST \"$GATEWAY_ADMIN/rollback\"\n   ```"+`
## Verification
- Errors drop.
## Escalation
Page the team.
`, i, i%10, i, i))}
	}
	m["features/all.feature"] = &fstest.MapFile{Data: []byte("Feature: all\n")}
	return m
}

// BenchmarkLint loads and lints a team of 500 alert rules, 300 runbooks
// and 50 schedules, walking coverage over 28 days (target: under 2 s).
func BenchmarkLint(b *testing.B) {
	m := genTeam(500, 300, 50)
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	var n int
	for b.Loop() {
		tm, err := team.LoadFS(m, ".")
		if err != nil {
			b.Fatal(err)
		}
		n = len(checkTeam(tm, Options{Now: now, ExposedMetrics: []string{"http_requests"}}))
	}
	b.ReportMetric(float64(n), "findings")
}

func TestGeneratedTeamLoads(t *testing.T) {
	tm, err := team.LoadFS(genTeam(50, 30, 5), ".")
	if err != nil {
		t.Fatal(err)
	}
	fs := checkTeam(tm, Options{Now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), ExposedMetrics: []string{"http_requests"}})
	for _, f := range fs {
		if f.ID != "alert-untested" { // the generated features file names no alert
			t.Fatalf("unexpected finding %s", f)
		}
	}
	if len(fs) != 50 {
		t.Fatalf("want 50 alert-untested findings, got %d", len(fs))
	}
}
