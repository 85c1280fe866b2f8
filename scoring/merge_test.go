package scoring

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func shardCard(idx, total int, scs ...Scenario) *Scorecard {
	return &Scorecard{SchemaVersion: SchemaVersion, RunID: "r", Team: "acme", Seed: 7, Speed: 60,
		Scenarios: scs, Shard: &Shard{Index: idx, Total: total, Selection: "sha256:ab", Selected: 3}}
}

func TestMergeOrdersAndSummarizes(t *testing.T) {
	a := Scenario{Name: "a", Feature: "builtin/a.feature", Line: 3, Status: Passed}
	b := Scenario{Name: "b", Feature: "builtin/a.feature", Line: 9, Status: Failed}
	c := Scenario{Name: "c", Feature: "features/c.feature", Line: 2, Status: Passed}
	s0, s1 := shardCard(0, 2, a, c), shardCard(1, 2, b)
	s1.Sandbox, s0.Sandbox = "process-group", "bwrap+netns"
	got, err := Merge([]*Scorecard{s1, s0}, []string{"out1", "out0"})
	require.NoError(t, err)
	require.Nil(t, got.Shard)
	var names []string
	for _, sc := range got.Scenarios {
		names = append(names, sc.Name)
	}
	require.Equal(t, []string{"a", "b", "c"}, names)
	require.Equal(t, 3, got.Summary.Total)
	require.Equal(t, 2, got.Summary.Passed)
	require.Equal(t, 1, got.Summary.Failed)
	require.Equal(t, "process-group", got.Sandbox, "the weakest isolation of any shard")
}

func TestMergeRefuses(t *testing.T) {
	sc := Scenario{Name: "a", Feature: "f.feature", Line: 3, Status: Passed}
	for name, tc := range map[string]struct {
		cards []*Scorecard
		want  string
	}{
		"missing": {[]*Scorecard{shardCard(0, 4, sc), shardCard(3, 4, sc, sc)},
			"shard 1 of 4 missing, shard 2 of 4 missing"},
		"twice": {[]*Scorecard{shardCard(0, 2, sc), shardCard(0, 2, sc)},
			"shard 0 of 2 is given twice: d0 and d1"},
		"team": {[]*Scorecard{shardCard(0, 2, sc), func() *Scorecard { c := shardCard(1, 2, sc, sc); c.Team = "other"; return c }()},
			`the shards disagree on the team: d0 has "acme", d1 has "other"`},
		"seed": {[]*Scorecard{shardCard(0, 2, sc), func() *Scorecard { c := shardCard(1, 2, sc, sc); c.Seed = 8; return c }()},
			"the shards disagree on the run seed: d0 has 7, d1 has 8"},
		"selection": {[]*Scorecard{shardCard(0, 2, sc), func() *Scorecard { c := shardCard(1, 2, sc, sc); c.Shard.Selection = "sha256:cd"; return c }()},
			"the shards disagree on the selection: d0 has sha256:ab (3 scenarios), d1 has sha256:cd (3 scenarios)"},
		"plan": {[]*Scorecard{shardCard(0, 2, sc), func() *Scorecard { c := shardCard(1, 2, sc, sc); c.Shard.Plan = "sha256:ef"; return c }()},
			"the shards disagree on the shard plan (--shard-plan balanced them on different histories: start every shard before any saves its run, or give them one history snapshot): d0 has the count split, d1 has sha256:ef"},
		"total": {[]*Scorecard{shardCard(0, 2, sc), shardCard(1, 3, sc, sc)},
			"the shards disagree on the shard total"},
		"unsharded": {[]*Scorecard{shardCard(0, 2, sc), {Team: "acme"}},
			"d1: not the scorecard of a shard"},
		"incomplete": {[]*Scorecard{shardCard(0, 2, sc), shardCard(1, 2, sc)},
			"the shards hold 2 scenario records, and their selection 3"},
		"none": {nil, "no shard to merge"},
		"index": {[]*Scorecard{shardCard(0, 2, sc), shardCard(2, 2, sc, sc)},
			"d1: shard index 2 is outside 0 to 1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Merge(tc.cards, []string{"d0", "d1"})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A shard's scorecard validates against the schema, and its shard record
// is checked by it.
func TestShardScorecardValidatesAgainstSchema(t *testing.T) {
	validate := schemaValidator(t)
	card := repeatFixture()
	card.Shard = &Shard{Index: 1, Total: 4, Selection: "sha256:" + strings.Repeat("ab", 32), Selected: 9}
	require.NoError(t, validate(card))
	card.Shard.Index = 4
	require.NoError(t, validate(card), "the schema bounds the index by 999, not by its total")
	card.Shard.Selection = "sha256:ab"
	require.Error(t, validate(card))
	card.Shard = &Shard{Index: 0, Total: 0, Selection: "sha256:" + strings.Repeat("ab", 32)}
	require.Error(t, validate(card))
}
