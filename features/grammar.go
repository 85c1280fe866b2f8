package features

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// The value grammar: every value a step takes (a duration, a
// percentage, a rate, an amount of money, a count, a name...) is written
// the one way this file defines, in every step. A step's form (see
// Step.Form) names its values as {kind} placeholders; each kind has one
// pattern, which a form's regular expression is built from, and one
// parser, which turns what the trainer wrote into the canonical string
// the step's handler takes (a duration as 10m, a percentage as 30, a rate
// in requests per second, money in USD, a count in digits).

// valueKind is one kind of value of the grammar.
type valueKind struct {
	pattern string // a regular expression without capturing groups
	// parse turns the matched text into the handler's canonical string;
	// it checks the value's own limits.
	parse  func(string) (string, error)
	ref    Ref    // what the value names, for References; "" for a value
	sample string // a value written as a trainer would, for docs and tests
	doc    string // how the value is written, for docs/steps.md
}

// numberPattern is a decimal number.
const numberPattern = `\d+(?:\.\d+)?`

// percentDigits is a percentage in digits: 30%, 30 percent. Hints look
// for it alone, so that the "half" of "half an hour" stays a duration.
const percentDigits = numberPattern + `(?: ?%| percent| per cent)`

// countWords are the counts a step takes in words: up to twenty.
var countWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"}

// countPattern is a whole number in digits or in words up to twenty.
var countPattern = `(?:\d+|` + strings.Join(countWords[1:], "|") + `)`

// durationUnits are the words of a duration, by unit.
var durationUnits = []struct {
	pattern string
	unit    time.Duration
}{
	{`milliseconds?|ms`, time.Millisecond},
	{`seconds?|secs?`, time.Second},
	{`minutes?|mins?`, time.Minute},
	{`hours?|hrs?`, time.Hour},
	{`days?`, 24 * time.Hour},
}

var (
	// shortDuration is the compact form: 90s, 10m, 1h30m, 1.5h, 2d, 1d12h, 500ms.
	shortDuration = `\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ms|s|m|h))*`
	unitWords     = func() string {
		var ps []string
		for _, u := range durationUnits {
			ps = append(ps, u.pattern)
		}
		return strings.Join(ps, "|")
	}()
	// wordDuration is a number (or "a", "an", a count word) and a unit,
	// repeated: 10 minutes, an hour, 1 hour 30 minutes, 2 hours and 5 minutes.
	wordPart     = `(?:` + numberPattern + `|an?|` + strings.Join(countWords[1:], "|") + `|half an?) (?:` + unitWords + `)`
	wordDuration = wordPart + `(?:(?:,? and |, | )` + wordPart + `)*`
	durationPat  = `(?:` + shortDuration + `|` + wordDuration + `)`

	wordDurationRE = regexp.MustCompile(`(?i)^` + wordDuration + `$`)
	unitREs        = func() []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, u := range durationUnits {
			out = append(out, regexp.MustCompile(`(?i)^(?:`+u.pattern+`)$`))
		}
		return out
	}()
	wordPartRE = regexp.MustCompile(`(?i)(` + numberPattern + `|an?|half an?|` + strings.Join(countWords[1:], "|") + `) (` + unitWords + `)`)
	shortRE    = regexp.MustCompile(`^` + shortDuration + `$`)
)

// kinds is the value grammar, by placeholder name.
var kinds = map[string]valueKind{
	"duration": {pattern: durationPat, parse: canonicalDuration, sample: "10 minutes",
		doc: "drill time: `90s`, `10m`, `1h30m`, `2d`, or in words: `90 seconds`, `10 minutes`, `an hour`, `1 hour 30 minutes`, `half an hour`, `ten minutes`; at most 365 days"},
	"latency": {pattern: durationPat, parse: latencyMillis, sample: "2 seconds",
		doc: "a delay, written as a duration (`3000ms`, `2s`, `2 seconds`), taken in whole milliseconds"},
	"percent": {pattern: `(?:` + percentDigits + `|half|a half|one half)`, parse: percentNumber, sample: "30%",
		doc: "`30%`, `30 percent`, `half` (50%); from 0 to 100"},
	"rate": {pattern: `(?:` + numberPattern + ` ?(?:rps|rpm|req/s|requests?/s|/s)|` + numberPattern + `(?: (?:requests?|calls?|req))? (?:per|a|an|every) (?:second|sec|minute|min|hour))`, parse: ratePerSecond, sample: "5 requests per second",
		doc: "requests per second: `5 requests per second`, `5 rps`, `5/s`, `300 per minute`, `300 requests per minute`, `300 rpm`; more than 0"},
	"money": {pattern: `(?:(?:US)?\$ ?` + numberPattern + `|` + numberPattern + ` ?(?:USD|usd|dollars?|\$))`, parse: moneyUSD, sample: "$2",
		doc: "US dollars: `$2`, `$2.50`, `2 USD`, `2 dollars`"},
	"count": {pattern: countPattern, parse: countDigits, sample: "20",
		doc: "a whole number: `20`, or a word up to twenty: `five`"},
	"factor": {pattern: `(?:` + numberPattern + ` ?(?:x|×)|` + `(?:` + numberPattern + `|` + strings.Join(countWords[2:], "|") + `) times|twice|double|triple)`, parse: factorNumber, sample: "10x",
		doc: "a multiple: `10x`, `10 times`, `ten times`, `twice`"},
	"status": {pattern: `\d{3}`, parse: func(s string) (string, error) { return s, nil }, sample: "503",
		doc: "an HTTP status: `503`"},
	"number": {pattern: numberPattern, parse: func(s string) (string, error) { return s, nil }, sample: "60",
		doc: "a number: `60`, `2.5`"},
	"params": {pattern: `[a-z_]+=[^,\s]+(?:,\s*[a-z_]+=[^,\s]+)*`, parse: func(s string) (string, error) { return s, nil }, sample: "status=529, probability=0.5",
		doc: "fault parameters as `key=value` pairs, comma separated (`drill faults` lists each kind's)"},
	"promql": {pattern: `".+"`, parse: unquote, ref: RefPromQL, sample: `"sum(rate(drill_traffic_requests_total[1m])) > 0"`,
		doc: "a PromQL condition in double quotes"},

	"alert": nameKind(RefAlert, `"LLMSpendSpike"`), "team": nameKind(RefTeam, `"ml-platform"`),
	"responder": nameKind(RefResponder, `"alice"`), "role": nameKind(RefRole, `"communications_lead"`),
	"provider": nameKind(RefProvider, `"primary"`), "stub": nameKind(RefStub, `"search"`),
	"target": nameKind(RefTarget, `"primary"`), "mix": nameKind(RefMix, `"agent"`), "fault": nameKind(RefFault, `"provider-error"`),
}

// nameKinds are the placeholders that name something of the team: in
// double quotes, or without them when the name is one word.
var nameKinds = map[string]Ref{
	"alert": RefAlert, "team": RefTeam, "responder": RefResponder, "role": RefRole,
	"provider": RefProvider, "stub": RefStub, "target": RefTarget, "mix": RefMix, "fault": RefFault,
}

// namePattern is a name in double quotes, or one word without them.
const namePattern = `(?:"[^"]+"|[A-Za-z0-9][\w.\-]*)`

// nameKind is the value kind of a name placeholder.
func nameKind(r Ref, sample string) valueKind {
	return valueKind{pattern: namePattern, parse: unquote, ref: r, sample: sample,
		doc: refDocs[r] + ", in double quotes; the quotes may be left out of a one-word name"}
}

func unquote(s string) (string, error) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1], nil
	}
	return s, nil
}

// ParseDuration reads a drill duration of the value grammar: 90s, 10m,
// 1h, 2d, 1d12h, or in words (10 minutes, an hour, 1 hour 30 minutes).
// It refuses negative durations and durations over 365 days.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if !shortRE.MatchString(s) && wordDurationRE.MatchString(s) {
		return wordsDuration(s)
	}
	return parseShortDuration(s)
}

func badDuration(s string) error {
	return fmt.Errorf("want a drill duration such as 90s, 10m, 1h, 2d, 1d12h or 10 minutes, at most %s, got %q", fmtDays(maxStepDuration), s)
}

// parseShortDuration reads 90s, 10m, 1h, 2d or 1d12h.
func parseShortDuration(s string) (time.Duration, error) {
	bad := badDuration(s)
	var days time.Duration
	if before, after, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseFloat(before, 64)
		if err != nil || n < 0 || n*float64(24*time.Hour) > float64(maxStepDuration) {
			return 0, bad
		}
		days = time.Duration(n * float64(24*time.Hour))
		if s = after; s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxStepDuration-days {
		return 0, bad
	}
	return days + d, nil
}

// wordsDuration reads a duration in words: 10 minutes, an hour, half an
// hour, 1 hour and 30 minutes.
func wordsDuration(s string) (time.Duration, error) {
	var total float64
	for _, m := range wordPartRE.FindAllStringSubmatch(s, -1) {
		n, ok := wordNumber(m[1])
		if !ok {
			return 0, badDuration(s)
		}
		for i, u := range durationUnits {
			if unitREs[i].MatchString(m[2]) {
				total += n * float64(u.unit)
				break
			}
		}
	}
	if total < 0 || total > float64(maxStepDuration) || math.IsNaN(total) {
		return 0, badDuration(s)
	}
	return time.Duration(total), nil
}

// wordNumber reads a number in digits, "a", "an", "half a(n)" or a count word.
func wordNumber(w string) (float64, bool) {
	w = strings.ToLower(w)
	switch w {
	case "a", "an":
		return 1, true
	case "half a", "half an":
		return 0.5, true
	}
	for i, cw := range countWords {
		if w == cw {
			return float64(i), true
		}
	}
	v, err := strconv.ParseFloat(w, 64)
	return v, err == nil
}

// canonicalDuration is the compact form of a duration the handlers take:
// 10m for "10 minutes", 1h30m for "an hour and 30 minutes".
func canonicalDuration(s string) (string, error) {
	if shortRE.MatchString(s) {
		_, err := parseShortDuration(s)
		return s, err
	}
	d, err := ParseDuration(s)
	if err != nil {
		return "", err
	}
	return shortForm(d), nil
}

// shortForm renders a duration as 2d, 1h30m, 90s, 500ms.
func shortForm(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	for _, u := range []struct {
		d time.Duration
		s string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.s)
			d -= n * u.d
		}
	}
	return b.String()
}

func latencyMillis(s string) (string, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(d.Milliseconds(), 10), nil
}

var leadingNumber = regexp.MustCompile(numberPattern)

func percentNumber(s string) (string, error) {
	switch strings.ToLower(s) {
	case "half", "a half", "one half":
		return "50", nil
	}
	n := leadingNumber.FindString(s)
	v, err := strconv.ParseFloat(n, 64)
	if err != nil || v > 100 {
		return "", fmt.Errorf("want a percentage from 0 to 100 (30%% or 30 percent), got %q", s)
	}
	return n, nil
}

func ratePerSecond(s string) (string, error) {
	v, err := strconv.ParseFloat(leadingNumber.FindString(s), 64)
	if err != nil || v <= 0 {
		return "", fmt.Errorf("want a rate above 0 such as 5 requests per second or 300 per minute, got %q", s)
	}
	rest := strings.ToLower(s[len(leadingNumber.FindString(s)):])
	switch {
	case strings.Contains(rest, "min") || strings.HasSuffix(rest, "rpm"):
		v /= 60
	case strings.Contains(rest, "hour"):
		v /= 3600
	}
	return strconv.FormatFloat(v, 'f', -1, 64), nil
}

func moneyUSD(s string) (string, error) {
	n := leadingNumber.FindString(s)
	if _, err := strconv.ParseFloat(n, 64); err != nil {
		return "", fmt.Errorf("want an amount of US dollars such as $2 or 2 USD, got %q", s)
	}
	return n, nil
}

func countDigits(s string) (string, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return s, nil // digits as written: the fault's own range checks them
	}
	if v, ok := wordNumber(s); ok && v == math.Trunc(v) {
		return strconv.Itoa(int(v)), nil
	}
	return "", fmt.Errorf("want a whole number such as 20 or twenty, got %q", s)
}

func factorNumber(s string) (string, error) {
	switch l := strings.ToLower(s); l {
	case "twice", "double":
		return "2", nil
	case "triple":
		return "3", nil
	}
	if n := leadingNumber.FindString(s); n != "" {
		return n, nil
	}
	v, _ := wordNumber(strings.Fields(s)[0])
	return strconv.Itoa(int(v)), nil
}

// placeholder is one {kind} of a form: its kind and which of the form's
// values of that kind it is (0 for the first).
type placeholder struct {
	kind string
	nth  int
}

// form is one compiled phrasing of a step.
type form struct {
	text  string // as written in the catalog
	body  string // the regular expression, without its flags and anchors
	re    *regexp.Regexp
	slots []placeholder // the regular expression's groups, in order
}

// compileForm turns a phrasing into its regular expression. A phrasing is
// literal words, with [optional words], (one|or|another) and {kind}
// placeholders of the value grammar; letters match in any case.
func compileForm(text string) (form, error) {
	var b strings.Builder
	b.WriteString(`(?i)^`)
	f := form{text: text}
	seen := map[string]int{}
	depth := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch c {
		case '[':
			b.WriteString(`(?:`)
			depth++
		case ']':
			b.WriteString(`)?`)
			depth--
		case '(':
			b.WriteString(`(?:`)
			depth++
		case ')':
			b.WriteString(`)`)
			depth--
		case '|':
			b.WriteByte('|')
		case '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return f, fmt.Errorf("form %q: unclosed {", text)
			}
			name := text[i+1 : i+end]
			k, ok := kinds[name]
			if !ok {
				return f, fmt.Errorf("form %q: unknown value kind {%s}", text, name)
			}
			f.slots = append(f.slots, placeholder{name, seen[name]})
			seen[name]++
			b.WriteString(`(` + k.pattern + `)`)
			i += end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if depth != 0 {
		return f, fmt.Errorf("form %q: unbalanced brackets", text)
	}
	f.body = strings.TrimPrefix(b.String(), `(?i)^`)
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return f, fmt.Errorf("form %q: %w", text, err)
	}
	f.re = re
	return f, nil
}

// args maps the groups of a form's match to the step's arguments, in the
// order of its canonical form, each parsed to its canonical string; an
// optional value left out is "".
func (f form) args(groups []string, canon []placeholder) ([]string, error) {
	out := make([]string, len(canon))
	for g, p := range f.slots {
		v := groups[g]
		if v == "" {
			continue
		}
		for i, c := range canon {
			if c == p {
				s, err := kinds[p.kind].parse(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p.kind, err)
				}
				out[i] = s
			}
		}
	}
	return out, nil
}

// compiledStep is a catalog step's phrasings, the canonical one first.
type compiledStep struct {
	arg   string // the argument the step takes below its line (Step.arg)
	forms []form
	// all accepts what any phrasing does, one group per value of each
	// phrasing in turn: godog takes one expression per step, as it calls
	// a line two expressions accept ambiguous.
	all *regexp.Regexp
	// lacking are the phrasings of Step.lacking and lackingDeadline,
	// compiled.
	lacking []lackingForm
}

// compileStep compiles a step's canonical form and variants, checking
// that every variant has the canonical form's values.
func compileStep(s Step) (compiledStep, error) {
	cs := compiledStep{arg: s.arg}
	for _, t := range append([]string{s.Form}, s.Variants...) {
		f, err := compileForm(t + s.suffix)
		if err != nil {
			return cs, err
		}
		if len(cs.forms) > 0 && !sameSlots(f.slots, cs.forms[0].slots) {
			return cs, fmt.Errorf("variant %q of %q has other values than its canonical form", t, s.Form)
		}
		cs.forms = append(cs.forms, f)
	}
	bodies := make([]string, len(cs.forms))
	for i, f := range cs.forms {
		bodies[i] = f.body
	}
	re, err := regexp.Compile(`(?i)^(?:` + strings.Join(bodies, "|") + `)$`)
	if err != nil {
		return cs, fmt.Errorf("step %q: %w", s.Form, err)
	}
	cs.all = re
	for _, l := range append(append([]lacking(nil), s.lacking...), lackingDeadline(s)...) {
		f, err := compileForm(l.form + s.suffix)
		if err != nil {
			return cs, err
		}
		cs.lacking = append(cs.lacking, lackingForm{f, l.needs})
	}
	return cs, nil
}

// deadlineTail is the deadline a phrasing ends with when it is not
// optional: within D, (within|in|...) D, (within|in|for) [the next ]D.
var deadlineTail = regexp.MustCompile(` (within|\(within[^)]*\)) (\[the next \])?\{duration\}$`)

// deadlineFrom says what a step's deadline runs from, for a refusal.
var deadlineFrom = map[anchor]string{
	fromFault: "of the latest fault", fromFiring: "of the alert firing",
	fromPage: "of the page", fromAck: "of the acknowledgement",
}

// lackingDeadline are a Then step's phrasings without the deadline they
// end with and cannot do without ("Then alert X fires"): a line they
// match is refused saying what deadline to add, never given one.
func lackingDeadline(s Step) []lacking {
	if s.Keyword != "Then" {
		return nil
	}
	r := waits[s.Form]
	needs := "it needs its deadline, such as `within 10 minutes` " + deadlineFrom[r.from]
	if r.quiet {
		needs = "it needs the window it must hold for, such as `within 10 minutes` " + deadlineFrom[r.from]
	}
	if deadlineFrom[r.from] == "" {
		return nil
	}
	var out []lacking
	for _, f := range append([]string{s.Form}, s.Variants...) {
		if loc := deadlineTail.FindStringIndex(f); loc != nil {
			out = append(out, lacking{f[:loc[0]], needs})
		}
	}
	return out
}

// lackingForm is a compiled phrasing of Step.lacking or lackingDeadline.
type lackingForm struct {
	form
	needs string
}

// lacks says what a line no step accepts leaves out, when it is a
// phrasing of a step without a value the step cannot do without
// (Step.lacking), and which step that is; ok is false otherwise.
func lacks(text string) (needs string, step int, ok bool) {
	for i, cs := range compiledCatalog() {
		for _, f := range cs.lacking {
			if f.re.MatchString(text) {
				return f.needs, i, true
			}
		}
	}
	return "", -1, false
}

func sameSlots(a, b []placeholder) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[placeholder]int{}
	for _, p := range a {
		count[p]++
	}
	for _, p := range b {
		count[p]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// match is a step line matched against one catalog step: which step, the
// phrasing that matched, and the arguments in canonical order.
type match struct {
	step int
	form int
	args []string
	err  error // a value out of its range
}

// matchAll returns every catalog step that accepts text (one phrasing
// each, the first that matches).
func matchAll(text string) []match {
	var out []match
	for i, cs := range compiledCatalog() {
		for j, f := range cs.forms {
			m := f.re.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			args, err := f.args(m[1:], cs.forms[0].slots)
			out = append(out, match{step: i, form: j, args: args, err: err})
			break
		}
	}
	return out
}

// matchOne is the one catalog step accepting text; ok is false when none
// or several do.
func matchOne(text string) (match, bool) {
	ms := matchAll(text)
	if len(ms) != 1 {
		return match{}, false
	}
	return ms[0], true
}

// compiledCatalog is the catalog compiled to matchers, once, when a step
// is first matched: every drill command starts without paying for it.
var compiledCatalog = sync.OnceValue(func() []compiledStep {
	out := make([]compiledStep, len(catalog))
	for i, s := range catalog {
		cs, err := compileStep(s)
		if err != nil {
			panic("features: catalog: " + err.Error())
		}
		out[i] = cs
	}
	return out
})

// ValueKinds lists the value grammar for docs, in a fixed order.
func valueKindOrder() []string {
	return []string{"duration", "latency", "percent", "rate", "money", "count", "factor", "status", "number", "params", "promql"}
}

// Refs says what each of the step's arguments names, in the order of its
// canonical form: "" for a value that names nothing. It is empty for a
// step that names nothing.
func (s Step) Refs() []Ref {
	f, err := compileForm(s.Form + s.suffix)
	if err != nil {
		return nil
	}
	var out []Ref
	named := false
	for _, p := range f.slots {
		r := kinds[p.kind].ref
		named = named || r != ""
		out = append(out, r)
	}
	if !named {
		return nil
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// callHandler calls a step's bound handler with the context (when it
// takes one) and the step's arguments.
func callHandler(h any, ctx context.Context, args []string) error {
	if f, ok := h.(func(context.Context, ...string) error); ok {
		return f(ctx, args...)
	}
	v := reflect.ValueOf(h)
	t := v.Type()
	var in []reflect.Value
	i := 0
	if t.NumIn() > 0 && t.In(0) == ctxType {
		in = append(in, reflect.ValueOf(ctx))
		i = 1
	}
	if t.NumIn()-i != len(args) {
		return fmt.Errorf("features: a handler of %d values bound to a step of %d", t.NumIn()-i, len(args))
	}
	for _, a := range args {
		in = append(in, reflect.ValueOf(a))
	}
	out := v.Call(in)
	if len(out) == 1 && !out[0].IsNil() {
		return out[0].Interface().(error)
	}
	return nil
}

var (
	ctxType    = reflect.TypeFor[context.Context]()
	errType    = reflect.TypeFor[error]()
	stringType = reflect.TypeFor[string]()
	tableType  = reflect.TypeFor[*godog.Table]()
)

// godogFunc is the function godog calls for a step: one string per
// group of the step's combined expression (cs.all), which it turns into
// the step's arguments and hands to the handler. Only the phrasing that
// matched has groups set, so each phrasing's set groups are its values.
func godogFunc(cs compiledStep, handler any) any {
	in := []reflect.Type{ctxType}
	n := 0
	for _, f := range cs.forms {
		n += len(f.slots)
	}
	for range n {
		in = append(in, stringType)
	}
	// godog hands a step's argument last: a doc string as its content,
	// a data table as itself.
	switch cs.arg {
	case argDoc:
		in = append(in, stringType)
	case argTable:
		in = append(in, tableType)
	}
	canon := cs.forms[0].slots
	typ := reflect.FuncOf(in, []reflect.Type{errType}, false)
	return reflect.MakeFunc(typ, func(vals []reflect.Value) []reflect.Value {
		ctx := vals[0].Interface().(context.Context)
		var sa StepArg
		switch cs.arg {
		case argDoc:
			sa.Doc = vals[len(vals)-1].String()
		case argTable:
			if t, _ := vals[len(vals)-1].Interface().(*godog.Table); t != nil {
				for _, r := range t.Rows {
					var cells []string
					for _, c := range r.Cells {
						cells = append(cells, c.Value)
					}
					sa.Rows = append(sa.Rows, cells)
				}
			}
		}
		args := make([]string, len(canon))
		var err error
		at := 1
		for _, f := range cs.forms {
			groups := make([]string, len(f.slots))
			for i := range groups {
				groups[i] = vals[at+i].String()
			}
			at += len(f.slots)
			var got []string
			if got, err = f.args(groups, canon); err != nil {
				break
			}
			for i, v := range got {
				if v != "" {
					args[i] = v
				}
			}
		}
		if err == nil {
			if h, ok := handler.(func(context.Context, StepArg, ...string) error); ok {
				err = h(ctx, sa, args...)
			} else {
				err = callHandler(handler, ctx, args)
			}
		}
		out := reflect.New(errType).Elem()
		if err != nil {
			out.Set(reflect.ValueOf(err))
		}
		return []reflect.Value{out}
	}).Interface()
}

// Accepted is a step line as the catalog reads it: the step that accepts
// it and its arguments, in the order of the step's canonical form, each
// in its canonical spelling (a duration as 10m, a percentage as 30).
type Accepted struct {
	Step Step
	Args []string
	kind []string // each argument's value kind
}

// Accept reads a step line (without its keyword); ok is false when no
// step or several accept it, or a value is out of its range (Check says
// which).
func Accept(text string) (a Accepted, ok bool) {
	m, ok := matchOne(text)
	if !ok || m.err != nil {
		return a, false
	}
	a = Accepted{Step: catalog[m.step], Args: m.args}
	for _, p := range compiledCatalog()[m.step].forms[0].slots {
		a.kind = append(a.kind, p.kind)
	}
	return a, true
}

// Duration is the last duration the line gives (a deadline, a fault's
// time bound), or 0.
func (a Accepted) Duration() time.Duration {
	for i := len(a.Args) - 1; i >= 0; i-- {
		if a.kind[i] == "duration" && a.Args[i] != "" {
			d, err := ParseDuration(a.Args[i])
			if err == nil {
				return d
			}
		}
	}
	return 0
}
