package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
)

// A report of one team counts that team's runs only; one of all teams
// counts every run and names the teams.
func TestTeamSelection(t *testing.T) {
	cards := history(t)
	at := now.Add(-2 * 24 * time.Hour)
	other := run("pay-1", at, scenario("drain", "cost-spike", scoring.Failed, at, 4, 1, 10, false))
	other.Team = "payments"
	cards = append(cards, other)
	o := DefaultOptions()
	o.Now = now

	o.Team = "payments"
	pay, err := Build(cards, o)
	require.NoError(t, err)
	require.Equal(t, "payments", pay.Team)
	require.Equal(t, []string{"payments"}, pay.Teams)
	require.Len(t, pay.Runs, 1)
	require.Equal(t, 1, pay.Groups[0].Current.Runs)

	o.Team = "Acme ML platform"
	acme, err := Build(cards, o)
	require.NoError(t, err)
	require.Equal(t, []string{"Acme ML platform"}, acme.Teams)
	require.NotEmpty(t, acme.Runs)

	o.Team = AllTeams
	all, err := Build(cards, o)
	require.NoError(t, err)
	require.Equal(t, AllTeams, all.Team)
	require.Equal(t, []string{"Acme ML platform", "payments"}, all.Teams)
	require.Len(t, all.Runs, len(acme.Runs)+1)
	require.Equal(t, acme.Groups[0].Current.Runs+1, all.Groups[0].Current.Runs)
	var text bytes.Buffer
	require.NoError(t, Write(&text, all, "text"))
	require.Contains(t, text.String(), "all teams (2: Acme ML platform, payments)")

	o.Team = "nobody"
	none, err := Build(cards, o)
	require.NoError(t, err)
	require.Empty(t, none.Runs)
	require.Empty(t, none.Team)
}
