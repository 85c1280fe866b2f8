package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/stretchr/testify/require"
)

func TestFaultsCommand(t *testing.T) {
	code, out, _ := runCLI(t, "faults")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "latency=1000ms jitter=0ms toxicity=1")

	code, out, _ = runCLI(t, "faults", "--format", "json")
	require.Equal(t, exitcode.OK, code)
	var kinds []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &kinds))
	require.NotEmpty(t, kinds)

	// The Markdown output is docs/faults.md, byte for byte.
	code, out, _ = runCLI(t, "faults", "--format", "md")
	require.Equal(t, exitcode.OK, code)
	doc, err := os.ReadFile("../../docs/faults.md")
	require.NoError(t, err)
	require.True(t, bytes.Equal(doc, []byte(out)), "docs/faults.md is stale; run go test ./faults -update")

	code, _, errs := runCLI(t, "faults", "--format", "yaml")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `--format: want text, json or md, got "yaml"`)
}
