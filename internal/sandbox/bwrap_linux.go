package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// nobody is who steps run as when drill runs as root: a step then reads
// no more than any user may.
const nobody = 65534

var (
	probeOnce sync.Once
	probeErr  error
	bwrapPath string
)

// probeBwrap checks once that bwrap is on PATH and can set up a step's
// namespaces here.
func probeBwrap() error {
	probeOnce.Do(func() {
		p, err := exec.LookPath("bwrap")
		if err != nil {
			probeErr = errors.New("bwrap not found on PATH (install bubblewrap)")
			return
		}
		tru, err := exec.LookPath("true")
		if err != nil {
			probeErr = fmt.Errorf("no true on PATH to probe bwrap with: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, p, append(baseArgs(), "--", tru)...)
		cmd.SysProcAttr = stepCredential()
		out, err := cmd.CombinedOutput()
		if err != nil {
			msg := strings.TrimSpace(string(out))
			if msg == "" {
				msg = err.Error()
			}
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			probeErr = fmt.Errorf("bwrap cannot create namespaces here (%s)", msg)
			return
		}
		bwrapPath = p
	})
	return probeErr
}

// baseArgs are the namespaces and the read-only system view every step
// gets.
func baseArgs() []string {
	args := []string{
		"--die-with-parent", "--new-session",
		"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-cgroup-try",
	}
	if os.Getuid() == 0 && hostUID() != 0 {
		// drill is root only in its own user namespace (the netns re-exec):
		// the step is the user who ran drill, as without it.
		args = append(args, "--uid", strconv.Itoa(hostUID()), "--gid", strconv.Itoa(hostGID()))
	}
	return append(args, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--cap-drop", "ALL")
}

// StepTempDir is where a step's directory must be made ("" is
// os.TempDir): where steps run as nobody, a temporary directory nobody
// may enter (os.TempDir, else /tmp, else /var/tmp).
func StepTempDir() string {
	if hostUID() != 0 {
		return ""
	}
	for _, d := range []string{os.TempDir(), "/tmp", "/var/tmp"} {
		if r, err := filepath.EvalSymlinks(d); err == nil && public(r) {
			return r
		}
	}
	return ""
}

// stepCredential runs bwrap as nobody when drill is root on the host.
func stepCredential() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if hostUID() == 0 {
		a.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, NoSetGroups: true}
	}
	return a
}

// Args returns bwrap's arguments for s, after the program name.
func (s Step) args() []string {
	args := baseArgs()
	temp := map[string]bool{}
	for _, t := range minimal([]string{"/tmp", "/var/tmp", os.TempDir()}) {
		temp[t] = true
	}
	for _, h := range s.Hide {
		args = append(args, "--tmpfs", h)
	}
	for _, d := range s.pathDirs(hostUID() == 0) {
		args = append(args, "--ro-bind", d, d)
	}
	args = append(args, "--bind", s.Dir, s.Dir)
	for _, h := range s.Hide {
		if !temp[h] {
			args = append(args, "--remount-ro", h)
		}
	}
	return append(args, "--chdir", s.Workdir)
}

// startedWrapper runs the step's command once bwrap's setup is done: it
// says so on fd 3, closes it, and executes the command.
const startedWrapper = `printf 1 >&3 && exec 3>&- && exec "$@"`

// Run is one step started in bwrap.
type Run struct {
	Cmd     *exec.Cmd
	started *os.File
	w       *os.File
}

// Command returns the step's command in bwrap; the caller sets its
// output, timeout and cancel, and calls Run.Start, then Cmd.Wait, then
// Run.Started. It is an error to call it when StepIsolation is not Bwrap.
func (s Step) Command(ctx context.Context) (*Run, error) {
	if err := probeBwrap(); err != nil {
		return nil, err
	}
	if len(s.Args) == 0 || !filepath.IsAbs(s.Args[0]) {
		return nil, fmt.Errorf("sandbox: step command %q: want an absolute path first", s.Args)
	}
	if hostUID() == 0 {
		if err := chownAll(s.Dir, nobody, nobody); err != nil {
			return nil, fmt.Errorf("sandbox: giving the step directory to nobody: %w", err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sandbox: no sh on PATH to start the step with: %w", err)
	}
	args := append(s.args(), "--", sh, "-c", startedWrapper, "sh")
	cmd := exec.CommandContext(ctx, bwrapPath, append(args, s.Args...)...)
	cmd.Env = s.Env // bwrap's --chdir sets the working directory inside
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = stepCredential()
	return &Run{Cmd: cmd, started: r, w: w}, nil
}

// Start starts bwrap.
func (r *Run) Start() error {
	err := r.Cmd.Start()
	r.w.Close()
	if err != nil {
		r.started.Close()
	}
	return err
}

// Started reports, after Cmd.Wait, whether bwrap set the sandbox up and
// started the command; when it did not, the output holds bwrap's reason.
func (r *Run) Started() bool {
	defer r.started.Close()
	_ = r.started.SetReadDeadline(time.Now().Add(time.Second))
	b, err := bufio.NewReader(r.started).ReadByte()
	return err == nil && b == '1'
}

func chownAll(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

var hostIDs = sync.OnceValues(func() (int, int) {
	return mapped("/proc/self/uid_map", os.Getuid()), mapped("/proc/self/gid_map", os.Getgid())
})

// hostUID is the user drill runs as in the parent user namespace (the
// host's, or the one drill re-executed itself from).
func hostUID() int { u, _ := hostIDs(); return u }
func hostGID() int { _, g := hostIDs(); return g }

// mapped returns id as the parent user namespace sees it, per the map
// file (lines of "inside outside count"); id itself when unreadable.
func mapped(file string, id int) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return id
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, err1 := strconv.ParseUint(f[0], 10, 32)
		out, err2 := strconv.ParseUint(f[1], 10, 32)
		n, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if uint64(id) >= in && uint64(id) < in+n {
			return int(out + uint64(id) - in)
		}
	}
	return id
}
