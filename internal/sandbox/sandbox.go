package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnvVar turns the namespaces off: DRILL_SANDBOX=off runs runbook steps in
// a process group and the drill world in the host's network, as on a host
// that refuses namespaces (and --require-isolation refuses to run so).
const EnvVar = "DRILL_SANDBOX"

// Steps names how runbook steps are isolated.
type Steps string

const (
	// Bwrap: each step in bubblewrap's namespaces (PID, user, mount, IPC),
	// with a read-only view of the system and a writable step directory.
	Bwrap Steps = "bwrap"
	// ProcessGroup: each step in its own process group, killed whole when
	// it ends; no namespaces.
	ProcessGroup Steps = "process-group"
)

// Isolation is what was in force for a run, as the scorecard records it.
type Isolation struct {
	Steps Steps
	// NetNS: the whole drill world ran in a private network namespace with
	// only loopback.
	NetNS bool
}

// String is the scorecard's form: bwrap+netns, bwrap, process-group+netns
// or process-group.
func (i Isolation) String() string {
	if i.NetNS {
		return string(i.Steps) + "+netns"
	}
	return string(i.Steps)
}

// Full reports whether both the steps and the network were isolated.
func (i Isolation) Full() bool { return i.Steps == Bwrap && i.NetNS }

// Off reports whether DRILL_SANDBOX turns the namespaces off; a value
// other than "", "on" and "off" is an error.
func Off(getenv func(string) string) (bool, error) {
	switch v := getenv(EnvVar); v {
	case "", "on":
		return false, nil
	case "off":
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q: want on or off", EnvVar, v)
	}
}

// StepIsolation returns how this process runs runbook steps and, when not
// in bwrap, why not. bwrap is probed once per process; DRILL_SANDBOX is
// read on every call.
func StepIsolation() (Steps, string) {
	off, err := Off(os.Getenv)
	if err != nil {
		return ProcessGroup, err.Error()
	}
	if off {
		return ProcessGroup, EnvVar + "=off"
	}
	if err := probeBwrap(); err != nil {
		return ProcessGroup, err.Error()
	}
	return Bwrap, ""
}

// Hidden lists the directories a runbook step must not see, for a team in
// teamDir: every home (/home, /root, $HOME), the team's directory and the
// repository holding it, the working directory, the temporary
// directories (which hold other steps' and worlds' files) and /run (which
// holds sockets of services such as Docker's). Only directories that exist
// are listed, symlinks resolved, each once, none inside another.
func Hidden(teamDir string) []string {
	cands := []string{"/home", "/root", "/run", "/var/run", "/tmp", "/var/tmp", os.TempDir(), os.Getenv("HOME")}
	if wd, err := os.Getwd(); err == nil {
		cands = append(cands, wd, repoRoot(wd))
	}
	if teamDir != "" {
		if abs, err := filepath.Abs(teamDir); err == nil {
			cands = append(cands, abs, repoRoot(abs))
		}
	}
	return minimal(cands)
}

// repoRoot returns the nearest directory from dir upward that holds .git,
// or "" when there is none.
func repoRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}

// systemDirs are what every step needs to run: a directory holding one
// of them is never hidden (drill run from /usr hides nothing of /usr).
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"}

// minimal resolves each existing directory, drops "/" and any holding a
// system directory (hiding it would hide the system) and drops any inside
// another.
func minimal(paths []string) []string {
	seen := map[string]bool{}
	var dirs []string
	for _, p := range paths {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if st, err := os.Stat(r); err != nil || !st.IsDir() || seen[r] || holdsSystem(r) {
			continue
		}
		seen[r] = true
		dirs = append(dirs, r)
	}
	sort.Strings(dirs)
	var out []string
next:
	for _, d := range dirs {
		for _, o := range out {
			if within(d, o) {
				continue next
			}
		}
		out = append(out, d)
	}
	return out
}

func holdsSystem(dir string) bool {
	for _, d := range systemDirs {
		if within(d, dir) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
