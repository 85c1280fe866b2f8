package team

import (
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/teamfile"
	"github.com/drillkit/drill/internal/testfs"
)

// amFS is the team whose alerts route through its alertmanager.yml.
func amFS(t *testing.T) fstest.MapFS { return testfs.Copy(t, filepath.Join("testdata", "amroute")) }

type amHop struct {
	receiver, policy string
	wait             time.Duration
}

func hops(ms []AMMatch) []amHop {
	var out []amHop
	for _, m := range ms {
		out = append(out, amHop{m.Receiver, m.Policy, m.GroupWait})
	}
	return out
}

// The route tree decides through Alertmanager's own dispatch code:
// continue, nested routes, inherited group_wait, receivers mapped by
// name or by drill.yaml, and receivers that page nobody.
func TestAlertmanagerRoute(t *testing.T) {
	tm, err := LoadFS(amFS(t), ".")
	require.NoError(t, err)
	am := tm.Alertmanager
	require.NotNil(t, am)
	require.Equal(t, "alertmanager.yml", am.File)
	require.Contains(t, tm.Files, "alertmanager.yml")
	require.Equal(t, []string{"blackhole", "pd-ml-platform", "slack-ml", "sre"}, am.Receivers())

	cases := []struct {
		name   string
		labels map[string]string
		want   []amHop
	}{
		{"continue, then the team route with its own group_wait",
			map[string]string{"alertname": "LLMSpendSpike", "severity": "critical", "team": "ml-platform"},
			[]amHop{{"slack-ml", "", 5 * time.Second}, {"pd-ml-platform", "ml-platform", 2 * time.Minute}}},
		{"a regex route inheriting the root's group_wait",
			map[string]string{"alertname": "LLMProviderErrors", "severity": "page", "service": "llm-gateway"},
			[]amHop{{"slack-ml", "", 5 * time.Second}, {"pd-ml-platform", "ml-platform", 45 * time.Second}}},
		{"a nested route to the null receiver",
			map[string]string{"alertname": "X", "team": "ml-platform", "env": "staging"},
			[]amHop{{"blackhole", "", 2 * time.Minute}}},
		{"no child matches: the root, whose receiver is a policy by name",
			map[string]string{"alertname": "X", "severity": "warning"},
			[]amHop{{"sre", "sre", 45 * time.Second}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, hops(am.Route(c.labels)))
		})
	}
	m := am.Route(map[string]string{"alertname": "X"})
	require.Equal(t, []string{"alertname"}, m[0].GroupBy)
	require.NotEmpty(t, m[0].Route)
}

func TestAlertmanagerProblems(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		want                 Problem
	}{
		{"an unknown receiver in drill.yaml", "drill.yaml", "pd-ml-platform: ml-platform", "pd-nope: ml-platform",
			Problem{File: "drill.yaml", Line: 10, Col: 5, Field: "alertmanager.receivers.pd-nope"}},
		{"an unknown policy in drill.yaml", "drill.yaml", "pd-ml-platform: ml-platform", "pd-ml-platform: nope",
			Problem{File: "drill.yaml", Line: 10, Col: 5, Field: "alertmanager.receivers.pd-ml-platform"}},
		{"a path out of the team", "drill.yaml", "alertmanager: alertmanager.yml", "alertmanager: ../am.yml",
			Problem{File: "drill.yaml", Line: 7, Col: 3, Field: "paths.alertmanager"}},
		{"a YAML error Alertmanager's loader places", "alertmanager.yml", "group_wait: 45s", "group_wait: [45s",
			Problem{File: "alertmanager.yml", Line: 8}},
		{"a field Alertmanager does not know", "alertmanager.yml", "group_wait: 45s", "group_wiat: 45s",
			Problem{File: "alertmanager.yml", Line: 8}},
		{"a route to an undefined receiver (no line from the loader)", "alertmanager.yml", "receiver: blackhole", "receiver: nowhere",
			Problem{File: "alertmanager.yml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := amFS(t)
			replace(t, m, c.file, c.old, c.new)
			_, err := LoadFS(m, ".")
			require.Error(t, err)
			ps := err.(Problems)
			require.Len(t, ps, 1, "%v", ps)
			got := ps[0]
			require.NotEmpty(t, got.Msg)
			got.Msg = ""
			require.Equal(t, c.want, got, "%v", ps[0])
			t.Log(ps[0])
		})
	}
	t.Run("receivers without paths.alertmanager", func(t *testing.T) {
		m := amFS(t)
		replace(t, m, "drill.yaml", "  alertmanager: alertmanager.yml\n", "")
		_, err := LoadFS(m, ".")
		require.ErrorContains(t, err, "expected paths.alertmanager")
	})
	t.Run("a missing file", func(t *testing.T) {
		m := amFS(t)
		delete(m, "alertmanager.yml")
		_, err := LoadFS(m, ".")
		require.ErrorContains(t, err, "alertmanager.yml")
	})
}

// alertmanager.yml is read through internal/teamfile with the YAML cap:
// a larger file is refused before Alertmanager's loader sees it.
func TestAlertmanagerSizeCap(t *testing.T) {
	m := amFS(t)
	big := append([]byte{}, m["alertmanager.yml"].Data...)
	for len(big) <= teamfile.MaxYAML {
		big = append(big, "# padding to pass the cap\n"...)
	}
	m["alertmanager.yml"].Data = big
	_, err := LoadFS(m, ".")
	require.Error(t, err)
	ps := err.(Problems)
	require.Len(t, ps, 1, "%v", ps)
	require.Equal(t, "alertmanager.yml", ps[0].File)
	require.Contains(t, ps[0].Msg, "too large")
}
