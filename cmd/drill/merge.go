package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
)

// maxShardScorecard bounds the scorecard.json read from each shard's
// directory: a run with --repeat 1000 and its timelines stays far below.
const maxShardScorecard = 512 << 20

func mergeCommand() *command {
	return &command{
		name:    "merge",
		summary: "join the --out directories of a sharded run's shards into the scorecard of the whole run",
		usage:   "--out DIR SHARD-DIR...",
		help: `
Each SHARD-DIR is the --out directory of one shard of a run (drill run
--shard I/N, or in a Kubernetes Indexed Job $JOB_COMPLETION_INDEX with
$DRILL_SHARD_TOTAL), holding its scorecard.json. drill merge checks that
the shards belong together: the same team, selection (the digest of the
selected FILE:LINE places before sharding), shard total, run seed, speed
and repetitions; each shard once; none missing ("shard 2 of 4 missing",
shards counting from 0). It then writes to --out the scorecard.json,
junit.xml and summary.md of the whole run, and cucumber.json when every
shard wrote one. The merged scorecard equals that of the same run unsharded
(each scenario's world is seeded from --seed and its FILE:LINE alone), but
for its run ID and wall times; the summary is recomputed from the scenarios.
--gate checks the whole run, as drill run's does (give the shards no gates,
or gates that hold for a share). The merged run is not saved in the history
(each shard saved its own).
A shard's scorecard.json may be at most 512 MiB.
`,
		exits: []exit{
			{exitcode.OK, "merged, and every drill passed and met every gate"},
			{exitcode.Failed, "merged, and a drill failed, was inconclusive or flaky, or a gate was missed (as drill run judges the whole run)"},
			{exitcode.Usage, "bad usage, a directory without a readable scorecard.json, or shards that do not belong together (named); nothing written"},
			{exitcode.Harness, "merged, and the harness failed for a scenario; or the merged files could not be written"},
		},
		examples: []example{
			{"drill merge --out merged shard-0 shard-1 shard-2 shard-3", "join four shards' --out directories into merged/"},
			{"drill merge --out merged --gate 'pass_rate >= 0.9' shard-0 shard-1", "merge, and gate the whole run as drill run --gate would"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			out := fs.String("out", "", "directory to write the merged scorecard.json, junit.xml, cucumber.json and summary.md to (required)")
			var gates stringList
			fs.Var(&gates, "gate", "a threshold `EXPR` the whole run must meet, as in drill run (repeatable)")
			return func(ctx context.Context, e *env, args []string) error {
				var parsed []scoring.Gate
				for _, g := range gates {
					pg, err := scoring.ParseGate(g)
					if err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					parsed = append(parsed, pg)
				}
				if *out == "" {
					return usageErrorf("--out DIR is required: the directory the merged scorecard is written to")
				}
				if len(args) == 0 {
					return usageErrorf("name the shards' --out directories: drill merge --out DIR SHARD-DIR...")
				}
				cards := make([]*scoring.Scorecard, len(args))
				for i, dir := range args {
					c, err := readShardScorecard(dir)
					if err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					cards[i] = c
				}
				card, err := scoring.Merge(cards, args)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				cucumber, err := mergeCucumberFiles(args, cards)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return exitcode.With(exitcode.Harness, fmt.Errorf("--out: %w", err))
				}
				var results []scoring.GateResult
				for _, g := range parsed {
					results = append(results, g.Check(card.Summary))
				}
				werr := writeOutputs(*out, card, results)
				if cucumber != nil {
					werr = errors.Join(werr, os.WriteFile(filepath.Join(*out, "cucumber.json"), cucumber, 0o644))
				}
				if werr != nil {
					return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", *out, werr))
				}
				if err := scoring.WriteText(e.stdout, card, results); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "\n%d shards merged into %s\n", len(cards), *out)
				if code := card.GatedExitCode(parsed, results); code != exitcode.OK {
					return exitcode.Silent(code)
				}
				return nil
			}
		},
	}
}

// readShardScorecard reads DIR/scorecard.json, at most maxShardScorecard
// bytes.
func readShardScorecard(dir string) (*scoring.Scorecard, error) {
	path := filepath.Join(dir, "scorecard.json")
	b, err := readBounded(path, maxShardScorecard)
	if err != nil {
		return nil, err
	}
	var c scoring.Scorecard
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: not a scorecard: %v", path, err)
	}
	return &c, nil
}

// readBounded reads the file at path, refusing one over limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB, the most drill merge reads", path, limit>>20)
	}
	return b, nil
}

// mergeCucumberFiles merges the shards' cucumber.json (scoring.
// MergeCucumber); nil when no shard wrote one, an error when only some
// did.
func mergeCucumberFiles(dirs []string, cards []*scoring.Scorecard) ([]byte, error) {
	var reports [][]byte
	var ran []*scoring.Scorecard
	var have, missing []string
	for _, dir := range dirs {
		path := filepath.Join(dir, "cucumber.json")
		b, err := readBounded(path, maxShardScorecard)
		if errors.Is(err, os.ErrNotExist) {
			missing = append(missing, path)
			continue
		}
		if err != nil {
			return nil, err
		}
		reports, have, ran = append(reports, b), append(have, path), append(ran, cards[len(reports)+len(missing)])
	}
	switch {
	case len(have) == 0:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("%s missing, and other shards wrote theirs (%s): give every shard's complete --out directory", missing[0], have[0])
	}
	return scoring.MergeCucumber(reports, ran, have)
}
