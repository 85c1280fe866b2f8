package testbed

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/docgen"
	"github.com/drillkit/drill/traffic"
)

// docDuration writes d as drill.yaml would: 30s, 2m, 1m30s.
func docDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func TestDocDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 2 * time.Minute: "2m", 90 * time.Second: "1m30s", time.Hour: "1h", time.Second: "1s",
		10 * time.Minute: "10m", 90 * time.Minute: "1h30m", 5 * time.Millisecond: "5ms",
	} {
		require.Equal(t, want, docDuration(d), "%v", d)
	}
}

// defaultsMarkdown is docs/topology.md's table of the testbed's defaults
// and limits.
func defaultsMarkdown() string {
	rows := [][2]string{
		{"`start_timeout` of a `command` service", docDuration(DefaultStartTimeout)},
		{"`start_timeout` of an `image` service", docDuration(DefaultImageStartTimeout)},
		{"health check of a ready service (its `health` path, else its port)", fmt.Sprintf("every %s; %d failures in a row are a crash", docDuration(DefaultHealthEvery), DefaultHealthFailures)},
		{"service output kept in memory, shown when it fails", fmt.Sprintf("the last %d KiB", OutputTail>>10)},
		{"teardown grace: from SIGTERM (a container: its stop) to SIGKILL", docDuration(StopGrace)},
	}
	var b strings.Builder
	b.WriteString("| what | default or limit |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return b.String()
}

// trafficLimitsMarkdown is docs/topology.md's table of the limits of a
// team's own request kinds.
func trafficLimitsMarkdown() string {
	rows := [][2]string{
		{"request kinds in `traffic.requests`", fmt.Sprint(traffic.MaxRequestKinds)},
		{"prompts of one kind", fmt.Sprint(traffic.MaxPrompts)},
		{"a prompts file", fmt.Sprintf("%d MiB", traffic.MaxPromptsFile>>20)},
		{"what one template renders (a body, a path, a header); more fails the request", fmt.Sprintf("%d KiB", traffic.MaxRendered>>10)},
	}
	var b strings.Builder
	b.WriteString("| traffic request kinds | limit |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return b.String()
}

// docs/topology.md's defaults and limits are the code's.
func TestDocs(t *testing.T) {
	require.Equal(t, 0, OutputTail%(1<<10), "the doc states OutputTail in KiB")
	require.NoError(t, docgen.Check("../docs/topology.md", "testbed-defaults", defaultsMarkdown(), "go test ./testbed -run TestDocs -update", *update))
	require.Equal(t, 0, traffic.MaxPromptsFile%(1<<20), "the doc states MaxPromptsFile in MiB")
	require.Equal(t, 0, traffic.MaxRendered%(1<<10), "the doc states MaxRendered in KiB")
	require.NoError(t, docgen.Check("../docs/topology.md", "traffic-limits", trafficLimitsMarkdown(), "go test ./testbed -run TestDocs -update", *update))
}
