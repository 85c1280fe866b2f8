package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/scenarios"
)

// shardPlanRuns is how many of the team's latest runs --shard-plan reads
// the durations of.
const shardPlanRuns = 20

// planShards gives opts.Shard the team's recorded scenario durations
// (drill run --shard-plan), so that the shards are balanced by time. It
// falls back to the count split, saying so on stderr, where there is no
// history or no duration of any selected scenario in it. Only bad usage
// (a --history that is no DSN) is an error: a selection that does not
// parse is left for the run to report.
//
// A drill re-executed in the drill world's network namespace cannot
// reach a Postgres history: it uses the durations the drill that started
// it read (envShardDurations), so both run the same plan.
func planShards(ctx context.Context, e *env, opts *scenarios.Options, histPath string, noHist bool) error {
	if p := os.Getenv(envShardDurations); p != "" && sandbox.Marked() {
		b, err := os.ReadFile(p)
		if err != nil {
			return exitcode.With(exitcode.Harness, fmt.Errorf("the shard plan handed over: %w", err))
		}
		var ms map[string]int64
		if err := json.Unmarshal(b, &ms); err != nil {
			return exitcode.With(exitcode.Harness, fmt.Errorf("the shard plan handed over: %w", err))
		}
		opts.Shard.Durations = make(map[string]time.Duration, len(ms))
		for k, v := range ms {
			opts.Shard.Durations[k] = time.Duration(v) * time.Millisecond
		}
		return nil
	}
	fallback := func(why string) {
		fmt.Fprintf(e.stderr, "drill run: --shard-plan: %s; shard %d of %d is split by count\n", why, opts.Shard.Index, opts.Shard.Total)
	}
	if noHist || histPath == "" {
		fallback("no history (--no-history)")
		return nil
	}
	dsn, err := history.ParseDSN(histPath)
	if err != nil {
		return usageErrorf("--history: %v", err)
	}
	if dsn.Backend == history.SQLite {
		if _, err := os.Stat(dsn.Target); err != nil {
			fallback("no history at " + dsn.Target)
			return nil
		}
	}
	store, err := history.Open(histPath)
	if err != nil {
		fallback(fmt.Sprintf("the history cannot be read (%v)", err))
		return nil
	}
	defer store.Close()
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	team := scenarios.TeamName(opts.Team)
	durations, runs, err := store.Durations(qctx, team, shardPlanRuns)
	if err != nil {
		fallback(fmt.Sprintf("the history cannot be read (%v)", err))
		return nil
	}
	sel, err := scenarios.Select(*opts)
	if err != nil {
		return nil // the run reports it
	}
	sh := opts.Shard
	sh.Durations = durations
	_, known := sh.Plan(sel.Scenarios)
	if known == 0 {
		fallback(fmt.Sprintf("none of the %d selected scenarios has a recorded duration in the last %d run(s) of %s in %s", len(sel.Scenarios), runs, team, store.Path()))
		return nil
	}
	fmt.Fprintf(e.stderr, "drill run: --shard-plan: shard %d of %d balanced by recorded durations: %d of the %d selected scenarios, from the last %d run(s) of %s in %s (the others count as their median)\n",
		sh.Index, sh.Total, known, len(sel.Scenarios), runs, team, store.Path())
	opts.Shard = sh
	e.shardDurations = durations
	return nil
}

// envShardDurations names the file in which a drill that re-executes
// itself in a network namespace hands over the durations of its shard
// plan (milliseconds by place, JSON).
const envShardDurations = "DRILL_SANDBOX_SHARD_DURATIONS"

// handOverDurations writes e's shard durations into dir for the child and
// returns the environment entry naming the file ("" when there are none).
func handOverDurations(e *env, dir string) (string, error) {
	if e.shardDurations == nil {
		return "", nil
	}
	ms := make(map[string]int64, len(e.shardDurations))
	for k, v := range e.shardDurations {
		ms[k] = v.Milliseconds()
	}
	b, err := json.Marshal(ms)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "shard-durations.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return "", err
	}
	return envShardDurations + "=" + p, nil
}
