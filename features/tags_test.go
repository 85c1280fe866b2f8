package features

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The full cucumber tag-expression language selects scenarios, the older
// godog form still reads as it meant, and a malformed expression or a
// tag without its @ is refused with the language in the message.
func TestParseTags(t *testing.T) {
	for _, c := range []struct {
		expr string
		tags []string
		want bool
	}{
		{"", nil, true},
		{"@cost-spike", []string{"@cost-spike"}, true},
		{"@cost-spike", []string{"@slow"}, false},
		{"@a and not (@b or @c)", []string{"@a"}, true},
		{"@a and not (@b or @c)", []string{"@a", "@c"}, false},
		{"@a or @b and @c", []string{"@a"}, true},
		{"not @slow", []string{"@slow"}, false},
		// godog's older form: && and-ed, comma or-ed, ~ for not.
		{"@cost-spike && ~@slow", []string{"@cost-spike"}, true},
		{"@cost-spike && ~@slow", []string{"@cost-spike", "@slow"}, false},
		{"@a,@b && ~@c", []string{"@b"}, true},
		{"@a,@b && ~@c", []string{"@b", "@c"}, false},
	} {
		e, err := ParseTags(c.expr)
		require.NoError(t, err, c.expr)
		require.Equal(t, c.want, e.Match(c.tags), "%s on %v", c.expr, c.tags)
	}
	for _, c := range []struct{ expr, want string }{
		{"@a and", `tag expression "@a and" could not be parsed because of syntax error: an operator (and, or, not) lacks its operand`},
		{"not", "lacks its operand"},
		{"@a or or @b", "syntax error"},
		{"(@a or @b", "Unmatched ("},
		{"@a @b", "Expected operator"},
		{"cost-spike", `tag "cost-spike": tags start with @, e.g. @cost-spike`},
		{"@a and not slow", `tag "slow": tags start with @, e.g. @slow`},
	} {
		_, err := ParseTags(c.expr)
		require.Error(t, err, c.expr)
		require.Contains(t, err.Error(), c.want, c.expr)
		require.Contains(t, err.Error(), "joined by and, or, not and parentheses", "the message shows the language")
	}
	require.Equal(t, "(@a or @b) and (not @c)", AndTags("@a or @b", "not @c"))

	// godog's own filter, written from the truth table, selects alike.
	for _, c := range []struct{ expr, godog string }{
		{"@a", "@a"},
		{"not @a", "~@a"},
		{"@a and not (@b or @c)", "@a && ~@b && ~@c"},
		{"@a or @b", "@a && ~@b, ~@a && @b, @a && @b"},
	} {
		e, err := ParseTags(c.expr)
		require.NoError(t, err)
		require.Equal(t, c.godog, e.Godog(), c.expr)
	}
	var many []string
	for i := range maxGodogTags + 1 {
		many = append(many, fmt.Sprintf("@t%d", i))
	}
	e, err := ParseTags(strings.Join(many, " or "))
	require.NoError(t, err)
	require.Empty(t, e.Godog(), "too many tags for a truth table: drill selects alone")
	require.Empty(t, TagExpr{}.Godog())
	require.Equal(t, "@a", AndTags("@a", ""))
}

// Tags on a Rule and on an Examples block are the scenarios' tags, so
// they select: an outline's rows under a tagged Examples block alone.
func TestTagsOfRulesAndExamples(t *testing.T) {
	src := `@family
Feature: f
  @outage
  Rule: outages
    Scenario: down
      When provider "primary" is down

  Rule: errors
    Scenario Outline: errors <status>
      When provider "primary" returns <status> for 30% of requests

      @slow
      Examples: slow
        | status |
        | 503    |

      Examples: fast
        | status |
        | 500    |
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	require.Len(t, scs, 3)
	pick := func(expr string) []string {
		e, err := ParseTags(expr)
		require.NoError(t, err)
		var out []string
		for _, sc := range scs {
			if e.Match(sc.Tags) {
				out = append(out, sc.Name)
			}
		}
		return out
	}
	require.Equal(t, []string{"down"}, pick("@outage"))
	require.Equal(t, []string{"errors 503"}, pick("@slow"))
	require.Equal(t, []string{"errors 500"}, pick("@family and not (@slow or @outage)"))
	require.Len(t, pick("@family"), 3)
}

// Any --tags a user types parses or is refused with the language; never
// a panic (the cucumber parser panics on some, which ParseTags recovers).
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"@a and not (@b or @c)", "@a and", "not", ")(", `@a\ b or @c\(`, "@a && ~@b, @c", "~", ",", "@a or or"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseTags(s)
		if err != nil {
			require.Contains(t, err.Error(), TagLanguage)
			return
		}
		e.Match([]string{"@a", "@b"})
	})
}

// A feature file in another Gherkin language is refused at its header's
// line, before its keywords could read as steps no catalog entry has.
func TestLanguageOtherThanEnglishIsRefused(t *testing.T) {
	for _, c := range []struct {
		src  string
		line int
	}{
		{"# language: fr\nFonctionnalité: x\n  Scénario: y\n    Soit the team's environment is running\n", 1},
		{"# a drill of ours\n\n  #language:de\nFunktionalität: x\n", 3},
	} {
		_, err := Parse("features/x.feature", []byte(c.src))
		var pe ParseErrors
		require.ErrorAs(t, err, &pe)
		require.Len(t, pe, 1)
		require.Equal(t, c.line, pe[0].Line)
		require.Contains(t, pe[0].Error(), "features/x.feature:")
		require.Contains(t, pe[0].Msg, "written in English")
	}
	// English, said or not, parses; a "# language:" after the first line
	// is a comment as gherkin reads it.
	for _, src := range []string{
		"# language: en\nFeature: x\n  Scenario: y\n    Given the team's environment is running\n",
		"Feature: x\n  # language: fr\n  Scenario: y\n    Given the team's environment is running\n",
	} {
		_, err := Parse("x.feature", []byte(src))
		require.NoError(t, err, src)
	}
}

// godogReads is how godog reads its older filter language: terms joined
// by commas are or-ed, a term's tags joined by && are and-ed, ~ negates.
func godogReads(filter string, tags []string) bool {
	if filter == "" {
		return true
	}
	has := map[string]bool{}
	for _, t := range tags {
		has[strings.TrimPrefix(t, "@")] = true
	}
	for _, term := range strings.Split(filter, ",") {
		all := true
		for _, tag := range strings.Split(term, "&&") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "@")
			if not, ok := strings.CutPrefix(tag, "~"); ok {
				all = all && !has[strings.TrimPrefix(not, "@")]
			} else {
				all = all && has[tag]
			}
		}
		if all {
			return true
		}
	}
	return false
}

// The filter handed to godog selects exactly what the expression does,
// for every combination of its tags and one more.
func TestGodogFilterSelectsAlike(t *testing.T) {
	tags := []string{"@a", "@b", "@c", "@other"}
	for _, expr := range []string{"@a", "not @a", "@a and not (@b or @c)", "@a or @b and @c", "(@a or @b) and not @c", "not (@a and @b)", "@a && ~@b, @c"} {
		e, err := ParseTags(expr)
		require.NoError(t, err)
		g := e.Godog()
		require.NotEmpty(t, g, expr)
		for row := 0; row < 1<<len(tags); row++ {
			var on []string
			for i, tg := range tags {
				if row&(1<<i) != 0 {
					on = append(on, tg)
				}
			}
			require.Equal(t, e.Match(on), godogReads(g, on), "%s (%s) on %v", expr, g, on)
		}
	}
}
