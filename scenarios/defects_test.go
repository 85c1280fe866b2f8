package scenarios

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// Each directory under testdata/defects is the demo team with one planted
// defect: its files replace the demo team's. Its expect file names the
// drill to run, the scenario, the verdict and, one a line, fragments of
// the reason.
// drill must find every defect, and for the right reason.
func TestPlantedDefectsFailForTheRightReason(t *testing.T) {
	if testing.Short() {
		t.Skip("runs one real drill per planted defect; skipped with -short")
	}
	dirs, err := os.ReadDir("testdata/defects")
	require.NoError(t, err)
	for _, d := range dirs {
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			overlay := filepath.Join("testdata", "defects", d.Name())
			b, err := os.ReadFile(filepath.Join(overlay, "expect"))
			require.NoError(t, err)
			want := strings.Split(strings.TrimSpace(string(b)), "\n")
			require.GreaterOrEqual(t, len(want), 4, "expect: drill name, scenario, status, reason fragments")

			dir, err := ExtractDemo(t.TempDir())
			require.NoError(t, err)
			require.NoError(t, filepath.WalkDir(overlay, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || d.Name() == "expect" {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(overlay, p)
				return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
			}))
			tm, err := team.Load(dir)
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			card, err := Run(ctx, Options{Team: tm, Names: []string{want[0]}, Speed: 60, Seed: 1, Parallel: 1})
			require.NoError(t, err)
			var got *scoring.Scenario
			for i := range card.Scenarios {
				if card.Scenarios[i].Name == want[1] {
					got = &card.Scenarios[i]
				}
			}
			require.NotNil(t, got, "scenario %q did not run", want[1])
			require.Equal(t, scoring.Verdict(want[2]), got.Status, got.Reason)
			for _, frag := range want[3:] {
				require.Contains(t, got.Reason, frag)
			}
		})
	}
}
