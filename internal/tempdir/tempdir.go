package tempdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Owner identifies a process for as long as it runs: its ID, its start
// time (clock ticks since boot on Linux; 0 where unknown) and its PID
// namespace (0 where unknown).
type Owner struct {
	PID   int
	Start uint64
	NS    uint64
}

func (o Owner) String() string {
	return fmt.Sprintf("p%d.s%d.n%d", o.PID, o.Start, o.NS)
}

// self is this process, read once.
var self = func() Owner {
	o, err := selfOwner()
	if err != nil {
		return Owner{PID: os.Getpid()}
	}
	return o
}()

// Self returns the owner that Make writes into names.
func Self() Owner { return self }

// kindRE is what a kind may be: it is part of a file name.
var kindRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// nameRE parses a name Make wrote: drill-KIND-pPID.sSTART.nNS-RANDOM.
var nameRE = regexp.MustCompile(`^drill-([a-z][a-z0-9-]*)-p(\d+)\.s(\d+)\.n(\d+)-\d+$`)

// Make creates a directory drill-KIND-OWNER-RANDOM under dir (os.TempDir
// when empty), owned by this process, mode 0700.
func Make(dir, kind string) (string, error) {
	if !kindRE.MatchString(kind) {
		return "", fmt.Errorf("tempdir: kind %q: want lower-case words joined by '-'", kind)
	}
	return os.MkdirTemp(dir, "drill-"+kind+"-"+self.String()+"-")
}

// Parse returns the kind and owner of a directory name Make wrote.
func Parse(name string) (kind string, o Owner, ok bool) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return "", Owner{}, false
	}
	pid, err1 := strconv.Atoi(m[2])
	start, err2 := strconv.ParseUint(m[3], 10, 64)
	ns, err3 := strconv.ParseUint(m[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || pid <= 0 {
		return "", Owner{}, false
	}
	return m[1], Owner{PID: pid, Start: start, NS: ns}, true
}

// Swept is what Sweep removed, and what it could not.
type Swept struct {
	Removed []string
	Failed  []error
}

// MaxSweep bounds the directories one Sweep looks at, so that a temporary
// directory holding millions of entries cannot stall a drill's start.
const MaxSweep = 10000

// Sweep removes the directories under dir (os.TempDir when empty) that
// Make named for an owner that no longer runs. Directories of live owners,
// of owners it cannot judge, and every other entry are left alone.
func Sweep(dir string) Swept {
	var s Swept
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.Open(dir)
	if err != nil {
		s.Failed = append(s.Failed, err)
		return s
	}
	names, err := f.Readdirnames(MaxSweep)
	f.Close()
	if err != nil && len(names) == 0 {
		if !errors.Is(err, io.EOF) {
			s.Failed = append(s.Failed, err)
		}
		return s
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "drill-") {
			continue
		}
		_, o, ok := Parse(name)
		if !ok || alive(o) {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := os.Lstat(p); err != nil || !st.IsDir() {
			continue // not a directory Make made
		}
		if err := removeAll(p); err != nil {
			s.Failed = append(s.Failed, err)
			continue
		}
		s.Removed = append(s.Removed, p)
	}
	return s
}

// removeAll removes p even where a step made a part of it read-only.
func removeAll(p string) error {
	if err := os.RemoveAll(p); err == nil {
		return nil
	}
	_ = filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// alive reports whether o still runs, or cannot be judged from here
// (which counts as alive: its directory is left alone).
func alive(o Owner) bool {
	if self.NS != 0 && o.NS != self.NS {
		return true // another PID namespace: its process IDs are not ours
	}
	if o.PID == self.PID && o.Start == self.Start {
		return true
	}
	cur, ok := ownerOf(o.PID)
	if !ok {
		return false // no such process
	}
	if o.Start == 0 || cur.Start == 0 {
		return true // no start time to tell a reused ID by
	}
	return cur.Start == o.Start
}
