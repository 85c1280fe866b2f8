package testbed

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// listGroup lists the live processes of process group pgid from /proc.
func listGroup(pgid int) (map[int]procInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		info, group, err := readStat(pid)
		if err == nil && group == pgid {
			out[pid] = info
		}
	}
	return out, nil
}

// alive reports whether pid is still the process info describes: not
// gone, not a zombie, not a new process with the same pid.
func alive(pid int, info procInfo) bool {
	now, _, err := readStat(pid)
	return err == nil && now.start == info.start
}

var errZombie = errors.New("zombie")

// readStat reads a process's command name, start time and process group
// from /proc/PID/stat: "pid (comm) state ppid pgrp ... starttime ...",
// where comm may hold spaces and parentheses.
func readStat(pid int) (procInfo, int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, 0, err
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procInfo{}, 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 of proc(5) (state); pgrp is field 5, starttime 22.
	if len(f) < 20 {
		return procInfo{}, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	if string(f[0]) == "Z" || string(f[0]) == "X" {
		return procInfo{}, 0, errZombie
	}
	group, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return procInfo{}, 0, fmt.Errorf("/proc/%d/stat: pgrp: %w", pid, err)
	}
	start, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return procInfo{}, 0, fmt.Errorf("/proc/%d/stat: starttime: %w", pid, err)
	}
	return procInfo{comm: string(b[open+1 : end]), start: start}, group, nil
}
