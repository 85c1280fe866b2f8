package testbed

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/traffic"
	"github.com/stretchr/testify/require"
)

const teamTraffic = `
providers: [{name: primary}]
service: {command: ["svc"]}
traffic:
  rate: 2
  requests:
    ask:
      method: POST
      path: /api/ask
      headers: {X-Request-Id: "{{ .RequestID }}"}
      body: '{"question": {{ json .Prompt }}}'
      prompts_file: %s
      check:
        status: [200]
        json: [{path: answer}, {path: status, equals: answered}]
        within: 2s
    search:
      path: /search?q={{ .Prompt | urlquery }}
      prompts: [refunds, delivery]
      check: {match: '"hits"'}
`

// A team's own request kinds: decoded strictly, a mix of 1 each when
// drill.yaml gives none, and the prompts file read (and judged) from the
// team directory before anything starts.
func TestTrafficRequestsAndPromptsFiles(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "team")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prompts.txt"), []byte("# support questions\nHow long do refunds take?\n\nWhere is my order?\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.txt"), []byte("# nothing\n\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "huge.txt"), []byte(strings.Repeat("a prompt\n", traffic.MaxPromptsFile/9+1)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret.txt"), []byte("s3cr3t\n"), 0o600))

	top := parseText(t, strings.ReplaceAll(teamTraffic, "%s", "prompts.txt"))
	require.Equal(t, map[string]float64{"ask": 1, "search": 1}, top.Traffic.Mix, "own kinds without a mix: 1 each, presets off")
	ask := top.Traffic.Requests["ask"]
	require.Equal(t, "answered", *ask.Check.JSON[1].Equals)
	require.NoError(t, Check(top, dir, nil))

	tb := &Testbed{dir: dir}
	cfg := *top.Traffic
	require.NoError(t, tb.loadPrompts(&cfg))
	require.Equal(t, []string{"How long do refunds take?", "Where is my order?"}, cfg.Requests["ask"].Prompts)
	require.Empty(t, top.Traffic.Requests["ask"].Prompts, "the topology's config is not changed")

	for file, want := range map[string]string{
		"nope.txt":      "traffic.requests.ask.prompts_file: " + filepath.Join(dir, "nope.txt"),
		"empty.txt":     "traffic.requests.ask.prompts_file: " + filepath.Join(dir, "empty.txt") + ": no prompts; want one prompt a line",
		"huge.txt":      "traffic.requests.ask.prompts_file: " + filepath.Join(dir, "huge.txt") + ": ",
		"../secret.txt": `expected a path inside the team directory, got "../secret.txt"`,
	} {
		err := Check(parseText(t, strings.ReplaceAll(teamTraffic, "%s", file)), dir, nil)
		require.ErrorContains(t, err, want, file)
		require.Contains(t, err.Error(), "drill.yaml: ", "the problem names drill.yaml")
		require.NotContains(t, err.Error(), "s3cr3t")
	}
	err := Check(parseText(t, strings.ReplaceAll(teamTraffic, "%s", "huge.txt")), dir, nil)
	require.ErrorContains(t, err, "1 MiB", "the cap is named")
}

// A team's own kind runs through StartTraffic against a running service
// (here the builtin gateway, spoken to with the team's own body
// template), its prompts file read from the team directory, its outcome
// and statuses on the generator's metrics by the kind's name.
func TestStartTrafficSendsTeamKinds(t *testing.T) {
	top := parseText(t, `
providers: [{name: primary}]
traffic:
  rate: 40
  requests:
    support:
      path: /v1/chat/completions
      body: '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": {{ json .Prompt }}}]}'
      prompts_file: prompts.txt
      check: {json: [{path: "choices[0].message.content"}]}
    wrong:
      path: /v1/chat/completions
      body: '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'
      check: {json: [{path: "choices[0].message.role", equals: "robot"}]}
`)
	tb := startTestbed(t, top, Options{})
	require.NoError(t, tb.StartTraffic(context.Background(), *top.Traffic))
	defer func() { require.NoError(t, tb.StopTraffic()) }()
	g := tb.Traffic()
	require.Eventually(t, func() bool {
		st := g.Stats()
		return st.ByKind["support"][traffic.OutcomeOK] >= 3 && st.ByKind["wrong"][traffic.OutcomeInvalid] >= 3
	}, 15*time.Second, 10*time.Millisecond)
	st := g.Stats()
	require.Zero(t, st.ByKind["support"][traffic.OutcomeInvalid]+st.ByKind["support"][traffic.OutcomeError])
	require.Zero(t, st.ByKind["wrong"][traffic.OutcomeOK], "a failing check is never ok")

	resp, err := http.Get(g.MetricsURL())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `drill_traffic_requests_total{kind="support",outcome="ok"}`)
	require.Contains(t, string(body), `drill_traffic_responses_total{kind="wrong",status="200"}`)
}
