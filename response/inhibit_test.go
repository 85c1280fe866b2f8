package response

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/testfs"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// inhibitRules are appended to team/testdata/amroute's alertmanager.yml,
// whose root route (receiver sre, policy sre) takes group_wait 45s and
// Alertmanager's default group_interval 5m.
const inhibitRules = `inhibit_rules:
  - source_matchers: ['alertname="ProviderDown"']
    target_matchers: ['alertname="LatencyHigh"']
    equal: [provider]
  - source_match: {alertname: ClusterDown}
    target_match: {severity: warning}
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"critical|warning"']
    equal: [service]
`

func inhibitHarness(t *testing.T, at time.Time) *harness {
	t.Helper()
	m := testfs.Copy(t, "../team/testdata/amroute")
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...), inhibitRules...)
	tm, err := team.LoadFS(m, ".")
	require.NoError(t, err)
	require.Equal(t, 3, tm.Alertmanager.InhibitRules())
	return newHarness(t, at, Options{Escalation: tm.Escalation, Alertmanager: tm.Alertmanager,
		Responders: responders(t, "default: {ack_delay: 10h}\n")})
}

// seen waits until the engine has read n alert firings and r
// resolutions from the log, so the clock is advanced past what it knows.
func (h *harness) seen(n, r int) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		h.engine.mu.Lock()
		defer h.engine.mu.Unlock()
		res := 0
		for _, ep := range h.engine.alerts {
			if !ep.until.IsZero() {
				res++
			}
		}
		return len(h.engine.alerts) == n && res == r
	}, 5*time.Second, time.Millisecond)
}

// pagedFor is when each alert's first page went out, as an offset from
// the harness start.
func (h *harness) pagedFor() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range h.engine.Pages() {
		if _, ok := out[p.Alert]; !ok {
			out[p.Alert] = p.At.Sub(h.start)
		}
	}
	return out
}

func (h *harness) inhibitNotes() []string {
	var out []string
	for _, e := range h.log.Sorted() {
		if e.Kind == timeline.Note && e.Attrs[timeline.Reason] == timeline.Inhibited {
			out = append(out, e.Subject+" by "+e.Attrs[timeline.InhibitedBy]+" rule "+e.Attrs[timeline.InhibitRule])
		}
	}
	return out
}

// advanceTo moves the clock to offset d in steps of one second, so each
// flush runs at its own instant with every earlier timer already fired.
func (h *harness) advanceTo(d time.Duration) {
	for h.clock.Now().Before(h.start.Add(d)) {
		h.clock.Advance(time.Second)
	}
}

var (
	providerDown = map[string]string{"provider": "openai", "service": "llm-gateway"}
	latencyHigh  = map[string]string{"provider": "openai"}
)

// While ProviderDown fires, LatencyHigh with the same provider is not
// paged, at its flush or any later one, and the note says why; the
// source itself pages as routed.
func TestInhibitedNotPaged(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := inhibitHarness(t, at)
	h.fire("ProviderDown", providerDown, nil)
	h.fire("LatencyHigh", latencyHigh, nil)
	h.seen(2, 0)
	h.advanceTo(20 * time.Minute)
	require.Eventually(t, func() bool { return len(h.inhibitNotes()) == 1 && len(h.pagedFor()) == 1 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, map[string]time.Duration{"ProviderDown": 45 * time.Second}, h.pagedFor())
	require.Equal(t, []string{"LatencyHigh by ProviderDown rule 0"}, h.inhibitNotes(), "one note, not one per flush")
	n, ok := h.log.Find(func(e timeline.Event) bool { return e.Kind == timeline.Note && e.Subject == "LatencyHigh" })
	require.True(t, ok)
	require.Equal(t, 45*time.Second, n.At.Sub(at), "decided at the group's first flush")
	require.Contains(t, n.Message, "alert LatencyHigh inhibited by ProviderDown (inhibit_rules[0] in alertmanager.yml, line 33)")
	require.Equal(t, "sre", n.Attrs["policy"])
}

// A different provider is not inhibited: equal: [provider] differs.
func TestInhibitEqualDiffers(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := inhibitHarness(t, at)
	h.fire("ProviderDown", providerDown, nil)
	h.fire("LatencyHigh", map[string]string{"provider": "anthropic"}, nil)
	h.seen(2, 0)
	h.advanceTo(time.Minute)
	require.Eventually(t, func() bool { return len(h.pagedFor()) == 2 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, map[string]time.Duration{"ProviderDown": 45 * time.Second, "LatencyHigh": 45 * time.Second}, h.pagedFor())
	require.Empty(t, h.inhibitNotes())
}

// A critical alert matching both sides of rule 2 does not inhibit itself
// (nor is it inhibited by another of its kind); it does inhibit a
// warning of the same service.
func TestInhibitSelfMatch(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := inhibitHarness(t, at)
	h.fire("DBDown", map[string]string{"severity": "critical", "service": "llm-db"}, nil)
	h.fire("DBReplicaDown", map[string]string{"severity": "critical", "service": "llm-db"}, nil)
	h.fire("DBSlow", map[string]string{"severity": "warning", "service": "llm-db"}, nil)
	h.seen(3, 0)
	h.advanceTo(10 * time.Minute)
	require.Eventually(t, func() bool { return len(h.inhibitNotes()) == 1 && len(h.pagedFor()) == 2 }, 5*time.Second, time.Millisecond)
	h.stop()
	// Each routes to slack-ml (critical, paging nobody) and on to
	// pd-ml-platform (service=~"llm-.*", group_wait 45s).
	require.Equal(t, map[string]time.Duration{"DBDown": 45 * time.Second, "DBReplicaDown": 45 * time.Second}, h.pagedFor())
	require.Equal(t, []string{"DBSlow by DBDown rule 2"}, h.inhibitNotes(), "the first inhibiting alert to fire is named")
}

// When the source resolves while the target fires, the target's page
// goes out at the group's next flush: group_wait when the source resolved
// within it, else the first group_interval tick after the resolution.
func TestInhibitSourceResolves(t *testing.T) {
	t.Run("after the first flush: the next group_interval tick", func(t *testing.T) {
		at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
		h := inhibitHarness(t, at)
		h.fire("ProviderDown", providerDown, nil)
		h.fire("LatencyHigh", latencyHigh, nil)
		h.seen(2, 0)
		h.advanceTo(2 * time.Minute)
		require.Eventually(t, func() bool { return len(h.inhibitNotes()) == 1 }, 5*time.Second, time.Millisecond)
		h.resolve("ProviderDown", providerDown)
		h.seen(2, 1)
		h.advanceTo(15 * time.Minute)
		require.Eventually(t, func() bool { return len(h.pagedFor()) == 2 }, 5*time.Second, time.Millisecond)
		h.stop()
		require.Equal(t, map[string]time.Duration{"ProviderDown": 45 * time.Second, "LatencyHigh": 45*time.Second + 5*time.Minute}, h.pagedFor(),
			"flushes at 45s (inhibited) and 5m45s (ProviderDown resolved at 2m)")
	})
	t.Run("within group_wait: at group_wait", func(t *testing.T) {
		at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
		h := inhibitHarness(t, at)
		h.fire("ProviderDown", providerDown, nil)
		h.fire("LatencyHigh", latencyHigh, nil)
		h.seen(2, 0)
		h.advanceTo(10 * time.Second)
		h.resolve("ProviderDown", providerDown)
		h.seen(2, 1)
		h.advanceTo(2 * time.Minute)
		require.Eventually(t, func() bool { return len(h.pagedFor()) == 1 }, 5*time.Second, time.Millisecond)
		h.stop()
		require.Equal(t, map[string]time.Duration{"LatencyHigh": 45 * time.Second}, h.pagedFor(), "ProviderDown resolved before its own group_wait: no page")
		require.Empty(t, h.inhibitNotes())
	})
	t.Run("the target resolves first: never paged", func(t *testing.T) {
		at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
		h := inhibitHarness(t, at)
		h.fire("ProviderDown", providerDown, nil)
		h.fire("LatencyHigh", latencyHigh, nil)
		h.seen(2, 0)
		h.advanceTo(2 * time.Minute)
		require.Eventually(t, func() bool { return len(h.inhibitNotes()) == 1 && len(h.pagedFor()) == 1 }, 5*time.Second, time.Millisecond)
		h.resolve("LatencyHigh", latencyHigh)
		h.seen(2, 1)
		h.advanceTo(15 * time.Minute)
		h.stop()
		require.Equal(t, map[string]time.Duration{"ProviderDown": 45 * time.Second}, h.pagedFor())
	})
}

// Old-style source_match / target_match: ClusterDown (which routes to
// no policy of its own here) inhibits every warning.
func TestInhibitOldStyle(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := inhibitHarness(t, at)
	h.fire("ClusterDown", map[string]string{"team": "ml-platform", "env": "staging"}, nil)
	h.fire("QueueDeep", map[string]string{"severity": "warning"}, nil)
	h.fire("DiskFull", map[string]string{"severity": "page", "service": "llm-gateway"}, nil)
	h.seen(3, 0)
	h.advanceTo(10 * time.Minute)
	require.Eventually(t, func() bool { return len(h.inhibitNotes()) == 1 && len(h.pagedFor()) == 1 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, map[string]time.Duration{"DiskFull": 45 * time.Second}, h.pagedFor())
	require.Equal(t, []string{"QueueDeep by ClusterDown rule 1"}, h.inhibitNotes())
}

// In one group, the alerts no rule mutes are paged for (the page names
// the first of them); the muted one is a note.
func TestInhibitPartOfGroup(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := inhibitHarness(t, at)
	h.fire("ProviderDown", providerDown, nil)
	h.fire("LatencyHigh", latencyHigh, map[string]string{"runbook_url": "openai.md"})                                   // root group {alertname="LatencyHigh"}
	h.fire("LatencyHigh", map[string]string{"provider": "anthropic"}, map[string]string{"runbook_url": "anthropic.md"}) // same group, not inhibited
	h.seen(3, 0)
	h.advanceTo(time.Minute)
	require.Eventually(t, func() bool { return len(h.pagedFor()) == 2 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, []string{"LatencyHigh by ProviderDown rule 0"}, h.inhibitNotes())
	var p Page
	for _, pg := range h.engine.Pages() {
		if pg.Alert == "LatencyHigh" {
			p = pg
		}
	}
	require.Equal(t, 45*time.Second, p.At.Sub(at))
	e, ok := h.log.Find(func(e timeline.Event) bool { return e.Kind == timeline.Page && e.Attrs["alert"] == "LatencyHigh" })
	require.True(t, ok)
	require.Equal(t, "anthropic", e.Labels["provider"], "the page is for the alert no rule mutes")
	h.engine.mu.Lock()
	defer h.engine.mu.Unlock()
	var runbooks []string
	for _, in := range h.engine.groups {
		runbooks = append(runbooks, in.alert+" "+in.annotations["runbook_url"])
	}
	require.Contains(t, runbooks, "LatencyHigh anthropic.md", "its runbook too")
}

// timedHarness gives team/testdata/amroute's team route (team=
// "ml-platform", group_wait 2m) mute_time_intervals [lunch], 12:00-13:00
// UTC, and its service route (service=~"llm-.*", the root's 45s)
// active_time_intervals [office], weekdays 09:00-17:00 in Berlin.
func timedHarness(t *testing.T, at time.Time) *harness {
	t.Helper()
	m := testfs.Copy(t, "../team/testdata/amroute")
	testfs.Replace(t, m, "alertmanager.yml", "      group_wait: 2m\n", "      group_wait: 2m\n      mute_time_intervals: [lunch]\n")
	testfs.Replace(t, m, "alertmanager.yml", "    - matchers: ['service=~\"llm-.*\"']\n      receiver: pd-ml-platform\n",
		"    - matchers: ['service=~\"llm-.*\"']\n      receiver: pd-ml-platform\n      active_time_intervals: [office]\n")
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...), `time_intervals:
  - name: lunch
    time_intervals:
      - times: [{start_time: '12:00', end_time: '13:00'}]
  - name: office
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
        location: Europe/Berlin
`...)
	tm, err := team.LoadFS(m, ".")
	require.NoError(t, err)
	return newHarness(t, at, Options{Escalation: tm.Escalation, Alertmanager: tm.Alertmanager,
		Responders: responders(t, "default: {ack_delay: 10h}\n")})
}

func (h *harness) timeNotes() []string {
	var out []string
	for _, e := range h.log.Sorted() {
		if e.Kind == timeline.Note && e.Attrs[timeline.Reason] == timeline.TimeMuted {
			out = append(out, e.Subject+" "+e.Attrs[timeline.TimeIntervals]+" at "+e.At.Sub(h.start).String())
		}
	}
	return out
}

// Inside a route's mute_time_intervals its group sends nothing; the
// first flush after the interval (group_wait, then every group_interval)
// pages. Inside its active_time_intervals it pages at group_wait.
func TestTimeIntervalsMute(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC) // a Monday, 13:30 in Berlin
	h := timedHarness(t, at)
	h.fire("SpendSpike", map[string]string{"team": "ml-platform"}, nil)
	h.fire("ProviderErrors", map[string]string{"service": "llm-gateway"}, nil)
	h.seen(2, 0)
	h.advanceTo(40 * time.Minute)
	require.Eventually(t, func() bool { return len(h.pagedFor()) == 2 && len(h.timeNotes()) == 1 }, 5*time.Second, time.Millisecond)
	h.stop()
	// lunch ends at 13:00: flushes at 2m, 7m, ... 27m are muted; 32m pages.
	require.Equal(t, map[string]time.Duration{"ProviderErrors": 45 * time.Second, "SpendSpike": 32 * time.Minute}, h.pagedFor())
	require.Equal(t, []string{"SpendSpike lunch at 2m0s"}, h.timeNotes(), "one note, not one per flush")
	n, ok := h.log.Find(func(e timeline.Event) bool {
		return e.Kind == timeline.Note && e.Attrs[timeline.Reason] == timeline.TimeMuted
	})
	require.True(t, ok)
	require.Contains(t, n.Message, "inside its mute_time_intervals lunch at Mon 2026-03-09 12:32")
}

// Outside every active_time_interval (18:00 in Berlin) the group pages
// nobody; the route without intervals pages as usual.
func TestTimeIntervalsInactive(t *testing.T) {
	at := time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC) // 18:00 in Berlin
	h := timedHarness(t, at)
	h.fire("ProviderErrors", map[string]string{"service": "llm-gateway"}, nil)
	h.fire("SpendSpike", map[string]string{"team": "ml-platform"}, nil)
	h.seen(2, 0)
	h.advanceTo(20 * time.Minute)
	require.Eventually(t, func() bool { return len(h.pagedFor()) == 1 && len(h.timeNotes()) == 1 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, map[string]time.Duration{"SpendSpike": 2 * time.Minute}, h.pagedFor())
	require.Equal(t, []string{"ProviderErrors office at 45s"}, h.timeNotes())
	n, _ := h.log.Find(func(e timeline.Event) bool {
		return e.Kind == timeline.Note && e.Attrs[timeline.Reason] == timeline.TimeMuted
	})
	require.Contains(t, n.Message, "outside every one of its active_time_intervals office")
}
