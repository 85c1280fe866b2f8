package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// helperEnv names the helper this test binary runs as, when RunInNetNS
// started it.
const helperEnv = "SANDBOX_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(helper(h))
	}
	os.Exit(m.Run())
}

// dialResult is one connection attempt, as the helper reports it.
type dialResult struct {
	Addr    string
	Err     string
	Errno   int
	Seconds float64
}

type helperReport struct {
	Enter      string
	Recording  bool
	Why        string
	Interfaces []string
	Loopback   string // a loopback connection's error, "" when it worked
	Dials      []dialResult
	Step       stepReport
	Recorded   []Blocked
}

type stepReport struct {
	Ran    bool
	Output string
	Exit   int
	Got    []Blocked
}

// helper runs inside the namespace: it enters it, tries to leave, and
// reports on stdout.
func helper(name string) int {
	var r helperReport
	ns, err := EnterNetNS()
	if err != nil {
		r.Enter = err.Error()
	}
	r.Recording, r.Why = ns.Recording, ns.Why
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		r.Interfaces = append(r.Interfaces, i.Name)
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err != nil {
		r.Loopback = err.Error()
	} else {
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			r.Loopback = err.Error()
		} else {
			c.Close()
		}
		ln.Close()
	}
	if name == "dial" {
		for _, a := range []struct{ network, addr string }{
			{"tcp", "192.0.2.1:80"}, {"tcp", "[2001:db8::1]:443"}, {"udp", "198.51.100.7:53"}, {"tcp", "169.254.169.254:80"},
		} {
			start := time.Now()
			c, err := net.DialTimeout(a.network, a.addr, 10*time.Second)
			if err == nil && a.network == "udp" {
				_, _ = c.Write([]byte("query"))
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, err = c.Read(make([]byte, 16))
			}
			d := dialResult{Addr: a.network + " " + a.addr, Seconds: time.Since(start).Seconds()}
			if c != nil {
				c.Close()
			}
			if err != nil {
				d.Err = err.Error()
				var errno syscall.Errno
				if errors.As(err, &errno) {
					d.Errno = int(errno)
				}
			}
			r.Dials = append(r.Dials, d)
		}
	}
	if name == "step" {
		r.Step = helperStep()
	}
	r.Recorded, _ = Recorded()
	_ = json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// helperStep runs a step in bwrap, inside the namespace, that tries to
// leave.
func helperStep() stepReport {
	var rep stepReport
	if s, _ := StepIsolation(); s != Bwrap {
		return rep
	}
	dir, err := os.MkdirTemp("", "sandbox-step-")
	if err != nil {
		rep.Output = err.Error()
		return rep
	}
	defer os.RemoveAll(dir)
	bash, _ := exec.LookPath("bash")
	script := filepath.Join(dir, "step.sh")
	_ = os.WriteFile(script, []byte("id -u\nexec 3<>/dev/tcp/192.0.2.1/80\n"), 0o644)
	run, err := Step{Dir: dir, Workdir: dir, Env: []string{"PATH=" + os.Getenv("PATH")}, Args: []string{bash, script}}.Command(context.Background())
	if err != nil {
		rep.Output = err.Error()
		return rep
	}
	var out strings.Builder
	run.Cmd.Stdout, run.Cmd.Stderr = &out, &out
	w := Watch("step switch-over (runbooks/x.md:12)")
	if err := run.Start(); err != nil {
		rep.Output = err.Error()
		return rep
	}
	w.SetPID(run.Cmd.Process.Pid)
	err = run.Cmd.Wait()
	rep.Ran = run.Started()
	rep.Got = w.Stop()
	rep.Output = out.String()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		rep.Exit = ee.ExitCode()
	}
	return rep
}

// runHelper runs this test binary as helper name in a network namespace,
// or skips (in one line) where the kernel refuses one.
func runHelper(t *testing.T, name string) helperReport {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	out, err := os.CreateTemp(t.TempDir(), "report")
	require.NoError(t, err)
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := RunInNetNS(ctx, Child{Path: exe, Args: []string{"-test.run=^$"},
		Env: append(os.Environ(), helperEnv+"="+name), Stdout: out, Stderr: os.Stderr})
	var ref *Refused
	if errors.As(err, &ref) {
		t.Skipf("no network namespace here: %v", err)
	}
	require.NoError(t, err)
	require.Equal(t, 0, code)
	b, err := os.ReadFile(out.Name())
	require.NoError(t, err)
	var r helperReport
	require.NoError(t, json.Unmarshal(b, &r), "%s", b)
	require.Empty(t, r.Enter)
	return r
}

// Nothing in the drill world's network reaches another host: every
// attempt fails at once with "no route to host", loopback works, and each
// attempt is on record with its address.
func TestNetNSRefusesAndRecords(t *testing.T) {
	r := runHelper(t, "dial")
	require.ElementsMatch(t, []string{"lo", tunName}, r.Interfaces)
	require.Empty(t, r.Loopback, "loopback works in the namespace")
	require.True(t, r.Recording, r.Why)
	require.Len(t, r.Dials, 4)
	for _, d := range r.Dials {
		require.NotEmpty(t, d.Err, "%s must fail", d.Addr)
		require.Less(t, d.Seconds, 2.0, "%s must fail at once, not time out: %s", d.Addr, d.Err)
		t.Logf("%s: %s after %.3fs", d.Addr, d.Err, d.Seconds)
	}
	require.Equal(t, int(syscall.EHOSTUNREACH), r.Dials[0].Errno, r.Dials[0].Err)
	require.Contains(t, r.Dials[0].Err, "no route to host")
	var got []string
	for _, b := range r.Recorded {
		got = append(got, fmt.Sprintf("%s %s", b.Proto, b.Address))
		require.NotEmpty(t, b.By)
	}
	require.ElementsMatch(t, []string{"tcp 192.0.2.1:80", "tcp [2001:db8::1]:443", "udp 198.51.100.7:53", "tcp 169.254.169.254:80"}, got)
	for _, b := range r.Recorded {
		require.Regexp(t, `^the drill world: \S+, pid \d+$`, b.By[0], "the test binary itself tried %s", b.Address)
	}
}

// A step in bwrap, in the namespace, that tries to leave fails fast, and
// its attempt is filed under the step.
func TestStepAttemptIsFiledUnderTheStep(t *testing.T) {
	if s, why := StepIsolation(); s != Bwrap {
		t.Skipf("runbook steps run in a %s here, not in bwrap: %s", s, why)
	}
	r := runHelper(t, "step")
	require.True(t, r.Step.Ran, r.Step.Output)
	require.NotZero(t, r.Step.Exit)
	require.Contains(t, r.Step.Output, "No route to host")
	uid := strconv.Itoa(os.Getuid())
	if os.Getuid() == 0 {
		uid = "65534" // root's steps run as nobody
	}
	require.True(t, strings.HasPrefix(r.Step.Output, uid+"\n"), "the step runs as the user who ran drill, not as the namespace's root: %q", r.Step.Output)
	require.Len(t, r.Step.Got, 1, "%+v", r.Step.Got)
	require.Equal(t, "tcp", r.Step.Got[0].Proto)
	require.Equal(t, "192.0.2.1:80", r.Step.Got[0].Address)
	require.Equal(t, []string{"step switch-over (runbooks/x.md:12)"}, r.Step.Got[0].By)
}

// EnterNetNS refuses a process that RunInNetNS did not start, and one
// whose network is not private even if its environment says so.
func TestEnterNetNSChecks(t *testing.T) {
	_, err := enter()
	require.ErrorContains(t, err, "not started in a private network namespace")
	t.Setenv(envNetNS, "1")
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	if len(ifs) <= 1 {
		t.Skip("this host has only loopback: its network looks private")
	}
	_, err = enter()
	require.ErrorContains(t, err, "this is not a private network namespace")
	require.False(t, InNetNS())
}
