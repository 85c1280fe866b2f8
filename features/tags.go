package features

import (
	"fmt"
	"strings"

	tagexpressions "github.com/cucumber/tag-expressions/go/v6"
)

// TagLanguage says how a tag expression is written, for the error of a
// malformed one.
const TagLanguage = "a tag expression is tags (each starting with @) joined by and, or, not and parentheses, " +
	"as cucumber reads them: @cost-spike, @cost-spike and not @slow, @a and not (@b or @c)"

// TagExpr is a parsed cucumber tag expression (the language of
// github.com/cucumber/tag-expressions): tags joined by and, or, not and
// parentheses. The zero TagExpr matches every scenario.
type TagExpr struct {
	src string
	ev  tagexpressions.Evaluatable
}

// ParseTags reads a tag expression. The older godog form drill took
// before (`@a && ~@b`, a comma for or) is read too, as it meant: its
// && parts and-ed, the comma-separated tags of each part or-ed, ~ for
// not. A tag without its @ is refused, naming it: a scenario's tags all
// start with @, so it could match nothing.
func ParseTags(expr string) (TagExpr, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return TagExpr{}, nil
	}
	src := legacyTags(expr)
	for _, tok := range tagTokens(src) {
		switch tok {
		case "and", "or", "not":
			continue
		}
		if !strings.HasPrefix(tok, "@") {
			return TagExpr{}, fmt.Errorf("tag expression %q: tag %q: tags start with @, e.g. @%s; %s", expr, tok, strings.TrimLeft(tok, "~!"), TagLanguage)
		}
	}
	ev, err := parseTagExpr(src)
	if err != nil {
		return TagExpr{}, fmt.Errorf("%s; %s", strings.TrimSuffix(lowerFirst(err.Error()), "."), TagLanguage)
	}
	return TagExpr{src: src, ev: ev}, nil
}

// parseTagExpr is tagexpressions.Parse, which panics on some malformed
// expressions ("@a and", "not"): an operator left without its operand.
func parseTagExpr(src string) (ev tagexpressions.Evaluatable, err error) {
	defer func() {
		if recover() != nil {
			ev, err = nil, fmt.Errorf("tag expression %q could not be parsed because of syntax error: an operator (and, or, not) lacks its operand", src)
		}
	}()
	return tagexpressions.Parse(src)
}

// Match reports whether a scenario with these tags (each with its @) is
// selected.
func (t TagExpr) Match(tags []string) bool {
	if t.ev == nil {
		return true
	}
	return t.ev.Evaluate(tags)
}

// String is the expression as cucumber reads it; "" for the zero TagExpr.
func (t TagExpr) String() string { return t.src }

// maxGodogTags bounds the tags of an expression Godog writes in godog's
// own filter language: its truth table has 2^n rows.
const maxGodogTags = 8

// Godog writes the expression in godog's older filter language (terms
// of && and ~ joined by commas, or-ed), which godog applies before drill
// sees a scenario: a scenario the expression does not select then never
// reaches a report as skipped. It is the expression's truth table over
// its tags, one term per row that selects; "" (no filter) for the zero
// TagExpr, for more than maxGodogTags tags, and for a tag godog cannot
// read (one holding a comma, &&, ~ or a space). drill selects by the
// expression itself either way.
func (t TagExpr) Godog() string {
	if t.ev == nil {
		return ""
	}
	var lits []string
	seen := map[string]bool{}
	for _, tok := range tagTokens(t.src) {
		switch tok {
		case "and", "or", "not":
			continue
		}
		if strings.ContainsAny(tok, ",~ \t") || strings.Contains(tok, "&&") {
			return ""
		}
		if !seen[tok] {
			seen[tok] = true
			lits = append(lits, tok)
		}
	}
	if len(lits) == 0 || len(lits) > maxGodogTags {
		return ""
	}
	var terms []string
	for row := 0; row < 1<<len(lits); row++ {
		var on, term []string
		for i, l := range lits {
			if row&(1<<i) != 0 {
				on = append(on, l)
				term = append(term, l)
			} else {
				term = append(term, "~"+l)
			}
		}
		if t.ev.Evaluate(on) {
			terms = append(terms, strings.Join(term, " && "))
		}
	}
	if len(terms) == 0 {
		return "" // selects nothing: Select says so
	}
	return strings.Join(terms, ", ")
}

// AndTags is a and b, either of which may be "".
func AndTags(a, b string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return b
	case strings.TrimSpace(b) == "":
		return a
	}
	return "(" + a + ") and (" + b + ")"
}

// legacyTags rewrites godog's older form (@a && ~@b, @c,@d) in the
// cucumber language; an expression without &&, ~ or a comma is kept.
func legacyTags(expr string) string {
	if !strings.ContainsAny(expr, "~,") && !strings.Contains(expr, "&&") {
		return expr
	}
	var ands []string
	for _, and := range strings.Split(expr, "&&") {
		var ors []string
		for _, or := range strings.Split(and, ",") {
			or = strings.TrimSpace(or)
			if not, ok := strings.CutPrefix(or, "~"); ok {
				or = "not " + strings.TrimSpace(not)
			}
			ors = append(ors, or)
		}
		if len(ors) == 1 {
			ands = append(ands, ors[0])
		} else {
			ands = append(ands, "("+strings.Join(ors, " or ")+")")
		}
	}
	return strings.Join(ands, " and ")
}

// tagTokens splits an expression into its words, as the cucumber
// tokenizer does: at spaces and parentheses, a backslash escaping the
// next character.
func tagTokens(expr string) []string {
	var out []string
	var tok strings.Builder
	flush := func() {
		if tok.Len() > 0 {
			out = append(out, tok.String())
			tok.Reset()
		}
	}
	escaped := false
	for _, c := range expr {
		switch {
		case escaped:
			tok.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '(' || c == ')' || c == ' ' || c == '\t' || c == '\n':
			flush()
		default:
			tok.WriteRune(c)
		}
	}
	flush()
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
