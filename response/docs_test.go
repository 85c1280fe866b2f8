package response

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/docgen"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/drill-yaml.md")

// distYAML writes d as drill.yaml's responders: does.
func distYAML(d Dist) string {
	dur := func(v time.Duration) string { return model.Duration(v).String() }
	switch d.Kind {
	case "uniform":
		return fmt.Sprintf("{dist: uniform, min: %s, max: %s}", dur(d.Min), dur(d.Max))
	case "lognormal":
		return fmt.Sprintf("{dist: lognormal, median: %s, p90: %s}", dur(d.Median), dur(d.P90))
	}
	return fmt.Sprintf("{dist: constant, value: %s}", dur(d.Value))
}

// defaultMarkdown is docs/drill-yaml.md's built-in default responder, as
// drill.yaml would write it.
func defaultMarkdown() string {
	r := DefaultResponder
	s := fmt.Sprintf("```yaml\nresponders:\n  default:\n    available: %t\n    ack_delay: %s\n", r.Available, distYAML(r.AckDelay))
	if r.ClaimDelay.Kind != "" {
		s += fmt.Sprintf("    claim_delay: %s\n", distYAML(r.ClaimDelay))
	} else {
		s += "    # claim_delay: the ack_delay\n"
	}
	return s + "```\n"
}

// docs/drill-yaml.md's default responder is the code's, and what it shows
// parses back to it.
func TestDocs(t *testing.T) {
	doc := defaultMarkdown()
	cfg, err := parseRespondersSrc(t, doc[len("```yaml\nresponders:\n"):len(doc)-len("```\n")])
	require.NoError(t, err)
	require.Equal(t, DefaultResponder.AckDelay, cfg.Default.AckDelay)
	require.Equal(t, DefaultResponder.Available, cfg.Default.Available)
	require.Equal(t, DefaultResponder.ClaimDelay, cfg.Default.ClaimDelay)
	require.NoError(t, docgen.Check("../docs/drill-yaml.md", "responder-defaults", doc, "go test ./response -run TestDocs -update", *update))
}
