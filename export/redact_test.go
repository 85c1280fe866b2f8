package export

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A token echoed by a service in any of its escaped forms is redacted;
// a short token does not eat the letters of the message around it.
func TestRedact(t *testing.T) {
	tok := `glpat-a"b\c<d>e&f`
	for _, echoed := range []string{
		tok,
		`glpat-a\"b\\c<d>e&f`,                // JSON
		`glpat-a\"b\\c\u003cd\u003ee\u0026f`, // JSON, HTML-escaped
		`glpat-a\\\"b\\\\c<d>e&f`,            // JSON in a JSON string
		`glpat-a%22b%5Cc%3Cd%3Ee%26f`,        // URL query
	} {
		msg := `401: {"message":"bad token ` + echoed + `"}`
		got := Redact(msg, tok)
		require.Equal(t, `401: {"message":"bad token [redacted]"}`, got, echoed)
	}
	require.Equal(t, "exported run y to [redacted]? no: exported to box", Redact("exported run y to x? no: exported to box", "x"))
	require.Equal(t, "token [redacted] refused; next", Redact("token x refused; next", "x"))
	require.Equal(t, "no token here", Redact("no token here", ""))
	long := "0123456789abcdef"
	require.Equal(t, "id=[redacted]tail", Redact("id="+long+"tail", long), "a long token is redacted wherever it is")
}
