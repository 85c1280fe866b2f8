package mockllm

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQueryValueAsParseQuery: queryValue reads a query as url.ParseQuery
// and Get and Has do.
func TestQueryValueAsParseQuery(t *testing.T) {
	for _, q := range []string{
		"", "api-version=2024-10-21", "a=1&api-version=x&api-version=y", "api-version", "api-version=",
		"api%2Dversion=2024", "api-version=a%20b+c", "api-version=%zz&api-version=ok", "api-version=1;x&api-version=2",
		"&&api-version=3&", "key=k%3D1", "alt=sse&key=", "k+e+y=1", "api-version=%", "=v&key=1",
	} {
		r := httptest.NewRequest("GET", "/x?"+q, nil)
		want, _ := url.ParseQuery(q)
		for _, key := range []string{"api-version", "key", "alt", "k e y", ""} {
			v, ok := queryValue(r, key)
			require.Equal(t, want.Get(key), v, "%q %q", q, key)
			require.Equal(t, want.Has(key), ok, "%q %q", q, key)
		}
	}
}
