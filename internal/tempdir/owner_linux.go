package tempdir

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// selfOwner reads this process's start time and PID namespace.
func selfOwner() (Owner, error) {
	ps, err := readOwner("self")
	if err != nil {
		return Owner{}, err
	}
	o := ps.Owner
	st, err := os.Stat("/proc/self/ns/pid")
	if err != nil {
		return Owner{}, err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		o.NS = sys.Ino
	}
	o.PID = os.Getpid()
	return o, nil
}

// ownerOf returns pid's start time, or false when no such process runs.
func ownerOf(pid int) (Owner, bool) {
	o, err := readOwner(strconv.Itoa(pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Owner{}, false
		}
		// unreadable for another reason: say it runs, judged by kill(0)
		err := syscall.Kill(pid, 0)
		return Owner{PID: pid}, err == nil || errors.Is(err, syscall.EPERM)
	}
	if o.zombie {
		return Owner{}, false // exited, not yet reaped
	}
	return o.Owner, true
}

type procStat struct {
	Owner
	zombie bool
}

// readOwner parses /proc/PID/stat: the state is the field after the
// command name (which may hold spaces and parentheses), the start time the
// 22nd field.
func readOwner(pid string) (procStat, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("tempdir: /proc/%s/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("tempdir: /proc/%s/stat: %d fields after the name, want 20 or more", pid, len(f))
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("tempdir: /proc/%s/stat: start time: %w", pid, err)
	}
	p, _ := strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, ' ')]))
	return procStat{Owner: Owner{PID: p, Start: start}, zombie: f[0] == "Z" || f[0] == "X"}, nil
}
