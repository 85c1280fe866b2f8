package textdist

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLevenshtein(t *testing.T) {
	require.Equal(t, 3, Levenshtein([]byte("kitten"), []byte("sitting")))
	require.Equal(t, 0, Levenshtein([]byte(""), []byte("")))
	require.Equal(t, 4, Levenshtein([]byte(""), []byte("abcd")))
	require.Equal(t, 2, Levenshtein(strings.Fields("provider bills 10 x tokens"), strings.Fields("provider bills 10x tokens")), "one word replaced, one dropped")
	require.Equal(t, 2, Levenshtein(strings.Fields("a b c"), strings.Fields("a x")))
}

func TestClosest(t *testing.T) {
	known := []string{"LLMSpendSpike", "LLMGatewayErrors", "LLMQualityDegraded", "SearchAPIFailing", "LLMSpendSpike", "LLMSpendSpikes"}
	require.Equal(t, []string{"LLMSpendSpike", "LLMSpendSpikes"}, Closest("LLMSpendSpik", known, 3), "nearest first, a duplicate once, far names left out")
	require.Equal(t, []string{"primary"}, Closest("PRIMRY", []string{"secondary", "primary"}, 3), "case does not count")
	require.Equal(t, []string{"alice"}, Closest("alce", []string{"dave", "alice", "bob"}, 3))
	require.Equal(t, []string{"sre", "ml-platform"}, Closest("payments", []string{"ml-platform", "sre"}, 3), "nothing near: the nearest, to show what exists")
	require.Len(t, Closest("x", known, 10), 5, "never more than there are")
	require.Empty(t, Closest("x", nil, 3))
	require.Empty(t, Closest("x", known, 0))
}
