package scenarios

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// supportBotTeam copies testdata/supportbot, whose service is a support
// bot with an API of its own (POST /api/ask, GET /search), and builds the
// bot into its bin/.
func supportBotTeam(t *testing.T) *team.Team {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH to build the support bot")
	}
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "supportbot"))))
	out, err := exec.Command(goTool, "build", "-o", filepath.Join(dir, "bin", "supportbot"), "./testdata/supportbot/bot").CombinedOutput()
	require.NoError(t, err, "%s", out)
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

// A team whose service is not an OpenAI-compatible gateway but a support
// bot with its own request kinds in traffic: passes an outage and a cost
// drill from its drill.yaml, its rules, runbooks and escalation alone; the
// traffic generator counted each of its kinds under its own name.
func TestSupportBotTeamPassesOutageAndCostDrills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills; skipped with -short")
	}
	tm := supportBotTeam(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	card, err := Run(ctx, Options{Team: tm, Tags: "@supportbot", NoBuiltin: true, Speed: 120, Seed: 1, Parallel: 2})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 2)
	for _, sc := range card.Scenarios {
		require.Equal(t, scoring.Passed, sc.Status, "%s: %s\n%v", sc.Name, sc.Reason, sc.Events)
		require.NotNil(t, sc.Timings.TimeToDetect, sc.Name)
		require.NotNil(t, sc.Timings.TimeToRecover, sc.Name)
	}
	outage, cost := card.Scenarios[0], card.Scenarios[1]
	_, ok := alertOf(outage, "SupportBotErrors")
	require.True(t, ok)
	_, ok = alertOf(cost, "SupportBotSpend")
	require.True(t, ok)
	require.Zero(t, card.ExitCode())
}

// composeOrSkip skips, in one line, where no container engine or no
// compose CLI answers.
func composeOrSkip(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("container tests run without -short")
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no container engine answers (%s); skipping the compose drill", strings.TrimSpace(firstLineOf(string(out))))
	}
	if exec.Command("docker", "compose", "version").Run() != nil && exec.Command("docker-compose", "version").Run() != nil {
		t.Skip("no docker compose CLI (plugin or docker-compose); skipping the compose drill")
	}
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// composeProjects are the compose projects of drill's worlds the engine
// still has containers, networks or volumes of.
//
// Only this test process's projects count (their names carry its pid, from
// the testbed's temp folder, drill-testbed-pPID.s...): another drill on the
// same engine, such as a second CI job, neither hides a leftover nor makes
// one.
func composeProjects(t *testing.T) []string {
	t.Helper()
	ours := fmt.Sprintf("-p%d-s", os.Getpid())
	var out []string
	for _, args := range [][]string{
		{"ps", "-a", "--format", `{{.Label "com.docker.compose.project"}}`},
		{"network", "ls", "--format", `{{.Label "com.docker.compose.project"}}`},
		{"volume", "ls", "--format", `{{.Label "com.docker.compose.project"}}`},
	} {
		b, err := exec.Command("docker", args...).Output()
		require.NoError(t, err)
		for _, p := range strings.Fields(string(b)) {
			if strings.HasPrefix(p, "drill-") && strings.Contains(p, ours) {
				out = append(out, args[0]+" of "+p)
			}
		}
	}
	return out
}

// The support bot as one service of a compose file, with a store of its
// own beside it (both built FROM scratch from the bot's static binary:
// nothing can be pulled): its outage drill passes, and nothing of the
// compose project is left after it.
func TestSupportBotComposeDrill(t *testing.T) {
	composeOrSkip(t)
	tm := supportBotTeam(t)
	dir := tm.Dir
	app := filepath.Join(dir, "image")
	require.NoError(t, os.Mkdir(app, 0o755))
	build := exec.Command("go", "build", "-o", filepath.Join(app, "bot"), "./testdata/supportbot/bot")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.WriteFile(filepath.Join(app, "Dockerfile"), []byte("FROM scratch\nCOPY bot /bot\nENTRYPOINT [\"/bot\"]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docker-compose.yaml"), []byte(`version: "2.4"
services:
  store:
    build: ./image
    command: ["store", "--listen", "127.0.0.1:${STORE_PORT}", "--data", "/data"]
    volumes: ["questions:/data"]
  api:
    build: ./image
    depends_on: [store]
    environment:
      STORE_URL: "http://store:${STORE_PORT}"
volumes:
  questions: {}
`), 0o644))
	port, err := loopback.FreePort()
	require.NoError(t, err)
	t.Setenv("STORE_PORT", strconv.Itoa(port)) // compose interpolates drill's environment
	p := filepath.Join(dir, "drill.yaml")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	cfg := string(b)
	start, end := strings.Index(cfg, "service:\n"), strings.Index(cfg, "\ntraffic:")
	require.True(t, start >= 0 && end > start)
	cfg = cfg[:start] + `service:
  compose: docker-compose.yaml
  service_name: api
  env:
    LLM_URL: "{{ .Providers.primary.URL }}"
    LLM_FALLBACK_URL: "{{ .Providers.fallback.URL }}"
    LLM_MODEL: gpt-4o-mini
  health: /healthz
  metrics: /metrics
  admin: /admin
  start_timeout: 2m
` + cfg[end:]
	// The api's own flags: its compose command is the image's entrypoint
	// with --listen on the port drill chose.
	cfg = strings.Replace(cfg, "  env:\n    LLM_URL:", "  env:\n    LISTEN: \"127.0.0.1:{{ .Port }}\"\n    LLM_URL:", 1)
	require.NoError(t, os.WriteFile(p, []byte(cfg), 0o644))
	tm, err = team.Load(dir)
	require.NoError(t, err)

	before := composeProjects(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	card, err := Run(ctx, Options{Team: tm, Only: []string{"features/support-bot.feature:9"}, NoBuiltin: true, Speed: 120, Seed: 1, Parallel: 1})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 1)
	sc := card.Scenarios[0]
	require.Equal(t, scoring.Passed, sc.Status, "%s\n%v", sc.Reason, sc.Events)
	require.Equal(t, before, composeProjects(t), "the drill's compose project is gone: containers, networks and volumes")
}
