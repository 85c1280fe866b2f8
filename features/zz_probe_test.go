package features

import (
	"os"
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	b, _ := os.ReadFile("/tmp/probe/lines.txt")
	n, ok := 0, 0
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		n++
		ms := matchAll(l)
		if len(ms) == 1 && ms[0].err == nil {
			ok++
			continue
		}
		t.Logf("REFUSED (%d): %s  => %v", len(ms), l, Closest(l, 1))
	}
	t.Logf("%d of %d", ok, n)
}
