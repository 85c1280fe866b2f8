package testbed

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/internal/loopback"
)

// composeOrSkip skips, in one line, where no engine or no compose CLI
// answers.
func composeOrSkip(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("container tests run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := engineUp(ctx); err != nil {
		t.Skipf("%v; skipping the compose: form", err)
	}
	if _, err := composeCLI(ctx); err != nil {
		t.Skipf("%v; skipping the compose: form", err)
	}
}

// composeProject writes a compose project to a new directory: an api and
// the store it depends on, both built FROM scratch from one static binary
// (nothing can be pulled), the store keeping its data in a named volume.
func composeProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	require.NoError(t, os.Mkdir(app, 0o755))
	cmd := exec.Command("go", "build", "-o", filepath.Join(app, "composeapp"), "./testdata/composeapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.WriteFile(filepath.Join(app, "Dockerfile"), []byte("FROM scratch\nCOPY composeapp /composeapp\nENTRYPOINT [\"/composeapp\"]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docker-compose.yaml"), []byte(`version: "2.4"
services:
  store:
    build: ./app
    command: ["store"]
    environment: {STORE_ADDR: "127.0.0.1:${STORE_PORT}", DATA_DIR: /data}
    volumes: ["data:/data"]
  api:
    build: ./app
    command: ["api"]
    depends_on: [store]
    environment:
      STORE_URL: "http://store:${STORE_PORT}"
volumes:
  data: {}
`), 0o644))
	fast, err := os.ReadFile(filepath.Join("testdata", "fast.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fast.yaml"), fast, 0o644))
	port, err := loopback.FreePort()
	require.NoError(t, err)
	t.Setenv("STORE_PORT", strconv.Itoa(port)) // compose interpolates the CLI's environment
	return dir
}

const composeService = `service:
  compose: docker-compose.yaml
  service_name: api
  env:
    API_ADDR: "127.0.0.1:{{ .Port }}"
    LLM_URL: "{{ .Providers.primary.URL }}"
  health: /healthz
`

// left lists what of a compose project the engine still has.
func left(t *testing.T, project string) []string {
	t.Helper()
	var out []string
	for _, args := range [][]string{
		{"ps", "-aq", "--filter", "label=com.docker.compose.project=" + project},
		{"network", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project},
		{"volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project},
	} {
		b, err := exec.Command("docker", args...).Output()
		require.NoError(t, err)
		for _, l := range strings.Fields(string(b)) {
			out = append(out, args[0]+" "+l)
		}
	}
	return out
}

// A compose service with a dependency of its own: the api reaches its
// store by the compose name and the mock provider through its proxy (a
// fault on the provider reaches the api's answers); teardown leaves no
// container, network or volume of the project.
func TestComposeServiceWithItsStore(t *testing.T) {
	composeOrSkip(t)
	dir := composeProject(t)
	top := parseText(t, upstreams+composeService)
	ctx := context.Background()
	tb, err := Start(ctx, top, Options{Dir: dir, TrafficOff: true})
	require.NoError(t, err)
	defer tb.Close()
	svc := tb.svc.(*composeSvc)
	require.Equal(t, FormCompose, tb.Endpoints().Service.Form)
	require.True(t, strings.HasPrefix(svc.project, "drill-"), svc.project)

	ask := func() reply { return post(tb.Endpoints().Service.URL+"/ask", map[string]any{}) }
	for want := 1; want <= 2; want++ {
		r := ask()
		require.Equal(t, 200, r.status, r.body)
		var a struct{ Answer, Count string }
		require.NoError(t, json.Unmarshal([]byte(r.body), &a))
		require.NotEmpty(t, a.Answer)
		require.Equal(t, strconv.Itoa(want), a.Count, "the store counts every question")
	}

	act, err := tb.Inject(ctx, "provider-error", "primary", map[string]string{"status": "503", "probability": "1"}, faults.Schedule{})
	require.NoError(t, err)
	r := ask()
	require.Equal(t, 502, r.status, r.body)
	require.Contains(t, r.body, "LLM answered 503", "the api calls the provider through its proxy")
	require.NoError(t, tb.ClearFaults(ctx))
	require.False(t, act.On())
	require.Eventually(t, func() bool { return strings.Contains(tb.ServiceLogs(), "store listening on") }, 10*time.Second, 50*time.Millisecond,
		"every service's output is kept: %q", tb.ServiceLogs())

	require.NotEmpty(t, left(t, svc.project))
	require.NoError(t, tb.Close())
	require.Empty(t, left(t, svc.project), "teardown leaves nothing of the project")
}

// Where no engine answers, a compose service fails to start with one
// clear message.
func TestComposeWithoutEngineSaysSo(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	top := parseText(t, upstreams+composeService)
	_, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
	require.ErrorContains(t, err, "compose docker-compose.yaml: no container engine answers (docker info: ")
	require.ErrorContains(t, err, "a compose: service needs one running")
}

// Interrupted while the project starts (Ctrl-C cancels the context), the
// testbed removes what the project made so far.
func TestComposeInterruptedStartLeavesNothing(t *testing.T) {
	composeOrSkip(t)
	dir := composeProject(t)
	top := parseText(t, upstreams+strings.Replace(composeService, "health: /healthz", "health: /never-ready", 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	project := make(chan string, 1)
	go func() {
		// Cancel once a container of the project runs: the start is under way.
		for ctx.Err() == nil {
			out, _ := exec.Command("docker", "ps", "--filter", "label=org.drillkit.testbed", "--format", `{{.Label "com.docker.compose.project"}}`).Output()
			if p := strings.TrimSpace(firstLine(string(out))); p != "" {
				project <- p
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	tb, err := Start(ctx, top, Options{Dir: dir, TrafficOff: true})
	if tb != nil {
		tb.Close()
	}
	require.Error(t, err)
	var p string
	select {
	case p = <-project:
	default:
		t.Fatal("no container of the project was seen before Start returned: " + err.Error())
	}
	require.Empty(t, left(t, p), "an interrupted start leaves nothing of the project")
}

// What a compose service names is checked from the files before any world
// starts: the file must exist, hold services, and have service_name.
func TestCheckComposeFile(t *testing.T) {
	dir := t.TempDir()
	fast, err := os.ReadFile(filepath.Join("testdata", "fast.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fast.yaml"), fast, 0o644))
	top := parseText(t, upstreams+composeService)
	require.ErrorContains(t, Check(top, dir, nil), "service.compose: docker-compose.yaml: ")
	write := func(s string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "docker-compose.yaml"), []byte(s), 0o644))
	}
	write("services:\n  web: {image: x}\n  store: {image: y}\n")
	require.ErrorContains(t, Check(top, dir, nil), `service.compose: docker-compose.yaml: service_name "api" is no service of the file (services: store, web)`)
	write("volumes: {}\n")
	require.ErrorContains(t, Check(top, dir, nil), "no services: expected a compose file with a services: mapping")
	write("services:\n  api: {image: x}\n")
	require.NoError(t, Check(top, dir, nil))

	// service_name is required, and only for compose.
	_, err = ParseTopology("drill.yaml", sectionsOf(t, []byte("service:\n  compose: docker-compose.yaml\n")))
	require.ErrorContains(t, err, "service.service_name: missing; expected the name of the compose file's service under test")
	_, err = ParseTopology("drill.yaml", sectionsOf(t, []byte("providers: [{name: p}]\nservice:\n  command: [x]\n  service_name: api\n")))
	require.ErrorContains(t, err, "service.service_name: only applies to the compose form; this service is command")
}
