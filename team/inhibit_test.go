package team

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/eventrecorder"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/provider/mem"
	"github.com/stretchr/testify/require"
)

// inhibitRules are appended to team/testdata/amroute's alertmanager.yml
// (31 lines), so inhibit_rules[0] begins at line 33.
const inhibitRules = `inhibit_rules:
  - source_matchers: ['alertname="ProviderDown"', 'severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [provider]
  - source_matchers: ['severity="critical"']
    target_matchers: ['service="llm-gateway"']
    equal: [team]
  - source_match: {alertname: ClusterDown}
    target_match_re: {service: "llm-.*"}
`

type inhibitCase struct {
	name   string
	target map[string]string
	firing []map[string]string
	want   *Inhibition
}

func lbls(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func inhibitCases() []inhibitCase {
	downOpenAI := lbls("alertname", "ProviderDown", "severity", "critical", "provider", "openai")
	return []inhibitCase{
		{"equal provider: inhibited",
			lbls("alertname", "LatencyHigh", "severity", "warning", "provider", "openai"),
			[]map[string]string{lbls("alertname", "Other"), downOpenAI}, &Inhibition{Rule: 0, Source: 1}},
		{"equal label differs: not inhibited",
			lbls("alertname", "LatencyHigh", "severity", "warning", "provider", "anthropic"),
			[]map[string]string{downOpenAI}, nil},
		{"the equal label missing on both sides is equal (empty)",
			lbls("alertname", "LatencyHigh", "severity", "warning"),
			[]map[string]string{lbls("alertname", "ProviderDown", "severity", "critical")}, &Inhibition{Rule: 0, Source: 0}},
		{"missing on one side only is not equal",
			lbls("alertname", "LatencyHigh", "severity", "warning"),
			[]map[string]string{downOpenAI}, nil},
		{"the source must match every source matcher",
			lbls("alertname", "LatencyHigh", "severity", "warning", "provider", "openai"),
			[]map[string]string{lbls("alertname", "ProviderDown", "severity", "warning", "provider", "openai")}, nil},
		{"an alert matching both sides does not inhibit itself",
			lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml"),
			[]map[string]string{lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml")}, nil},
		{"nor another alert matching both sides",
			lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml"),
			[]map[string]string{lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml"),
				lbls("alertname", "B", "severity", "critical", "service", "llm-gateway", "team", "ml")}, nil},
		{"but a source matching the source side only does",
			lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml"),
			[]map[string]string{lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml"),
				lbls("alertname", "S", "severity", "critical", "service", "db", "team", "ml")}, &Inhibition{Rule: 1, Source: 1}},
		{"and a two-sided source inhibits a target-only alert",
			lbls("alertname", "T", "severity", "warning", "service", "llm-gateway", "team", "ml"),
			[]map[string]string{lbls("alertname", "A", "severity", "critical", "service", "llm-gateway", "team", "ml")}, &Inhibition{Rule: 1, Source: 0}},
		{"old-style source_match and target_match_re (anchored), no equal",
			lbls("alertname", "X", "service", "llm-router"),
			[]map[string]string{lbls("alertname", "ClusterDown", "cluster", "eu-1")}, &Inhibition{Rule: 2, Source: 0}},
		{"target_match_re is anchored as in Alertmanager",
			lbls("alertname", "X", "service", "my-llm-router"),
			[]map[string]string{lbls("alertname", "ClusterDown")}, nil},
		{"nothing firing",
			lbls("alertname", "X", "service", "llm-router"), nil, nil},
	}
}

func inhibitTeam(t *testing.T) *Alertmanager {
	t.Helper()
	m := amFS(t)
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...), inhibitRules...)
	tm, err := LoadFS(m, ".")
	require.NoError(t, err)
	require.NotNil(t, tm.Alertmanager)
	return tm.Alertmanager
}

// Inhibition decides as Alertmanager's Inhibitor.Mutes does, with its
// own matchers: equal labels, a missing label as the empty value, no
// inhibition by an alert that matches both sides of the rule when the
// target does too, and old-style source_match / target_match_re.
func TestInhibited(t *testing.T) {
	am := inhibitTeam(t)
	require.Equal(t, 3, am.InhibitRules())
	require.Equal(t, 33, am.InhibitRulePos(0).Line)
	require.Equal(t, 36, am.InhibitRulePos(1).Line)
	require.Equal(t, 39, am.InhibitRulePos(2).Line)
	require.Zero(t, am.InhibitRulePos(3))

	cases := inhibitCases()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := am.Inhibited(c.target, c.firing)
			if c.want == nil {
				require.False(t, ok, "inhibited by rule %d, source %d", got.Rule, got.Source)
				return
			}
			require.True(t, ok)
			require.Equal(t, *c.want, got)
		})
	}

	src, tgt := am.InhibitRuleMatches(2, lbls("alertname", "ClusterDown"))
	require.True(t, src)
	require.False(t, tgt)
	src, tgt = am.InhibitRuleMatches(9, lbls("alertname", "ClusterDown"))
	require.False(t, src || tgt)
}

// A file without inhibit_rules inhibits nothing; a bad matcher in one is
// refused by Alertmanager's loader at its line.
func TestInhibitRulesLoad(t *testing.T) {
	tm, err := LoadFS(amFS(t), ".")
	require.NoError(t, err)
	require.Zero(t, tm.Alertmanager.InhibitRules())
	_, ok := tm.Alertmanager.Inhibited(map[string]string{"alertname": "A"}, []map[string]string{{"alertname": "B"}})
	require.False(t, ok)

	m := amFS(t)
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...),
		"inhibit_rules:\n  - source_matchers: ['alertname=~\"(\"']\n    target_matchers: ['severity=\"warning\"']\n"...)
	_, err = LoadFS(m, ".")
	require.Error(t, err)
	ps := err.(Problems)
	require.Len(t, ps, 1, "%v", ps)
	require.Equal(t, "alertmanager.yml", ps[0].File)
	t.Log(ps[0])
}

// Every case of TestInhibited decides as Alertmanager's own Inhibitor
// does, fed the same alerts through its in-memory provider: the
// Inhibitor is the reference, drill's Inhibited is checked against it.
// The alerts are put before the Inhibitor starts, so WaitForLoading sees
// them all and Mutes answers without a race.
func TestInhibitedAgreesWithAlertmanager(t *testing.T) {
	am := inhibitTeam(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now()
	for _, c := range inhibitCases() {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ap, err := mem.NewAlerts(ctx, time.Hour, 0, nil, logger, eventrecorder.NopRecorder(), nil, nil)
			require.NoError(t, err)
			defer ap.Close()
			for _, f := range c.firing {
				a := &alert.Alert{}
				a.Labels = labelSet(f)
				a.StartsAt, a.EndsAt, a.UpdatedAt = now.Add(-time.Minute), now.Add(time.Hour), now
				require.NoError(t, ap.Put(ctx, a))
			}
			ih := inhibit.NewInhibitor(ap, am.Config.InhibitRules, logger, eventrecorder.NopRecorder())
			done := make(chan struct{})
			go func() { ih.Run(); close(done) }()
			ih.WaitForLoading()
			want := ih.Mutes(ctx, labelSet(c.target))
			ih.Stop()
			<-done
			_, got := am.Inhibited(c.target, c.firing)
			require.Equal(t, want, got, "Alertmanager's Inhibitor says muted=%v", want)
			require.Equal(t, c.want != nil, want, "the case's expectation agrees with Alertmanager")
		})
	}
}

// mute_time_intervals and active_time_intervals of a route decide
// through Alertmanager's Intervener at the instant given, in the
// interval's location; they are the route's own, not inherited.
func TestTimeMuted(t *testing.T) {
	m := amFS(t)
	replace(t, m, "alertmanager.yml", "      group_wait: 2m\n", "      group_wait: 2m\n      mute_time_intervals: [weekend]\n")
	replace(t, m, "alertmanager.yml", "    - matchers: ['service=~\"llm-.*\"']\n      receiver: pd-ml-platform\n",
		"    - matchers: ['service=~\"llm-.*\"']\n      receiver: pd-ml-platform\n      active_time_intervals: [office, late]\n")
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...), `time_intervals:
  - name: weekend
    time_intervals:
      - weekdays: [saturday, sunday]
        location: Europe/Berlin
  - name: office
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
        location: Europe/Berlin
mute_time_intervals:
  - name: late
    time_intervals:
      - times: [{start_time: '22:00', end_time: '23:00'}]
`...)
	tm, err := LoadFS(m, ".")
	require.NoError(t, err)
	am := tm.Alertmanager

	team := am.Route(lbls("alertname", "X", "team", "ml-platform"))
	require.Len(t, team, 1)
	require.Equal(t, []string{"weekend"}, team[0].MuteTimeIntervals)
	require.Empty(t, team[0].ActiveTimeIntervals)
	staging := am.Route(lbls("alertname", "X", "team", "ml-platform", "env", "staging"))
	require.Empty(t, staging[0].MuteTimeIntervals, "not inherited from the parent route")
	svc := am.Route(lbls("alertname", "X", "service", "llm-gateway"))
	require.Equal(t, []string{"office", "late"}, svc[0].ActiveTimeIntervals)

	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	sat := time.Date(2026, 3, 7, 12, 0, 0, 0, berlin) // a Saturday
	mon := time.Date(2026, 3, 9, 12, 0, 0, 0, berlin)
	cases := []struct {
		name          string
		mute, active  []string
		at            time.Time
		want, outside bool
		by            []string
	}{
		{"inside a mute interval", team[0].MuteTimeIntervals, nil, sat, true, false, []string{"weekend"}},
		{"outside it", team[0].MuteTimeIntervals, nil, mon, false, false, nil},
		{"Sunday 00:30 in Berlin (Saturday in UTC)", team[0].MuteTimeIntervals, nil,
			time.Date(2026, 3, 8, 0, 30, 0, 0, berlin), true, false, []string{"weekend"}},
		{"Monday 00:30 Berlin (Sunday in UTC): the interval's location decides", team[0].MuteTimeIntervals, nil,
			time.Date(2026, 3, 9, 0, 30, 0, 0, berlin), false, false, nil},
		{"inside an active interval", nil, svc[0].ActiveTimeIntervals, mon, false, false, nil},
		{"inside another active interval (UTC)", nil, svc[0].ActiveTimeIntervals, time.Date(2026, 3, 7, 22, 30, 0, 0, time.UTC), false, false, nil},
		{"outside every active interval", nil, svc[0].ActiveTimeIntervals, sat, true, true, []string{"office", "late"}},
		{"active, but muted", []string{"weekend"}, []string{"late"}, time.Date(2026, 3, 7, 22, 30, 0, 0, time.UTC), true, false, []string{"weekend"}},
		{"no intervals", nil, nil, sat, false, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, active, by, err := am.TimeMuted(c.mute, c.active, c.at)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.outside, active)
			require.Equal(t, c.by, by)
		})
	}
	_, _, _, err = am.TimeMuted([]string{"nope"}, nil, sat)
	require.ErrorContains(t, err, "nope")

	t.Run("a route naming an undefined interval is refused by the loader", func(t *testing.T) {
		m := amFS(t)
		replace(t, m, "alertmanager.yml", "      group_wait: 2m\n", "      group_wait: 2m\n      mute_time_intervals: [nowhere]\n")
		_, err := LoadFS(m, ".")
		require.ErrorContains(t, err, "nowhere")
	})
}
