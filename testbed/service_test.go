package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/timeline"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// drillBinary builds ./cmd/drill once per test run, statically (it also
// goes into a FROM scratch image).
func drillBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the drill binary; runs without -short")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "drill-testbed-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "drill"), "./cmd/drill")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/drill: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(buildDir, "drill")
}

// gatewayEnv wires `drill serve gateway` to the testbed through its
// environment, as a team would wire its own service.
const gatewayEnv = `
  env:
    DRILL_ADDR: "127.0.0.1:{{ .Port }}"
    DRILL_PRIMARY_URL: "{{ .Providers.primary.URL }}"
    DRILL_PRIMARY_MODEL: gpt-4o-mini
    DRILL_SECONDARY_URL: "{{ .Providers.secondary.URL }}"
    DRILL_SECONDARY_KIND: anthropic
    DRILL_SECONDARY_MODEL: claude-haiku-4-5
    DRILL_SEARCH_URL: "{{ .Stubs.search.URL }}"
    DRILL_CANARY_ANSWER: "The drill canary is alive: 4096."
    DRILL_ATTEMPT_TIMEOUT: 700ms
    DRILL_MAX_ATTEMPTS: "1"
  health: /healthz
  metrics: /metrics
  admin: /admin
`

const upstreams = `
providers:
  - {name: primary, config: fast.yaml}
  - {name: secondary, config: fast.yaml}
stubs:
  - {name: search, kit: websearch}
`

func commandTopology(t *testing.T, command string) Topology {
	return parseText(t, upstreams+"service:\n  command: "+command+"\n"+gatewayEnv)
}

// groupMembers lists the processes of a process group, from /proc.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func TestCommandServiceRunsGatewayAsChild(t *testing.T) {
	bin := drillBinary(t)
	// sh keeps a grandchild (sleep) in the group: teardown must kill it too.
	top := commandTopology(t, fmt.Sprintf(`["sh", "-c", "sleep 300 & exec %s serve gateway"]`, bin))
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
	require.NoError(t, err)
	defer tb.Close()

	e := tb.Endpoints()
	require.Equal(t, FormCommand, e.Service.Form)
	require.Equal(t, "http://127.0.0.1:"+strconv.Itoa(e.Port), e.Service.URL)
	r := chat(e.Service.URL, "hello", nil)
	require.Equal(t, 200, r.status, r.body)
	r = get(e.Service.Admin + "/state")
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, e.Providers["primary"].URL, "the child must be wired to the proxy")
	require.Contains(t, tb.ServiceLogs(), "gateway listening on")

	// A fault through the proxy hurts the child process too.
	_, err = tb.Inject(context.Background(), "outage", "primary", nil, faults.Schedule{})
	require.NoError(t, err)
	require.Equal(t, 502, chat(e.Service.URL, "hello", nil).status)
	require.NoError(t, tb.ClearFaults(context.Background()))
	require.Equal(t, 200, chat(e.Service.URL, "hello", nil).status)

	pgid := tb.svc.(*process).cmd.Process.Pid
	require.GreaterOrEqual(t, len(groupMembers(t, pgid)), 2, "sh's sleep and the gateway")
	require.NoError(t, tb.Close())
	require.NoError(t, tb.Close(), "safe twice")
	require.Empty(t, groupMembers(t, pgid), "process group left behind")
	require.True(t, portFree(e.Port), "service port still taken")
	for _, u := range e.Providers {
		require.Error(t, get(u.Direct+"/metrics").err, "provider still answers")
	}
	select {
	case err := <-tb.Err():
		t.Fatalf("teardown reported as a crash: %v", err)
	default:
	}
}

func TestCommandServiceCrashIsAHarnessError(t *testing.T) {
	bin := drillBinary(t)
	top := commandTopology(t, fmt.Sprintf(`[%q, serve, gateway]`, bin))
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
	require.NoError(t, err)
	defer tb.Close()
	pid := tb.svc.(*process).cmd.Process.Pid
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	select {
	case err := <-tb.Err():
		var he *HarnessError
		require.ErrorAs(t, err, &he)
		require.ErrorIs(t, err, ErrServiceCrashed)
		require.Contains(t, err.Error(), "killed")
		require.Contains(t, he.Logs, "gateway listening on")
		require.Equal(t, err, tb.Failure())
	case <-time.After(10 * time.Second):
		t.Fatal("the crash was not reported")
	}
	ev, ok := tb.Events().Find(func(e timeline.Event) bool { return e.Kind == timeline.HarnessError })
	require.True(t, ok)
	require.Contains(t, ev.Message, "crashed")
}

func TestCommandServiceThatCannotStart(t *testing.T) {
	cases := map[string]struct {
		command string
		want    string
	}{
		"exits":        {`["sh", "-c", "echo bad config >&2; exit 3"]`, "exited before it was ready: exit status 3"},
		"never ready":  {`["sleep", "30"]`, "not ready after 300ms"},
		"missing":      {`["./no-such-binary"]`, "no-such-binary"},
		"bad template": {`["echo", "{{ .Providers.nosuch.URL }}"]`, "service.command[1]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			top := commandTopology(t, c.command)
			top.Service.StartTimeout = 300 * time.Millisecond
			start := time.Now()
			tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
			require.Nil(t, tb)
			var he *HarnessError
			require.ErrorAs(t, err, &he)
			require.Contains(t, err.Error(), c.want)
			require.Less(t, time.Since(start), 10*time.Second)
			if name == "exits" {
				require.Contains(t, he.Logs, "bad config")
			}
		})
	}
}

func TestStartCancelledContextTearsDown(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	ctx, cancel := context.WithCancel(context.Background())
	tb, err := Start(ctx, top, Options{Dir: "testdata"})
	require.NoError(t, err)
	e := tb.Endpoints()
	require.Equal(t, 200, chat(e.Service.URL, "hello", nil).status)
	require.NotEmpty(t, e.Traffic.Metrics, "the topology's traffic runs")
	cancel()
	require.Eventually(t, func() bool { return get(e.Service.URL+"/healthz").err != nil }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, tb.Close())
	_, err = os.Stat(tb.tmp)
	require.True(t, errors.Is(err, os.ErrNotExist), "temp dir left behind")
}

// memberNamed is the pid of the process of group pgid whose command name
// is comm.
func memberNamed(t *testing.T, pgid int, comm string) int {
	t.Helper()
	var pid int
	require.Eventually(t, func() bool {
		members, err := listGroup(pgid)
		require.NoError(t, err)
		for p, info := range members {
			if info.comm == comm {
				pid = p
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no %s in process group %d", comm, pgid)
	return pid
}

// A service run through a wrapper that outlives it (sh -c 'server &
// sleep 1000') is watched as a process group: the server's death is a
// crash at once, not after the health check has failed three times.
func TestCommandServiceDeathBehindAWrapperIsACrash(t *testing.T) {
	bin := drillBinary(t)
	top := commandTopology(t, fmt.Sprintf(`["sh", "-c", "%s serve gateway & sleep 1000"]`, bin))
	log := timeline.NewLog(timeline.NewVirtual(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)))
	// Health alone would take an hour to notice: the group watch must.
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true, Log: log, HealthEvery: 20 * time.Minute})
	require.NoError(t, err)
	defer tb.Close()
	pgid := tb.svc.(*process).cmd.Process.Pid
	gw := memberNamed(t, pgid, "drill")
	waitWatched(t, tb.svc.(*process), gw)
	require.NoError(t, syscall.Kill(gw, syscall.SIGKILL))
	select {
	case err := <-tb.Err():
		require.ErrorIs(t, err, ErrServiceCrashed)
		require.ErrorContains(t, err, fmt.Sprintf("process %d (drill) of the service's process group exited, and the service no longer answers", gw))
	case <-time.After(30 * time.Second):
		t.Fatal("the death of the server behind its wrapper was not reported")
	}
	exit, ok := log.Find(timeline.OfKind(timeline.ServiceExit, "service"))
	require.True(t, ok)
	require.Equal(t, strconv.Itoa(gw), exit.Attrs["pid"])
}

// A process of the group that ends while the service answers (a helper,
// a recycled worker) is an event, not a crash.
func TestCommandServiceHelperExitIsNoCrash(t *testing.T) {
	bin := drillBinary(t)
	top := commandTopology(t, fmt.Sprintf(`["sh", "-c", "sleep 1000 & exec %s serve gateway"]`, bin))
	log := timeline.NewLog(timeline.NewVirtual(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)))
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true, Log: log})
	require.NoError(t, err)
	defer tb.Close()
	p := tb.svc.(*process)
	sleeper := memberNamed(t, p.cmd.Process.Pid, "sleep")
	waitWatched(t, p, sleeper)
	require.NoError(t, syscall.Kill(sleeper, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		_, ok := log.Find(timeline.OfKind(timeline.ServiceExit, "service"))
		return ok
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 200, get(p.ep.Health).status)
	require.NoError(t, tb.Failure())
}

// The direct child's death is a crash even while a grandchild holds its
// output open: output goes to a file, so Wait does not wait for a pipe.
func TestCommandServiceDeathWhileAGrandchildHoldsItsOutput(t *testing.T) {
	bin := drillBinary(t)
	top := commandTopology(t, fmt.Sprintf(`["sh", "-c", "sleep 1000 & exec %s serve gateway"]`, bin))
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true, HealthEvery: 20 * time.Minute})
	require.NoError(t, err)
	defer tb.Close()
	p := tb.svc.(*process)
	require.NoError(t, syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL))
	select {
	case err := <-tb.Err():
		require.ErrorIs(t, err, ErrServiceCrashed)
		require.ErrorContains(t, err, "exited: signal: killed")
	case <-time.After(30 * time.Second):
		t.Fatal("the crash was not reported while a grandchild held the output")
	}
}

// waitWatched waits until the group watch has listed pid twice: its exit
// is then noticed.
func waitWatched(t *testing.T, p *process, pid int) {
	t.Helper()
	require.Eventually(t, func() bool {
		p.watchMu.Lock()
		defer p.watchMu.Unlock()
		_, ok := p.watched[pid]
		return ok
	}, 10*time.Second, 10*time.Millisecond, "pid %d is not watched", pid)
}
