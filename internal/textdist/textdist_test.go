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
