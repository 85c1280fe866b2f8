package features

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A file that is not Gherkin (a link to /etc/shadow once printed one
// error per line of it) gives at most MaxParseErrors errors, each quoting
// at most a short escaped excerpt of its line.
func TestParseErrorsAreBoundedExcerpts(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "user%d:$6$s3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3t\x1b[2J:19000:0:99999:7:::\n", i)
	}
	_, err := Parse("features/shadow.feature", []byte(b.String()))
	var pe ParseErrors
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe, MaxParseErrors+1)
	require.Equal(t, "features/shadow.feature: and 490 more syntax errors; is this a Gherkin feature file?", pe[MaxParseErrors].Error())
	require.Equal(t, `features/shadow.feature:1:1: expected: #EOF, #Language, #TagLine, #FeatureLine, #Comment, #Empty, got "user0:$6$s3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3tHASHs3cr3tHASHs"...`, pe[0].Error())
	for _, e := range pe {
		require.NotContains(t, e.Msg, "\x1b")
		require.Less(t, len(e.Msg), 200)
	}
}

func TestParseRefusesBinary(t *testing.T) {
	_, err := Parse("features/bin.feature", []byte("Feature: x\x00\xff"))
	require.EqualError(t, err, "features/bin.feature: not a UTF-8 text file; expected a Gherkin feature file")
}
