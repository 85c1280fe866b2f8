package testbed

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/faults"
)

// `drill inject` (Testbed.Inject) checks the same ranges as a feature
// file: a billing factor of 1e20 is refused before anything reaches the
// mock, and the mock itself refuses it when sent directly.
func TestInjectRefusesOutOfRangeParameters(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	tb := startTestbed(t, top, Options{})
	_, err := tb.Inject(context.Background(), "billing-spike", "primary", map[string]string{"factor": "100000000000000000000"}, faults.Schedule{})
	require.EqualError(t, err, `billing-spike: parameter "factor": want a number above 1 and at most 1000, got "100000000000000000000"`)
	_, err = tb.Inject(context.Background(), "stub-slow", "search", map[string]string{"delay": "1000h"}, faults.Schedule{})
	require.ErrorContains(t, err, `stub-slow: parameter "delay": want a duration such as 500ms, 2s or 1m, above 0s and at most 1h, got "1000h"`)
	require.Empty(t, tb.Active(), "nothing was applied")

	resp, err := http.Post(tb.Endpoints().Providers["primary"].Direct+"/_drill/faults", "application/json",
		strings.NewReader(`{"mode":"billing","params":{"factor":1e25,"tokens":"both"}}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
