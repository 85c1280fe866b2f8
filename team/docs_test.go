package team

import (
	"flag"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/docgen"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/drill-yaml.md")

// defaultRows lists every setting of v that has a default, by its dotted
// YAML key under prefix.
func defaultRows(prefix string, v reflect.Value) [][2]string {
	var rows [][2]string
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		key, fv := prefix+name, v.Field(i)
		if fv.IsZero() {
			continue // no default: absent means none
		}
		switch x := fv.Interface().(type) {
		case fmt.Stringer:
			rows = append(rows, [2]string{key, x.String()})
		case []string:
			rows = append(rows, [2]string{key, "[" + strings.Join(x, ", ") + "]"})
		case string, int:
			rows = append(rows, [2]string{key, fmt.Sprint(x)})
		default:
			if fv.Kind() != reflect.Struct {
				panic(fmt.Sprintf("%s: a default of type %s; teach defaultRows to write it", key, fv.Type()))
			}
			rows = append(rows, defaultRows(key+".", fv)...)
		}
	}
	return rows
}

// defaultsMarkdown is docs/drill-yaml.md's table of defaults.
func defaultsMarkdown() string {
	var b strings.Builder
	b.WriteString("| setting | default |\n|---|---|\n")
	for _, r := range defaultRows("", reflect.ValueOf(Defaults())) {
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", r[0], r[1])
	}
	return b.String()
}

// docs/drill-yaml.md's defaults are the code's.
func TestDocs(t *testing.T) {
	rows := defaultRows("", reflect.ValueOf(Defaults()))
	require.Contains(t, rows, [2]string{"lint.coverage_days", "28"})
	require.Contains(t, rows, [2]string{"lint.review.every", "90d"})
	require.Contains(t, rows, [2]string{"paths.alerts", "alerts"})
	require.NoError(t, docgen.Check("../docs/drill-yaml.md", "team-defaults", defaultsMarkdown(), "go test ./team -run TestDocs -update", *update))
}

// A drill.yaml that sets nothing reads as Defaults.
func TestDefaultsAreAnEmptyFile(t *testing.T) {
	c, err := ParseConfig("drill.yaml", []byte("team: {id: x}\n"))
	require.NoError(t, err)
	d := Defaults()
	require.Equal(t, d.Paths, c.Paths)
	require.Equal(t, d.Lint, c.Lint)
}
