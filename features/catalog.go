package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// Step is one step definition of the catalog.
type Step struct {
	Keyword string // Given, When or Then: how trainers are meant to use it
	// Form is the step's canonical phrasing, shown by `drill steps`:
	// words, [optional words], (one|or|another) and {kind} values of the
	// value grammar (grammar.go). Letters match in any case.
	Form string
	// Variants are the other phrasings the step accepts, with the same
	// values as Form (in any order).
	Variants []string
	Doc      string // what it does, and from when its deadline runs
	Example  string // a line a feature file may contain

	// suffix is appended to Form and every variant: a fault step's
	// optional time bound.
	suffix string

	// expects is true for a step whose first value is an alert the
	// scenario expects to fire or tolerates (see ExpectedAlerts);
	// tolerates, for a step that only tolerates it (see ToleratedAlerts).
	expects, tolerates bool

	bind func(s *State) any // returns the godog step function bound to s

	// fault maps a fault step's groups (without its trailing duration)
	// to what it injects; nil for other steps. It needs no drill, so a
	// run checks every fault step before its first scenario starts.
	fault func(groups []string) (kind, target string, params map[string]string, err error)

	// faults maps a step that injects several faults at once (a
	// correlated outage, a table of faults) to them, from its values
	// (its trailing duration last), the duration d it gives, and its
	// argument; nil for other steps.
	faults func(groups []string, d time.Duration, a StepArg) ([]faultSpec, error)

	// subject is true for a step that establishes an alert that fired
	// (and so its page), which a later step's "it", "the alert" or "the
	// page" refers to; refers is true for a step that may be written
	// with such a reference, which then needs a subject before it.
	subject, refers bool

	// arg is the argument the step takes below its line (argTable,
	// argDoc); "" for none. Its handler then takes (ctx, StepArg,
	// values...).
	arg string

	// sets names what the step's first group sets before the world
	// starts ("traffic" rate, clock "speed" or "control" window), so a
	// plan can tell without running it; "" for other steps.
	sets string

	// lacking are phrasings of the step without a value it cannot do
	// without and has no documented default for (a rate limit without
	// its limit): Check refuses a line they match with what to add,
	// never taking a value the trainer did not write.
	lacking []lacking
}

// lacking is a phrasing (with the step's suffix) that leaves out a
// value, and what the trainer must add.
type lacking struct{ form, needs string }

// lacks adds phrasings the step refuses for a value they leave out.
func (s Step) lacks(needs string, forms ...string) Step {
	s.lacking = append([]lacking(nil), s.lacking...)
	for _, f := range forms {
		s.lacking = append(s.lacking, lacking{f, needs})
	}
	return s
}

// forD is the optional time bound of a fault step: for 10 minutes, or
// for 10 minutes, then recovers.
const forD = `[ for [the next ]{duration}[[,] [and ]then (recovers|recover|heals|ends|stops|comes back|come back|is back|are back|is restored|are restored|returns to normal|return to normal|goes back to normal|go back to normal)]]`

// Catalog returns every step definition, in documentation order.
func Catalog() []Step { return append([]Step(nil), catalog...) }

var catalog = []Step{
	// ---- Given
	{
		Keyword: "Given", Form: `the team's environment is running`,
		Variants: []string{
			`([the ]team's|our|my) [drill ]` + world + ` is ` + running,
			`the [drill ]` + world + ` is ` + running,
			`the drill is running`,
		},
		Doc:     "The scenario runs in the team's world from drill.yaml: mock providers and stubs behind toxiproxy, the service under test, steady traffic, the alerting and response engines. The world starts at the first When or Then step, once every Given step has configured it; the control window starts then.",
		Example: "Given the team's environment is running",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return nil }
		},
	},
	{
		Keyword: "Given", Form: `steady traffic of {rate}`, sets: "traffic",
		Variants: []string{
			`[a ]` + steady + ` of {rate}`,
			`[the ](traffic|load) (is|runs) [steady ]at {rate}`,
			`{rate} of [steady |constant ](traffic|load)`,
			`[request ](traffic|load) of {rate}`,
			`a (steady|constant|continuous) {rate}[ of (traffic|load)]`,
			`[the ](traffic|load) is {rate}`,
			`there is [a ]` + steady + ` of {rate}`,
			steady + ` at {rate}`,
		},
		Doc:     "Sets the traffic generator to a steady rate, in requests per real second (rates stay real at any drill speed); a ramp or steps shape in drill.yaml gives way to it. The plan and the scorecard warn when, at the drill's speed, that leaves too few requests in an alert rule's window for steady alert times.",
		Example: "Given steady traffic of 5 requests per second",
		bind: func(s *State) any {
			return func(ctx context.Context, rate string) error {
				r, err := strconv.ParseFloat(rate, 64)
				if err != nil {
					return err
				}
				return s.Env.SetTraffic(r, "")
			}
		},
	},
	{
		Keyword: "Given", Form: `steady traffic of {rate} with the {mix} mix`, sets: "traffic",
		Variants: []string{
			`[a ]` + steady + ` of {rate} (with|using|of) the {mix} [request |traffic ]mix`,
			`[the ](traffic|load) (is|runs) [steady ]at {rate} (with|using) the {mix} [request |traffic ]mix`,
		},
		Doc:     "Sets the traffic rate and a named request mix: chat, stream, json, agent, canary, or default.",
		Example: `Given steady traffic of 4 requests per second with the "agent" mix`,
		bind: func(s *State) any {
			return func(ctx context.Context, rate, mix string) error {
				r, err := strconv.ParseFloat(rate, 64)
				if err != nil {
					return err
				}
				return s.Env.SetTraffic(r, mix)
			}
		},
	},
	{
		Keyword: "Given", Form: `responder {responder} is unavailable`,
		Variants: []string{
			`[the ](responder|user|engineer|on-call engineer) {responder} is ` + away,
			`{responder} is ` + away,
			`[the ](responder|user|engineer|on-call engineer) {responder} (does not answer|doesn't answer|ignores|never answers|never acknowledges|does not acknowledge|won't answer) [the |any |their |her |his ](pages|page)`,
		},
		Doc:     "Makes a simulated responder unreachable (a DiRT-style fault of the response plan): pages to them are never acknowledged, so the policy must escalate.",
		Example: `Given responder "alice" is unavailable`,
		bind: func(s *State) any {
			return func(ctx context.Context, user string) error {
				return s.Env.SetResponderAvailable(user, false)
			}
		},
	},
	{
		Keyword: "Given", Form: `the drill clock runs at speed {number}`, sets: "speed",
		Variants: []string{
			`[the ][drill ]clock runs at [speed ]{number}[x| times real time| times]`,
			`[the ][drill ]clock runs {number}[x| times] faster[ than real time]`,
			`[the ]drill (speed|clock speed) is {number}[x]`,
			`the drill runs at [speed ]{number}[x][ speed]`,
		},
		Doc:     "Sets the drill clock speed (drill seconds per real second) for this scenario; must come before the environment starts.",
		Example: "Given the drill clock runs at speed 60",
		bind: func(s *State) any {
			return func(speed string) error {
				v, err := strconv.ParseFloat(speed, 64)
				if err != nil {
					return err
				}
				if s.Env.Started() {
					return errors.New(`the drill clock speed must be set before "the team's environment is running"`)
				}
				return s.Env.SetSpeed(v)
			}
		},
	},
	{
		Keyword: "Given", Form: `a control window of {duration}`, sets: "control",
		Variants: []string{
			`[a ]control window of {duration}`,
			`the control window (is|lasts) {duration}`,
			`a {duration} control window`,
		},
		Doc:     "Sets how long the scenario runs before its first fault; alerts that fire in it are false alarms. By default (and with `--control-window`) it is long enough for every alerting rule of the team to show noise: the longest `for:` plus the longest range window plus two evaluation intervals, and at least 5m. A window shorter than a rule needs is warned of, naming the rule.",
		Example: "Given a control window of 10m",
		bind: func(s *State) any {
			return func(d string) error {
				v, err := ParseDuration(d)
				if err != nil {
					return err
				}
				s.ControlWindow = v
				return nil
			}
		},
	},

	// ---- When: faults
	faultStep(`provider {provider} returns {status}[ for {percent} of requests]`,
		"The provider answers that share of requests (rolled per request; every request when the line gives no share, as it then says) with an API error of that status, in its own error format.",
		`When provider "primary" returns 503 for 30% of requests`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := shareOrAll(a[2])
			return "provider-error", a[0], map[string]string{"status": a[1], "probability": p}, err
		}).also(
		`[the ]provider {provider} `+returns+` `+status+`[ (`+share+`|`+every+`)]`,
		`{percent} of [the |all ](requests|calls) to [the ]provider {provider} (return|fail with|get|get back) `+status,
		`[the ]provider {provider} (fails|errors on|fails on|rejects) ({percent} of [the |all ](requests|calls)|(all|every|each) (requests|request|calls|call)) with `+status,
	).lacks("it needs the HTTP status the provider answers with, such as `with 503`",
		`[the ]provider {provider} (fails|errors on|fails on|rejects|errors out on) {percent} of [the |all ](requests|calls)`,
		`[the ]provider {provider} (starts failing|starts erroring|starts returning errors|returns errors|fails|errors out)[ `+share+`]`,
	),
	faultStep(`provider {provider} is down`,
		"Takes the provider's proxy down: connections are refused (network fault through toxiproxy).",
		`When provider "primary" is down for 15m`,
		func(a []string) (string, string, map[string]string, error) { return "outage", a[0], nil, nil }).also(
		`[the ]provider {provider} ` + down,
	),
	faultStep(`provider {provider} slows down by {latency}`,
		"Adds latency to every connection through the provider's proxy.",
		`When provider "primary" slows down by 3000ms`,
		func(a []string) (string, string, map[string]string, error) {
			return "latency", a[0], map[string]string{"latency": a[1]}, nil
		}).also(
		`[the ]provider {provider} (slows down|gets slower|is slower|responds slower|answers slower|gets slow|is slow) by {latency}[ per (request|call)| on every (request|call)]`,
		`[the ]provider {provider} (has|gets|adds|takes) a {latency} (delay|slowdown|lag)[ (to|on) (every|each) (request|call|connection|answer)]`,
		`[the ]provider {provider} (responds|answers|is|gets|replies) {latency} slower`,
		`[the ]provider {provider}['s] latency (increases|goes up|rises|grows|jumps) by {latency}`,
		`[the ]provider {provider} (adds|has|gets|takes) [an extra |an added |extra |added ]{latency} [of ](latency|delay|longer)[ (to|on) (every|each) (request|call|connection|answer)]`,
		`[the ](responses|answers) from [the ]provider {provider} (are|get) delayed by {latency}`,
	),
	faultStep(`provider {provider} bills {factor} tokens`,
		"The provider reports that many times the real token usage: spend rises with the same traffic.",
		`When provider "primary" bills 10x tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "billing-spike", a[0], map[string]string{"factor": a[1]}, nil
		}).also(
		`[the ]provider {provider} `+bills,
		`[the ]provider {provider}['s] `+tokenUsage+` `+goesUp,
		`[the ]`+tokenUsage+` (of|from) [the ]provider {provider} `+goesUp,
	),
	faultStep(`provider {provider} runs out of quota`,
		"The provider refuses every request with 429 insufficient_quota.",
		`When provider "primary" runs out of quota`,
		func(a []string) (string, string, map[string]string, error) { return "provider-quota", a[0], nil, nil }).also(
		`[the ]provider {provider} `+quota,
		`[the ]provider {provider}['s] quota `+quotaGone,
	),
	faultStep(`provider {provider}'s content filter refuses prompts[ for {percent} of requests]`,
		"The provider's content filter refuses prompts (category violence) where its provider has one: Azure OpenAI chat with 400 content_filter (ResponsibleAIPolicyViolation), the Gemini API with a 200 whose promptFeedback blocks for SAFETY, Bedrock Converse naming a guardrail with stopReason guardrail_intervened; OpenAI's and Anthropic's own APIs are not affected.",
		`When provider "primary"'s content filter refuses prompts`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(nil, a[1])
			return "prompt-filter", a[0], p, err
		}).also(
		`[the ]provider {provider}'s content filter (blocks|filters|flags|rejects) (prompts|requests)[ ` + share + `]`,
	),
	faultStep(`responses from provider {provider} become garbage[ for {percent} of requests]`,
		"The provider answers 200 with random tokens instead of an answer.",
		`When responses from provider "primary" become garbage`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(map[string]string{"kind": "random_tokens"}, a[1])
			return "garbage-output", a[0], p, err
		}).also(
		`[the ](responses|answers) from [the ]provider {provider} (become|turn into|are|turn to) (garbage|gibberish|nonsense)[ `+share+`]`,
		`[the ]provider {provider} `+gives+` `+garbage+`[ `+share+`]`,
	),
	faultStep(`provider {provider} gives wrong answers[ to {percent} of requests]`,
		"Quality drift: the provider answers fluently but wrongly; canary prompts get wrong answers.",
		`When provider "primary" gives wrong answers`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(nil, a[1])
			return "quality-drift", a[0], p, err
		}).also(
		`[the ]provider {provider} `+gives+` `+wrong+`[ `+share+`]`,
		`{percent} of [the ](answers|responses) from [the ]provider {provider} (are|become|turn) (wrong|incorrect)`,
		`[the ]provider {provider}['s] (answers|quality|answer quality) (drifts|drift|degrades|degrade|gets worse|get worse|drops|become wrong|becomes wrong)[ `+share+`]`,
		`[the ]provider {provider} (drifts|degrades) in quality[ `+share+`]`,
		`[the ]provider {provider} (answers|responds to|replies to) {percent} of [the |all ](requests|calls|prompts|questions) (wrongly|incorrectly|badly)`,
	),
	faultStep(`the stream from provider {provider} is cut after {count} tokens`,
		"Streaming responses close after that many tokens without their final event.",
		`When the stream from provider "primary" is cut after 20 tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "stream-cut", a[0], map[string]string{"after_tokens": a[1]}, nil
		}).also(
		`[the ](stream|streams|streaming responses|streamed answers|streaming answers) from [the ]provider {provider} (is|are|get|gets) (cut|cut off|truncated|dropped|broken) after {count} tokens`,
		`[the ]provider {provider} (cuts|cuts off|drops|breaks|truncates) (its|the|every) (stream|streams|streaming responses) after {count} tokens`,
	),
	faultStep(`the {stub} API times out`,
		"The third-party API's proxy accepts connections and never answers (blackhole).",
		`When the "search" API times out`,
		func(a []string) (string, string, map[string]string, error) { return "blackhole", a[0], nil, nil }).also(
		`the {stub} `+api+` (`+hangs+`|`+startsHanging+`)`,
		`[the ]`+api+` {stub} (`+hangs+`|`+startsHanging+`)`,
	),
	faultStep(`the {stub} API returns {status}[ for {percent} of requests]`,
		"The third-party API answers every request with that status.",
		`When the "search" API returns 503`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(map[string]string{"status": a[1]}, a[2])
			return "stub-error", a[0], p, err
		}).also(
		`the {stub} `+api+` `+returns+` `+status+`[ `+every+`| `+share+`]`,
		`[the ]`+api+` {stub} `+returns+` `+status+`[ `+every+`| `+share+`]`,
	),
	faultStep(`the {stub} API changes its schema`,
		`The third-party API drops the "results" field of its responses (a breaking schema change).`,
		`When the "search" API changes its schema`,
		func(a []string) (string, string, map[string]string, error) {
			return "stub-schema-change", a[0], map[string]string{"drop": "results"}, nil
		}).also(
		`the {stub} `+api+` (changes|breaks|alters) (its|the) (schema|response format|response schema|format|contract)`,
		`[the ]`+api+` {stub} (changes|breaks|alters) (its|the) (schema|response format|response schema|format|contract)`,
	),
	stubStep(`the {stub} API returns empty results`, "stub-empty",
		"The third-party API answers 200 with empty results: nothing fails, the answers are just empty.",
		`(returns|answers with|responds with|gives|starts returning|starts giving|sends back) (empty results|no results|empty responses|empty answers|nothing)`),
	stubStep(`the {stub} API rate limits requests`, "stub-rate-limit",
		"The third-party API answers every request 429 with Retry-After (the stub-rate-limit kind's default, 30s; `fault \"stub-rate-limit\" hits \"X\" with retry_after=...` sets another).",
		`(rate limits|rate-limits|throttles|is rate limited|is rate-limited|is throttled|starts rate limiting|starts throttling|starts to rate limit|starts to throttle)[ us| the service| our requests| the requests| requests| every request| all requests]`),
	stubStep(`the {stub} API's credentials expire`, "stub-expired-credentials",
		"The third-party API rejects the credentials as expired: every request gets 401.",
		`(rejects|refuses) (our|the|its) (credentials|API key|key|token)`,
		`['s] (credentials|API key|key|token|tokens) (expire|expires|expired|have expired|has expired|are expired|is expired|are revoked|is revoked|stop working|stops working)`),
	stubStep(`the {stub} API returns malformed responses`, "stub-malformed",
		"The third-party API answers 200 with a body that does not parse.",
		`(returns|answers with|responds with|sends|sends back|starts returning|starts sending) (malformed|invalid|broken|unparseable|corrupt|corrupted|garbled) (responses|answers|JSON|data|bodies|payloads)`),
	faultStep(`traffic surges {factor}`,
		"Multiplies the request rate of the traffic generator.",
		`When traffic surges 3x for 10m`,
		func(a []string) (string, string, map[string]string, error) {
			return "traffic-surge", "traffic", map[string]string{"factor": a[0]}, nil
		}).also(
		`[the ](traffic|load|request rate|traffic load) (surges|spikes|jumps|grows|rises|increases|goes up|multiplies) [by ]{factor}`,
		`there is a {factor} (traffic|load) (surge|spike)`,
		`a {factor} (traffic|load) (surge|spike) (hits|arrives)`,
	),
	faultStep(`the primary provider returns {status}[ for {percent} of requests]`,
		"Like `provider \"X\" returns ...` on the first provider of drill.yaml, for drills that fit any team.",
		`When the primary provider returns 503 for 90% of requests`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := shareOrAll(a[1])
			return "provider-error", "", map[string]string{"status": a[0], "probability": p}, err
		}).also(
		primary+` `+returns+` `+status+`[ (`+share+`|`+every+`)]`,
		`{percent} of [the |all ](requests|calls) to the primary provider (return|fail with|get|get back) `+status,
	),
	faultStep(`the primary provider is down`,
		"Takes the first provider's proxy down (connections refused).",
		`When the primary provider is down`,
		func([]string) (string, string, map[string]string, error) { return "outage", "", nil, nil }).also(
		primary + ` ` + down,
	),
	faultStep(`the primary provider bills {factor} tokens`,
		"The first provider reports that many times the real token usage.",
		`When the primary provider bills 10x tokens`,
		func(a []string) (string, string, map[string]string, error) {
			return "billing-spike", "", map[string]string{"factor": a[0]}, nil
		}).also(
		primary + ` ` + bills,
	),
	faultStep(`the primary provider gives wrong answers[ to {percent} of requests]`,
		"Quality drift on the first provider: fluent, wrong answers; canary prompts fail.",
		`When the primary provider gives wrong answers`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(nil, a[0])
			return "quality-drift", "", p, err
		}).also(
		primary+` `+gives+` `+wrong+`[ `+share+`]`,
		`{percent} of [the ](answers|responses) from the primary provider (are|become|turn) (wrong|incorrect)`,
	),
	faultStep(`responses from the primary provider become garbage[ for {percent} of requests]`,
		"The first provider answers 200 with random tokens.",
		`When responses from the primary provider become garbage`,
		func(a []string) (string, string, map[string]string, error) {
			p, err := withShare(map[string]string{"kind": "random_tokens"}, a[0])
			return "garbage-output", "", p, err
		}).also(
		`[the ](responses|answers) from the primary provider (become|turn into|are|turn to) (garbage|gibberish|nonsense)[ `+share+`]`,
		primary+` `+gives+` `+garbage+`[ `+share+`]`,
	),
	faultStep(`the primary provider's model calls tools without end`,
		"Every answer of the first provider asks for another tool call: agent loops run away.",
		`When the primary provider's model calls tools without end`,
		func([]string) (string, string, map[string]string, error) { return "runaway-tools", "", nil, nil }).also(
		primary + `['s model] ` + loops,
	),
	faultStep(`provider {provider}'s model calls tools without end`,
		"Every answer of the provider asks for another tool call: agent loops run away.",
		`When provider "primary" asks for another tool call on every answer`,
		func(a []string) (string, string, map[string]string, error) { return "runaway-tools", a[0], nil, nil }).also(
		`[the ]provider {provider}['s model] ` + loops,
	),
	faultStep(`the first third-party API returns {status}`,
		"The first stub of drill.yaml answers every request with that status.",
		`When the first third-party API returns 503`,
		func(a []string) (string, string, map[string]string, error) {
			return "stub-error", "", map[string]string{"status": a[0]}, nil
		}).also(
		firstStub + ` ` + returns + ` ` + status + `[ ` + every + `]`,
	),
	faultStep(`the first third-party API is down`,
		"The first stub of drill.yaml answers 503 to every request (an outage of the vendor).",
		`When the first third-party API is down`,
		func([]string) (string, string, map[string]string, error) { return "stub-outage", "", nil, nil }).also(
		firstStub + ` ` + down,
	),
	faultStep(`the {stub} API is down`,
		"The third-party API answers 503 to every request (an outage of the vendor).",
		`When the "search" API is down`,
		func(a []string) (string, string, map[string]string, error) { return "stub-outage", a[0], nil, nil }).also(
		`the {stub} `+api+` `+down,
		`[the ]`+api+` {stub} `+down,
	),
	faultStep(`provider {provider} times out`,
		"The provider's proxy accepts connections and never answers (blackhole): requests time out.",
		`When provider "primary" times out for 10m`,
		func(a []string) (string, string, map[string]string, error) { return "blackhole", a[0], nil, nil }).also(
		`[the ]provider {provider} `+hangs,
		`[the ]provider {provider} `+startsHanging,
	),
	faultStep(`provider {provider} is rate limited to {rate}`,
		"The provider enforces that rate limit, counted in whole requests per minute (`5 rps` is 300 per minute), and answers 429 with Retry-After above it. The limit has no default: a line without it is refused, saying so.",
		`When provider "primary" is rate limited to 20 requests per minute`,
		func(a []string) (string, string, map[string]string, error) {
			rpm, err := perMinute(a[1])
			return "rate-limit", a[0], map[string]string{"rpm": rpm}, err
		}).also(
		`[the ]provider {provider} `+rateLimits+`[ us| the service| our requests| the requests| requests| the traffic| traffic] (to|at) {rate}`,
	).lacks("a rate limit needs its limit, written as a rate (`to 20 requests per minute`, `to 5 rps`); drill takes none for it",
		`[the ]provider {provider} `+rateLimits+`[ us| the service| our requests| the requests| requests| the traffic| traffic]`,
		`[the ]provider {provider} (starts rate limiting|starts throttling|starts to rate limit|starts to throttle|begins rate limiting|begins throttling)[ us| the service| our requests| the requests| requests| the traffic| traffic]`,
		`[the ]provider {provider} (hits|reaches|enforces|applies|has) [its |a ](rate limit|rate-limit|request limit)`,
	),
	faultStep(`the {stub} API slows down[ by {latency}]`,
		"The third-party API answers slowly: that much later (the stub-slow kind's default, 5s, when no delay is given).",
		`When the "search" API slows down by 3 seconds`,
		func(a []string) (string, string, map[string]string, error) {
			if a[1] == "" {
				return "stub-slow", a[0], nil, nil
			}
			return "stub-slow", a[0], map[string]string{"delay": a[1] + "ms"}, nil
		}).also(
		`the {stub} `+api+` `+slows+`[ by {latency}]`,
		`[the ]`+api+` {stub} `+slows+`[ by {latency}]`,
		`the {stub} `+api+` (adds|takes) [an extra |extra ]{latency} [of ](latency|delay|longer)[ (to|on) (every|each) (request|call|answer)]`,
	),
	multiFaultStep(`providers {provider} and {provider} are down`,
		"A correlated outage: both providers' proxies go down at once (connections refused), so a fail-over from one to the other finds it down too.",
		`When providers "primary" and "secondary" are down for 10 minutes`, "",
		func(a []string, d time.Duration, _ StepArg) ([]faultSpec, error) {
			if a[0] == a[1] {
				return nil, fmt.Errorf("a correlated outage names two providers, and %q is named twice", a[0])
			}
			return []faultSpec{{Kind: "outage", Target: a[0], For: d}, {Kind: "outage", Target: a[1], For: d}}, nil
		}).also(
		`[the |both ]providers {provider} and {provider} `+downBoth,
		`[the |both ]provider {provider} and [the ]provider {provider} `+downBoth,
		`[the ]provider {provider} `+down+`, and [the ]provider {provider} (too|as well|also)`,
		`[the ]provider {provider} and its (fallback|backup|secondary) {provider} `+downBoth,
	),
	multiFaultStep(`these faults start at once:`,
		"Every fault of the data table below the line goes on at the same drill instant: a header row `| fault | target |` (optionally `| with |` for parameters as key=value pairs and `| for |` for a row's own time bound), then one fault of the catalog (`drill faults`) per row, on a provider, stub or traffic; at most "+strconv.Itoa(MaxTableFaults)+" rows. Each row's names are checked before the run, at the row's line.",
		"When these faults start at once:\n  | fault       | target  |\n  | outage      | primary |\n  | stub-outage | search  |", argTable,
		func(_ []string, d time.Duration, a StepArg) ([]faultSpec, error) { return tableFaults(d, a) }).also(
		`(these|the following) faults (start|go on|happen|hit|are injected|begin|fire|strike) (at once|together|at the same time|simultaneously)`,
		`(inject|start) (these|the following) faults (at once|together|at the same time|simultaneously)`,
	),
	faultStep(`fault {fault} hits {target}[ with {params}]`,
		"Any fault kind of the catalog (`drill faults`) on a provider, stub or traffic, with parameters as key=value pairs.",
		`When fault "provider-error" hits "primary" with status=529, probability=0.5 for 10m`,
		func(a []string) (string, string, map[string]string, error) {
			params := map[string]string{}
			if a[2] != "" {
				for _, kv := range strings.Split(a[2], ",") {
					k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
					params[k] = v
				}
			}
			return a[0], a[1], params, nil
		}).also(
		`[the ]fault {fault} (hits|is injected into|is injected on|targets|strikes) [the ]{target}[ with {params}]`,
		`inject [the ][fault ]{fault} (into|on|at) [the ]{target}[ with {params}]`,
	),

	// ---- Then
	{
		Keyword: "Then", Form: `alert {alert} fires within {duration}`, expects: true, subject: true,
		Variants: []string{
			`[the ]alert {alert} ` + fires + ` ` + within + ` {duration}`,
			`the {alert} alert ` + fires + ` ` + within + ` {duration}`,
		},
		Doc:     "Waits until the alert fires (Prometheus state firing, after its `for`), at most that long after the latest fault. An alert already pending or firing when the first fault went on did not detect it: its firing in that episode is noise (a false alarm) and satisfies no \"fires\" step; only a new episode (it resolved, then went pending after the fault) can. When it never went pending, the failure says why from the metrics drill scraped in the scenario: each selector of its expression (and of the recording rules it reads) that matched no series, with the label values those metrics carry instead (`result` = `ok`, `error`) or the closest metric names; or, when every selector matched, the highest value the expression without its final comparison reached against the threshold.",
		Example: `Then alert "LLMSpendSpike" fires within 10m`,
		bind: func(s *State) any {
			return func(ctx context.Context, alert, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from := s.sinceFault()
				e, err := s.waitFrom(ctx, from, dur, s.detection(alert))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("alert %q did not fire within %s of %s%s", alert, d, s.sinceWhat(), s.alertContext(alert, from))
				}
				if err == nil {
					s.setSubject(e)
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Form: `an alert fires within {duration}`, subject: true,
		Variants: []string{
			`(an|some|any|one|the) [of the team's ]alert[s] ` + fires + ` ` + within + ` {duration}`,
			`the team is alerted ` + within + ` {duration}`,
			`(something|the team's alerting) (alerts|fires|detects it|detects the fault) ` + within + ` {duration}`,
		},
		Doc:     "Waits until any of the team's alerts fires, at most that long after the latest fault; that alert is then expected (not a false alarm). An alert already pending or firing when the first fault went on is not credited: its firing in that episode is noise. For drills that fit any team.",
		Example: "Then an alert fires within 10m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from := s.sinceFault()
				e, err := s.waitFrom(ctx, from, dur, s.detection(""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("no alert fired within %s of %s: nothing detected it%s", d, s.sinceWhat(), s.pendingContext(from))
				}
				if err != nil {
					return err
				}
				s.expect(e.Subject)
				s.setSubject(e)
				return nil
			}
		},
	},
	{
		Keyword: "Then", Form: `alert {alert} may fire`, expects: true, tolerates: true,
		Variants: []string{
			`[the ]alert {alert} (may|might|can|is allowed to|may also|might also|can also) fire`,
			`the {alert} alert (may|might|can|is allowed to|may also|might also|can also) fire`,
		},
		Doc:     "Declares an alert the scenario tolerates: its firings are explained by the fault, not false alarms. They are not the detection the scenario times either: time to detect, the page, acknowledgement, role and recovery deadlines run from the first firing of an alert a step waits for, never from a tolerated one (a quick warning the fault also trips does not shorten a page deadline, and its resolving is not the service's recovery). Always passes.",
		Example: `Then alert "LLMLatencyHigh" may fire`,
		bind: func(s *State) any {
			return func(string) error { return nil }
		},
	},
	{
		Keyword: "Then", Form: `alert {alert} does not fire within {duration}`,
		Variants: []string{
			`[the ]alert {alert} ` + quiet + ` (within|in|for) [the next ]{duration}`,
			`the {alert} alert ` + quiet + ` (within|in|for) [the next ]{duration}`,
		},
		Doc:     "Fails if the alert fires within that long of the latest fault (or of now, before any fault).",
		Example: `Then alert "LLMProviderDown" does not fire within 15m`,
		bind: func(s *State) any {
			return func(ctx context.Context, alert, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				e, err := s.waitFrom(ctx, s.sinceFault(), dur, timeline.OfKind(timeline.AlertFiring, alert))
				if errors.Is(err, timeline.ErrDeadline) {
					return nil
				}
				if err != nil {
					return err
				}
				return fmt.Errorf("alert %q fired at %s; it should not have", alert, s.at(e.At))
			}
		},
	},
	{
		Keyword: "Then", Form: `no alert fires within {duration}`,
		Variants: []string{
			`no [team ](alert|alerts) (fires|fire|goes off|go off|is raised|are raised|triggers|trigger) (within|in|for) [the next ]{duration}`,
			`(every alert|all alerts|the team's alerts|all of the team's alerts) (stay|stays) (quiet|silent|resolved) (within|in|for) [the next ]{duration}`,
		},
		Doc:     "Fails at the first firing of any of the team's alerts within that long of the latest fault (or of now, before any fault), naming it and its drill time (+MM:SS); passes once that long has passed with none. For a scenario that checks the service holds up without paging anyone.",
		Example: "Then no alert fires within 30m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				e, err := s.waitFrom(ctx, s.sinceFault(), dur, timeline.OfKind(timeline.AlertFiring, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return nil
				}
				if err != nil {
					return err
				}
				return fmt.Errorf("alert %q fired at %s, within %s of %s; no alert should have", e.Subject, s.at(e.At), fmtDur(dur), s.sinceWhat())
			}
		},
	},
	{
		Keyword: "Then", Form: `the page reaches an on-call responder of team {team} within {duration}`, subject: true, refers: true,
		Variants: []string{
			`[the ](page|alert) (reaches|gets to|is delivered to|goes to|is routed to|pages) ` + oncall + ` (of|in|on|from|for) [the ]team {team} ` + within + ` {duration}`,
			`[the ](page|alert) (reaches|gets to|is delivered to|goes to|is routed to|pages) [the ]team {team}['s on-call| on-call][ engineer| responder] ` + within + ` {duration}`,
			oncall + ` (of|in|on|from) [the ]team {team} ` + paged + ` ` + within + ` {duration}`,
			oncall + ` (of|from) [the ]{team}[ team] ` + paged + ` ` + within + ` {duration}`,
			`[the ]team {team}['s on-call| on-call][ engineer| responder] ` + paged + ` ` + within + ` {duration}`,
			`the {team} team['s on-call| on-call] ` + paged + ` ` + within + ` {duration}`,
			`the {team} on-call[ engineer| responder] ` + paged + ` ` + within + ` {duration}`,
		},
		Doc:     "Waits until the escalation policy pages a member of the team, at most that long after the first expected alert fired.",
		Example: `Then the page reaches an on-call responder of team "ml-platform" within 5m`,
		bind: func(s *State) any {
			return func(ctx context.Context, teamID, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				members, err := s.teamMembers(teamID)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				_, err = s.waitFrom(ctx, from, dur, func(e timeline.Event) bool { return e.Kind == timeline.Page && members[e.Subject] })
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("no member of team %q was paged within %s of the alert firing%s", teamID, d, s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Form: `the page reaches responder {responder} within {duration}`, subject: true, refers: true,
		Variants: []string{
			`[the ](page|alert) (reaches|gets to|is delivered to|goes to|is routed to|pages|escalates to|is escalated to|should reach|should escalate to) (responder|user|engineer|on-call engineer|the responder|the user|the engineer) {responder} ` + within + ` {duration}`,
			`[the ](page|alert) (escalates to|is escalated to|should escalate to) {responder} ` + within + ` {duration}`,
			`[the ](responder|user|engineer|on-call engineer) {responder} ` + paged + ` ` + within + ` {duration}`,
		},
		Doc:     "Waits until the escalation policy pages that responder (a user of the escalation files), at most that long after the first expected alert fired: where a page escalates when the first responder is unavailable. The failure names who was paged instead.",
		Example: `Then the page reaches responder "bob" within 15m`,
		bind: func(s *State) any {
			return func(ctx context.Context, user, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				_, err = s.waitFrom(ctx, from, dur, func(e timeline.Event) bool { return e.Kind == timeline.Page && e.Subject == user })
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("responder %q was not paged within %s of the alert firing (%s)%s", user, d, s.pagedSince(from), s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Form: `someone is paged[ within {duration}]`, subject: true, refers: true,
		Variants: []string{
			`(someone|somebody|the on-call|the on-call engineer|an on-call engineer|the on-call responder|an on-call responder|a responder|the responder|the engineer on call|someone on call|the team|the on-call team) (` + paged + `|is notified|should be notified)[ ` + within + ` {duration}]`,
			`[the ](page|alert) (reaches|gets to|is delivered to|goes to|is routed to|pages) (someone|somebody|the on-call|the on-call engineer|an on-call engineer|the on-call responder|an on-call responder|a responder|the responder|someone on call)[ ` + within + ` {duration}]`,
		},
		Doc:     "Waits until the escalation policy pages anyone, at most that long after the first expected alert fired (" + defaultWait + " when no duration is given); `the page reaches an on-call responder of team T` says whose on-call.",
		Example: "Then someone is paged within 5m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := durationOr(d, defaultWait)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				_, err = s.waitFrom(ctx, from, dur, timeline.OfKind(timeline.Page, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("nobody was paged within %s of the alert firing%s", d, s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Form: `the page is acknowledged within {duration}`, subject: true, refers: true,
		Variants: []string{
			subject + ` (is|gets|should be|must be|will be|should get) (acknowledged|acked) [by ` + oncall + `][ ]` + within + ` {duration}`,
			oncall + ` (acknowledges|acks|should acknowledge|must acknowledge|will acknowledge|should ack)[ ` + subject + `] ` + within + ` {duration}`,
		},
		Doc:     "Waits until a paged responder acknowledges, at most that long after the first page; the page itself must come at most that long after the first expected alert fired.",
		Example: "Then the page is acknowledged within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				from, err := s.firstExpectedFiring()
				if err != nil {
					return err
				}
				page, err := s.waitFrom(ctx, from, dur, timeline.OfKind(timeline.Page, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("nobody was paged within %s of the alert firing, so nothing can be acknowledged%s", d, s.pageContext())
				}
				if err != nil {
					return err
				}
				s.tell("waiting for an acknowledgement of the page to %s: drill ack --user %s; judged within %s of the page (until %s)",
					page.Subject, page.Subject, fmtDur(dur), page.At.Add(dur).Format("15:04:05"))
				_, err = s.waitFrom(ctx, page.At, dur, timeline.OfKind(timeline.Ack, ""))
				if errors.Is(err, timeline.ErrDeadline) {
					return fmt.Errorf("the page to %s at %s was not acknowledged within %s%s", page.Subject, s.at(page.At), d, s.pageContext())
				}
				return err
			}
		},
	},
	{
		Keyword: "Then", Form: `alert {alert} links a runbook that exists, is fresh and has an owner`,
		Variants: []string{
			`[the ]alert {alert} (links|has|links to|points to) a runbook[ that exists][,][ and] [that ][is fresh|is current|is up to date][,][ and] [that ][has an owner|is owned]`,
			`[the ]alert {alert} (links|has|links to|points to) a (valid|fresh|current|good|owned) runbook`,
			`the runbook (of|for) [the ]alert {alert} exists, is fresh and has an owner`,
		},
		Doc:     "Checks the alert rule's runbook link (or a runbook naming the alert) resolves, has an owner, and is not overdue for review at drill time.",
		Example: `Then alert "LLMSpendSpike" links a runbook that exists, is fresh and has an owner`,
		bind: func(s *State) any {
			return func(alert string) error { return s.checkRunbook(alert) }
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings {promql} true within {duration}`,
		Variants: []string{
			followingRunbook + ` (brings|makes|gets) {promql} (true|to hold|hold) ` + within + ` {duration}`,
			followingRunbook + ` {promql} (becomes true|holds|is true) ` + within + ` {duration}`,
		},
		Doc:     "Waits for the acknowledging responder to run the runbook, then until the PromQL condition is true (it returns at least one sample, as an alert expression does) on data, at most that long after the acknowledgement. While a target whose series the condition reads fails its scrapes, or the condition returns nothing because a selector has no fresh sample, it reads no data, which is not recovery: the step says so and keeps waiting. Records the service as recovered.",
		Example: `Then following the runbook brings "sum(rate(drill_gateway_cost_usd_total[1m])) * 60 < 2" true within 10m`,
		bind: func(s *State) any {
			return func(ctx context.Context, expr, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.followRunbook(ctx, expr, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings the service back within {duration}`,
		Variants: []string{
			followingRunbook + ` (brings|gets) (the service|it|the system|everything) back[ to health| up| to normal] ` + within + ` {duration}`,
			followingRunbook + ` (the service|it|the system) (recovers|is back|comes back|is restored|is healthy again) ` + within + ` {duration}`,
			`the runbook (fixes|resolves|restores|solves) (it|the service|the problem|the incident|the outage|the issue) ` + within + ` {duration}`,
			followingRunbook + ` (fixes|resolves|restores|solves) (it|the service|the problem|the incident|the outage|the issue) ` + within + ` {duration}`,
			`the service (recovers|is back|comes back|is restored) after the runbook ` + within + ` {duration}`,
		},
		Doc:     "Waits for the acknowledging responder to run the runbook, then until the alert that fired has resolved and its condition reads good on data, at most that long after the acknowledgement: the team's own alert is the measure of health. Its condition reads good when the alert's expression without its final comparison returns values on the good side of the threshold (`x > 0.1` reads `x`), or, for an expression without that shape, when its selectors have fresh samples. An alert that resolved because its series vanished (the service died, its /metrics fails) or its expression returned no sample is not a recovery: the step says so and keeps waiting. Records the service as recovered.",
		Example: "Then following the runbook brings the service back within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.followRunbookUntilResolved(ctx, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings spend below {money} per minute[ within {duration}]`,
		Variants: []string{
			followingRunbook + ` (brings|gets|takes|puts) ` + spendName + ` (below|under|back below|back under|down below|down to under) {money}` + perMin + `[ ` + within + ` {duration}]`,
			followingRunbook + ` ` + spendName + ` ` + backBelow + ` {money}` + perMin + inWithin,
		},
		Doc:     "Like `following the runbook brings \"...\" true within D` on the built-in spend measure: the USD per drill minute the mock providers bill (their own cost counters, `" + spendPerMinute + "`), read on data. The deadline runs from the acknowledgement; 1h when no duration is given.",
		Example: "Then following the runbook brings spend below $2 per minute within 20m",
		bind: func(s *State) any {
			return func(ctx context.Context, usd, d string) error { return s.followRunbookToMeasure(ctx, "spend", usd, d) }
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings the service's success ratio above {percent}[ within {duration}]`,
		Variants: []string{
			followingRunbook + ` (brings|gets|takes|puts) ` + successName + ` (above|over|back above|back over|back to above|up above) {percent}[ ` + within + ` {duration}]`,
			followingRunbook + ` ` + successName + ` ` + backAbove + ` {percent}` + inWithin,
		},
		Doc:     "Like `following the runbook brings \"...\" true within D` on the built-in success ratio: the share of the traffic generator's requests that got a valid answer over the last minute (dropped requests left out). The deadline runs from the acknowledgement; 1h when no duration is given.",
		Example: "Then following the runbook brings the service's success ratio above 99% within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error {
				return s.followRunbookToMeasure(ctx, "success", pct, d)
			}
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings the service's error ratio below {percent}[ within {duration}]`,
		Variants: []string{
			followingRunbook + ` (brings|gets|takes|puts) ` + errorName + ` (below|under|back below|back under|down below|down to) {percent}[ ` + within + ` {duration}]`,
			followingRunbook + ` ` + errorName + ` ` + backBelow + ` {percent}` + inWithin,
		},
		Doc:     "Like the success-ratio step, on the share of the traffic generator's requests that failed over the last minute (dropped requests left out).",
		Example: "Then following the runbook brings the service's error ratio below 1% within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error { return s.followRunbookToMeasure(ctx, "error", pct, d) }
		},
	},
	{
		Keyword: "Then", Form: `the runbook is followed[ within {duration}]`,
		Variants: []string{
			`the runbook (is|should be|must be|will be|gets) (followed|run|executed|carried out|completed|applied|worked through)[ ` + within + ` {duration}]`,
			`(` + oncall + `|the incident commander) (follows|runs|executes|completes|carries out|applies|works through) the runbook[ ` + within + ` {duration}]`,
			`the runbook (runs|is run) to (the end|completion)[ ` + within + ` {duration}]`,
		},
		Doc:     "Waits for a responder to acknowledge the page and run the runbook to its end with every step passing, at most that long (1h when no duration is given) after the acknowledgement. It credits no recovery: a step about the service's health (the alert resolving, a condition holding) does.",
		Example: "Then the runbook is followed",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				var dur time.Duration
				if d != "" {
					v, err := ParseDuration(d)
					if err != nil {
						return err
					}
					dur = v
				}
				return s.runbookFollowed(ctx, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `the alert resolves[ within {duration}]`, refers: true,
		Variants: []string{
			`(the alert|it|the page|the incident) (resolves|is resolved|clears|is cleared|gets cleared|stops firing|goes away|recovers|gets resolved|should resolve|must resolve|will resolve|should be resolved|should clear|should stop firing|should recover)[ ` + within + ` {duration}]`,
			`(the service|the system|everything) (recovers|is back|comes back|is restored|is healthy again|is back to normal|has recovered)[ ` + within + ` {duration}]`,
			`[the service |the system ](recovery|recovers|full recovery) ` + within + ` {duration}`,
		},
		Doc:     "Waits until the first expected alert that fired after the latest fault (the alert of the step before, as a reader takes `it`) has resolved and its condition reads good on data, at most that long after it fired (" + defaultWait + " when no duration is given). `the service recovers within D` and `recovery within D` read the same: the team's own alert is the measure of the service's health, as for `following the runbook brings the service back`. An alert that resolved because its series vanished (the service died, its /metrics fails) or its expression returned no sample is not a recovery: the step says so and keeps waiting. Records the service as recovered.",
		Example: "Then the alert resolves within 20m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := durationOr(d, defaultWait)
				if err != nil {
					return err
				}
				return s.alertResolves(ctx, "", dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `alert {alert} resolves within {duration}`, subject: true,
		Variants: []string{
			`[the ]alert {alert} (resolves|is resolved|clears|stops firing|goes away|gets resolved|should resolve|must resolve|will resolve|should be resolved|should clear|should stop firing) ` + within + ` {duration}`,
			`the {alert} alert (resolves|is resolved|clears|stops firing|goes away|gets resolved|should resolve|must resolve|will resolve|should be resolved|should clear|should stop firing) ` + within + ` {duration}`,
		},
		Doc:     "Waits until the alert fires after the latest fault and then resolves with its condition reading good on data, at most that long after it fired (or after the fault, while it has not fired). Resolving without good data is not a recovery, as for `the alert resolves within D`. Records the service as recovered.",
		Example: `Then alert "LLMProviderDown" resolves within 20m`,
		bind: func(s *State) any {
			return func(ctx context.Context, alert, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.alertResolves(ctx, alert, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `{promql} holds for {duration}`,
		Variants: []string{
			`[the condition ]{promql} (holds|stays true|remains true|is true|keeps holding) for [the next |at least ]{duration}`,
		},
		Doc:     "Evaluates the PromQL condition (true when it returns at least one sample) at every evaluation interval for that long; fails the first time it reads false on data. A reading with no data (no fresh sample, or a failed scrape of what it reads) is no evidence either way: up to 2 in a row after data came are waited past, more fail, and a hold that never read data fails.",
		Example: `Then "sum(rate(drill_traffic_requests_total{outcome=\"ok\"}[1m])) > 0" holds for 5m`,
		bind: func(s *State) any {
			return func(ctx context.Context, expr, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.holds(ctx, expr, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `the service's success ratio stays above {percent}`,
		Variants: []string{
			successName + ` ` + above + ` {percent}[ of requests]`,
			`at least {percent} of [the ]requests succeed`,
		},
		Doc:     "Checks the share of traffic requests that succeeded with a valid answer since the environment started (client-side SLI from the traffic generator).",
		Example: "Then the service's success ratio stays above 95%",
		bind: func(s *State) any {
			return func(ctx context.Context, pct string) error {
				want, err := strconv.ParseFloat(pct, 64)
				if err != nil {
					return err
				}
				return s.successRatio(ctx, want/100)
			}
		},
	},
	{
		Keyword: "Then", Form: `the service's success ratio stays above {percent} for {duration}`,
		Variants: []string{
			successName + ` ` + above + ` {percent}[ of requests] (for|over) [the next |at least ]{duration}`,
			`at least {percent} of [the ]requests (succeed|keep succeeding) (for|over) [the next ]{duration}`,
		},
		Doc:     "A condition that must hold over a window: reads the share of the traffic generator's requests that got a valid answer over the last minute (dropped requests left out) at every evaluation interval, for that long from the step's start, and fails at the first reading at or below the bound, with its drill time (+MM:SS) and value. A reading with no data is evidence of nothing: before the first data it is waited past; after it, more than two in a row fail, since they cannot show the ratio held.",
		Example: "Then the service's success ratio stays above 99% for 10 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error { return s.measureHoldsFor(ctx, "success", pct, d) }
		},
	},
	{
		Keyword: "Then", Form: `the service's error ratio stays below {percent}[ for {duration}]`,
		Variants: []string{
			errorName + ` ` + below + ` {percent}[ of requests][ (for|over) [the next |at least ]{duration}]`,
			`(at most|no more than|fewer than|less than) {percent} of [the ]requests fail[ (for|over) [the next ]{duration}]`,
		},
		Doc:     "The share of the traffic generator's requests that failed (dropped requests left out). With `for D`, a condition that must hold over a window: read over the last minute at every evaluation interval for D from the step's start, failing at the first reading at or above the bound with its drill time (+MM:SS) and value (more than two readings in a row with no data fail too). Without it, checked once over the scenario so far, since the environment started.",
		Example: "Then the service's error ratio stays below 5% for 10 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error { return s.measureStays(ctx, "error", pct, d) }
		},
	},
	{
		Keyword: "Then", Form: `spend stays below {money} per minute[ for {duration}]`,
		Variants: []string{
			spendName + ` ` + below + ` {money}` + perMin + `[ (for|over) [the next |at least ]{duration}]`,
			`[the ](spend|spending|cost|costs) per minute ` + below + ` {money}[ (for|over) [the next |at least ]{duration}]`,
		},
		Doc:     "The built-in spend measure: the USD per drill minute the mock providers bill (their own cost counters, `" + spendPerMinute + "`). With `for D`, a condition that must hold over a window: read at every evaluation interval for D from the step's start, failing at the first reading at or above the bound with its drill time (+MM:SS) and value (more than two readings in a row with no data fail too). Without it, the highest spend per minute since the environment started must be below the bound.",
		Example: "Then spend stays below $2 per minute for 10 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, usd, d string) error { return s.measureStays(ctx, "spend", usd, d) }
		},
	},
	{
		Keyword: "Then", Form: `latency p95 stays below {latency}[ for {duration}]`,
		Variants: []string{
			latencyName + ` ` + below + ` {latency}[ (for|over) [the next |at least ]{duration}]`,
		},
		Doc:     "The built-in latency measure: the 95th percentile of the traffic generator's client-side request latency (`" + latencyP95 + "`, real seconds: a slowed provider's latency is real). With `for D`, a condition that must hold over a window: read at every evaluation interval for D from the step's start, failing at the first reading at or above the bound with its drill time (+MM:SS) and value (more than two readings in a row with no data fail too). Without it, the p95 over the scenario so far, since the environment started.",
		Example: "Then latency p95 stays below 2 seconds for 10 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, ms, d string) error { return s.measureStays(ctx, "latency", ms, d) }
		},
	},
	{
		Keyword: "Then", Form: `following the runbook brings latency p95 below {latency}[ within {duration}]`,
		Variants: []string{
			followingRunbook + ` (brings|gets|takes|puts) ` + latencyName + ` (below|under|back below|back under|down below|down to under) {latency}[ ` + within + ` {duration}]`,
			followingRunbook + ` ` + latencyName + ` ` + backBelow + ` {latency}` + inWithin,
		},
		Doc:     "Like `following the runbook brings \"...\" true within D` on the built-in latency measure, the 95th percentile of the traffic generator's client-side latency over the last minute, read on data. The deadline runs from the acknowledgement; 1h when no duration is given.",
		Example: "Then following the runbook brings latency p95 below 2 seconds within 20 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, ms, d string) error { return s.followRunbookToMeasure(ctx, "latency", ms, d) }
		},
	},
	withinStep("success", `the service's success ratio is above {percent} within {duration}`, "the share of the traffic generator's requests that got a valid answer over the last minute", "Then the success ratio is above 99% within 15 minutes",
		successName+` `+backAbove+` {percent} `+within+` {duration}`).lacks("it needs the bound it comes back above, such as `above 99%`: drill does not know what normal is",
		successName+` `+backToNormal+inWithin,
		`[the ](requests|calls) (succeed|work|go through) again`+inWithin,
	),
	withinStep("error", `the service's error ratio is below {percent} within {duration}`, "the share of the traffic generator's requests that failed over the last minute", "Then the error ratio is below 1% within 15 minutes",
		errorName+` `+backBelow+` {percent} `+within+` {duration}`).lacks("it needs the bound it comes back below, such as `below 1%`: drill does not know what normal is",
		errorName+` `+backToNormal+inWithin,
	),
	withinStep("spend", `spend is below {money} per minute within {duration}`, "the USD per drill minute the mock providers bill", "Then spend is below $2 per minute within 20 minutes",
		spendName+` `+backBelow+` {money}`+perMin+` `+within+` {duration}`).lacks("it needs the bound it comes back below, such as `below $2 per minute`: drill does not know what normal is",
		spendName+` `+backToNormal+inWithin,
	),
	withinStep("latency", `latency p95 is below {latency} within {duration}`, "the 95th percentile of the traffic generator's client-side latency over the last minute", "Then latency p95 is below 2 seconds within 20 minutes",
		latencyName+` `+backBelow+` {latency} `+within+` {duration}`).lacks("it needs the bound it comes back below, such as `below 2 seconds`: drill does not know what normal is",
		latencyName+` `+backToNormal+inWithin,
	),
	reachStep("error", `the service's error ratio goes above {percent}[ within {duration}]`,
		"the share of the traffic generator's requests that failed over the last minute (dropped requests left out)", "at or above",
		"Then the error ratio goes above 5% within 5 minutes",
		errorName+` `+rises+` {percent}[ of requests]`+inWithin,
		`[(at least|more than|over|above) ]{percent}[ of] [the |all ](requests|calls) (fail|are failing|get errors|error out|go wrong)`+inWithin,
		`[the ]service (has|returns|serves|shows|sees|gets) [at least ]{percent} (errors|failures|failed requests|error responses)`+inWithin,
		`the service (fails|is failing) [at least ]{percent} of [the |all ](requests|calls)`+inWithin,
		`(users|clients|callers|customers) (see|get|hit) [at least ]{percent} (errors|failures|failed requests)`+inWithin,
	),
	reachStep("success", `the service's success ratio drops below {percent}[ within {duration}]`,
		"the share of the traffic generator's requests that got a valid answer over the last minute (dropped requests left out)", "at or below",
		"Then the success ratio drops below 90% within 10 minutes",
		successName+` `+drops+` {percent}[ of requests]`+inWithin,
		`(only|at most|no more than|fewer than|less than) {percent} of [the |all ](requests|calls) (succeed|get a valid answer|get an answer)`+inWithin,
	),
	reachStep("canary", `the canary success ratio drops below {percent}[ within {duration}]`,
		"the share of the traffic generator's canary requests, prompts with a known answer, answered correctly over the last minute", "at or below",
		"Then the canary success ratio drops below 80% within 10 minutes",
		canaryName+` `+drops+` {percent}`+inWithin,
		`(only|at most|no more than|fewer than|less than) {percent} of [the ]`+canaries+` (pass|succeed|get the right answer|are answered correctly)`+inWithin,
	),
	{
		Keyword: "Then", Form: `the canary success ratio stays above {percent}[ for {duration}]`,
		Variants: []string{
			canaryName + ` ` + above + ` {percent}[ (for|over) [the next |at least ]{duration}]`,
			`at least {percent} of [the ]` + canaries + ` (pass|succeed|get the right answer|are answered correctly)[ (for|over) [the next ]{duration}]`,
		},
		Doc:     "The built-in canary measure: the share of the traffic generator's canary requests (prompts with a known answer, in the `canary` mix and 5% of the default one) answered correctly, dropped requests left out: wrong answers show here when a provider drifts. With `for D`, a condition that must hold over a window: read over the last minute at every evaluation interval for D from the step's start, failing at the first reading at or below the bound with its drill time (+MM:SS) and value (more than two readings in a row with no data fail too). Without it, checked once over the scenario so far, since the environment started. A mix with no canary requests gives it no data, which fails it.",
		Example: "Then the canary success ratio stays above 95% for 10 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error { return s.measureStays(ctx, "canary", pct, d) }
		},
	},
	withinStep("canary", `the canary success ratio is above {percent} within {duration}`, "the share of the traffic generator's canary requests answered correctly over the last minute", "Then the canary success ratio is above 99% within 15 minutes",
		canaryName+` `+backAbove+` {percent} `+within+` {duration}`).lacks("it needs the bound it comes back above, such as `above 99%`: drill does not know what normal is",
		canaryName+` `+backToNormal+inWithin,
	),
	{
		Keyword: "Then", Form: `following the runbook brings the canary success ratio above {percent}[ within {duration}]`,
		Variants: []string{
			followingRunbook + ` (brings|gets|takes|puts) ` + canaryName + ` (above|over|back above|back over|back to above|up above) {percent}[ ` + within + ` {duration}]`,
			followingRunbook + ` ` + canaryName + ` ` + backAbove + ` {percent}` + inWithin,
		},
		Doc:     "Like `following the runbook brings \"...\" true within D` on the built-in canary success ratio: the share of the traffic generator's canary requests answered correctly over the last minute. The deadline runs from the acknowledgement; 1h when no duration is given.",
		Example: "Then following the runbook brings the canary success ratio above 99% within 20 minutes",
		bind: func(s *State) any {
			return func(ctx context.Context, pct, d string) error { return s.followRunbookToMeasure(ctx, "canary", pct, d) }
		},
	},
	reachStep("spend", `spend goes above {money} per minute[ within {duration}]`,
		"the USD per drill minute the mock providers bill (`"+spendPerMinute+"`)", "at or above",
		"Then spend goes above $5 per minute within 10 minutes",
		spendName+` `+rises+` {money}`+perMin+inWithin,
		`[the ](spend|spending|cost|costs) per minute `+rises+` {money}`+inWithin,
	),
	reachStep("latency", `latency p95 goes above {latency}[ within {duration}]`,
		"the 95th percentile of the traffic generator's client-side latency over the last minute", "at or above",
		"Then latency p95 goes above 3 seconds within 5 minutes",
		latencyName+` `+rises+` {latency}`+inWithin,
	),
	{
		Keyword: "Then", Form: `following the runbook brings this condition true within {duration}`, arg: argDoc, suffix: "[:]",
		Variants: []string{
			followingRunbook + ` (brings|makes|gets) (this|the following|the) (condition|PromQL condition|PromQL)[ below] (true|to hold|hold) ` + within + ` {duration}`,
		},
		Doc:     "`following the runbook brings \"...\" true within D` with the PromQL condition in a doc string below the line, for a condition too long to quote.",
		Example: "Then following the runbook brings this condition true within 15m:\n  \"\"\"\n  sum(rate(drill_gateway_cost_usd_total[1m])) * 60 < 2\n  \"\"\"",
		bind: func(s *State) any {
			return func(ctx context.Context, a StepArg, args ...string) error {
				dur, err := ParseDuration(args[0])
				if err != nil {
					return err
				}
				return s.followRunbook(ctx, strings.TrimSpace(a.Doc), dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `this condition holds for {duration}`, arg: argDoc, suffix: "[:]",
		Variants: []string{
			`(this|the following|the) (condition|PromQL condition|PromQL)[ below] (holds|stays true|remains true|is true|keeps holding) for [the next |at least ]{duration}`,
		},
		Doc:     "`\"...\" holds for D` with the PromQL condition in a doc string below the line.",
		Example: "Then this condition holds for 5m:\n  \"\"\"\n  sum(rate(drill_traffic_requests_total{outcome=\"ok\"}[1m])) > 0\n  \"\"\"",
		bind: func(s *State) any {
			return func(ctx context.Context, a StepArg, args ...string) error {
				dur, err := ParseDuration(args[0])
				if err != nil {
					return err
				}
				return s.holds(ctx, strings.TrimSpace(a.Doc), dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `no other alert fires`,
		Variants: []string{
			`no (other|unexpected|further|more) (alert|alerts) (fires|fire|fired|go off|goes off)`,
			`no other alert (fires|goes off|is raised)`,
			`[(there are|there is) ]no (false alarms|false alarm|other alerts|unexpected alerts)`,
			`nothing else (fires|alerts)`,
		},
		Doc:     "Fails if any alert fired that no step of the scenario expects (a false alarm or a noisy rule).",
		Example: "Then no other alert fires",
		bind: func(s *State) any {
			return func() error { return s.noOtherAlerts() }
		},
	},
	// Incident roles and ownership (escalation roles:).
	{
		Keyword: "Then", Form: `role {role} is assigned within {duration}`,
		Variants: []string{
			`[the ]role {role} (is|should be|must be|will be|gets) (assigned|claimed|taken|filled) ` + within + ` {duration}`,
			`(someone|somebody|a responder) (takes|claims|is assigned) [the ]role {role} ` + within + ` {duration}`,
		},
		Doc:     "Waits until someone claims the incident role (an id or name from the escalation roles:), at most that long after the first expected alert fired.",
		Example: `Then role "communications_lead" is assigned within 15m`,
		bind: func(s *State) any {
			return func(ctx context.Context, role, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.roleAssigned(ctx, role, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `an incident commander is assigned within {duration}`,
		Variants: []string{
			`(an|the) (incident commander|IC) (is|should be|must be|will be|gets) (assigned|named|appointed|chosen|claimed) ` + within + ` {duration}`,
			`(someone|somebody|a responder) (takes|claims|becomes) [the ](incident commander|IC)[ role] ` + within + ` {duration}`,
			`the incident has (a|an) (commander|incident commander) ` + within + ` {duration}`,
		},
		Doc:     "Waits until someone claims the incident_commander role (or the role named Incident Commander), at most that long after the first expected alert fired.",
		Example: "Then an incident commander is assigned within 5m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.roleAssigned(ctx, incidentCommander, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `the incident commander is not the person executing the runbook`,
		Variants: []string{
			`the (incident commander|IC) (is not|isn't) the (person|one|responder|engineer) (executing|running|following|doing|who runs|who executes|who follows) the runbook`,
			`the (person|one|responder|engineer) (executing|running|following|doing|who runs|who executes|who follows) the runbook is not the (incident commander|IC)`,
		},
		Doc:     "Waits (up to 1h after the first expected firing) for the runbook to start and an incident commander to be assigned, and fails when they are the same person.",
		Example: "Then the incident commander is not the person executing the runbook",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.commanderNotExecutor(ctx) }
		},
	},
	{
		Keyword: "Then", Form: `a status update is posted within {duration}`,
		Variants: []string{
			`(a|the first|the) status update (is posted|is sent|is published|is made|is written|is given|is shared|goes out|gets posted|gets sent|is out|should be posted|must be posted|will be posted|should be sent|should go out|should be published) ` + within + ` {duration}`,
			`(someone|somebody|the communications lead|the comms lead) (posts|sends|publishes|writes|shares) a status update ` + within + ` {duration}`,
			`stakeholders (get|receive|are sent) a status update ` + within + ` {duration}`,
		},
		Doc:     "Waits for a status update (simulated by a role with status_update; live: `drill note`), at most that long after the first expected alert fired.",
		Example: "Then a status update is posted within 15m",
		bind: func(s *State) any {
			return func(ctx context.Context, d string) error {
				dur, err := ParseDuration(d)
				if err != nil {
					return err
				}
				return s.statusUpdate(ctx, dur)
			}
		},
	},
	{
		Keyword: "Then", Form: `the runbook owner is paged`,
		Variants: []string{
			`the (runbook owner|runbook's owner|owner of the runbook) (` + paged + `|is notified|should be notified)`,
		},
		Doc:     "Checks that the owner of the runbook of an expected alert (the user, or a member of the owning team) is paged before the page is acknowledged or the policy gives up (waiting up to 1h after the first expected firing).",
		Example: "Then the runbook owner is paged",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.ownerPaged(ctx) }
		},
	},
	{
		Keyword: "Then", Form: `the fault provably fired`,
		Variants: []string{
			`the (fault|faults) provably (fired|took effect|hit)`,
			`the (fault|faults) (fired|took effect|had an effect|hit requests|affected requests)`,
			`the (fault|faults) (should have|must have) (fired|taken effect|had an effect|hit requests)`,
			`the (fault|faults) (really|actually|demonstrably|verifiably) (fired|took effect|hit|happened)`,
			`(every|each) fault (affected|hit) at least one (request|connection)`,
		},
		Doc:     "Fails unless every injected fault affected at least one request or connection. (A scenario without this proof is inconclusive anyway.)",
		Example: "Then the fault provably fired",
		bind: func(s *State) any {
			return func(ctx context.Context) error { return s.provablyFired(ctx) }
		},
	},
}

// also adds phrasings the step accepts besides its canonical form.
func (s Step) also(variants ...string) Step {
	s.Variants = append(append([]string(nil), s.Variants...), variants...)
	return s
}

// withinStep builds a Then step of recovery on a built-in measure (name,
// described as what): it waits until the measure reads on the good side
// of its bound within a deadline of the latest fault and records the
// service as recovered then (State.measureWithin).
func withinStep(name, form, what, example string, variants ...string) Step {
	return Step{
		Keyword: "Then", Form: form, Variants: variants,
		Doc:     "Waits until the built-in measure (" + what + ") reads on the good side of the bound on data, at most that long after the latest fault (after the step's start when no fault came before it), and records the service as recovered then. A reading with no data is not recovery. When it never reads good, the failure says from when to when it was read (+MM:SS) and its last value.",
		Example: example,
		bind: func(s *State) any {
			return func(ctx context.Context, bound, d string) error { return s.measureWithin(ctx, name, bound, d) }
		},
	}
}

// reachStep builds a Then step asserting that a fault shows where users
// are: the built-in measure name (described as what) reads on the bad
// side of its bound (side: "at or above") within a deadline of the
// latest fault (State.measureReaches).
func reachStep(name, form, what, side, example string, variants ...string) Step {
	return Step{
		Keyword: "Then", Form: form, Variants: variants,
		Doc:     "The fault shows where users are: waits until the built-in measure (" + what + ") reads " + side + " the bound on data, at most that long after the latest fault (after the step's start when no fault came before it; " + defaultWait + " when no duration is given). A step that starts later first reads back over the time since the fault, at the evaluation interval, so a spike that came and went while earlier steps waited counts. A reading with no data shows nothing: it never passes the step. When no reading is " + side + " the bound, the failure says from when to when it was read (+MM:SS) and the last value.",
		Example: example,
		bind: func(s *State) any {
			return func(ctx context.Context, bound, d string) error { return s.measureReaches(ctx, name, bound, d) }
		},
	}
}

// stubStep builds a When step that injects a parameterless stub fault
// kind: its form, and, for each of says (what the API does, after its
// name), the phrasings "the {stub} API ..." and "the API {stub} ...".
func stubStep(form, kind, doc string, says ...string) Step {
	var variants []string
	for _, v := range says {
		if !strings.HasPrefix(v, "['s]") { // the API's credentials, the API returns
			v = " " + v
		}
		variants = append(variants, `the {stub} `+api+v, `[the ]`+api+` {stub}`+v)
	}
	return faultStep(form, doc, "When "+strings.ReplaceAll(form, "{stub}", `"search"`),
		func(a []string) (string, string, map[string]string, error) { return kind, a[0], nil, nil }).also(variants...)
}

// withShare adds a fault's share of requests ("30", a percentage) to its
// parameters as its probability; an empty share leaves them as they are.
func withShare(params map[string]string, share string) (map[string]string, error) {
	if share == "" {
		return params, nil
	}
	p, err := percent(share)
	if err != nil {
		return nil, err
	}
	out := map[string]string{"probability": p}
	for k, v := range params {
		out[k] = v
	}
	return out, nil
}

// faultStep builds a When step that injects a fault. args maps the
// form's values (without the trailing duration) to a catalog kind,
// target and parameters.
func faultStep(form, doc, example string, args func([]string) (kind, target string, params map[string]string, err error)) Step {
	st := Step{Keyword: "When", Form: form, suffix: forD, Doc: doc + " Optionally ends after `for D` (`for 10 minutes, then recovers`).", Example: example, fault: args}
	st.bind = func(s *State) any {
		return func(ctx context.Context, groups ...string) error {
			d := time.Duration(0)
			if last := groups[len(groups)-1]; last != "" {
				v, err := ParseDuration(last)
				if err != nil {
					return err
				}
				d = v
			}
			kind, target, params, err := args(groups[:len(groups)-1])
			if err != nil {
				return err
			}
			return s.inject(ctx, kind, target, params, d)
		}
	}
	return st
}

// multiFaultStep builds a When step that injects several faults at once
// (Step.faults), with the optional time bound of every fault step; arg
// is the argument it takes below its line ("" for none).
func multiFaultStep(form, doc, example, arg string, faults func([]string, time.Duration, StepArg) ([]faultSpec, error)) Step {
	suffix := forD
	if arg != "" {
		form = strings.TrimSuffix(form, ":")
		suffix += "[:]"
	}
	st := Step{Keyword: "When", Form: form, suffix: suffix, Doc: doc + " Optionally ends after `for D` (`for 10 minutes, then recovers`).", Example: example, faults: faults, arg: arg}
	st.bind = func(s *State) any {
		return func(ctx context.Context, a StepArg, groups ...string) error {
			specs, err := st.faultsOf(groups, a)
			if err != nil {
				return err
			}
			return s.injectAll(ctx, specs)
		}
	}
	return st
}

// perMinute turns a rate in requests per second (the value grammar's
// canonical rate) into the whole requests per minute a rate limit
// counts.
func perMinute(rps string) (string, error) {
	v, err := strconv.ParseFloat(rps, 64)
	if err != nil {
		return "", fmt.Errorf("want a rate such as 20 requests per minute, got %q", rps)
	}
	rpm := v * 60
	if r := math.Round(rpm); math.Abs(rpm-r) > 1e-6 || r < 1 {
		return "", fmt.Errorf("a rate limit counts whole requests per minute, and this one is %s per minute", strconv.FormatFloat(rpm, 'g', 3, 64))
	}
	return strconv.Itoa(int(math.Round(rpm))), nil
}

// shareOrAll is a fault's share of requests as a probability: every
// request when the line gives none ("returns 503", "to every request").
func shareOrAll(share string) (string, error) {
	if share == "" {
		return "1", nil
	}
	return percent(share)
}

func percent(s string) (string, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 100 {
		return "", fmt.Errorf("want a percentage from 0 to 100, got %q", s)
	}
	return strconv.FormatFloat(v/100, 'f', -1, 64), nil
}

func (s *State) teamMembers(teamID string) (map[string]bool, error) {
	t := s.Env.Team()
	if t == nil || t.Escalation == nil {
		return nil, errors.New("the team has no escalation files")
	}
	g, ok := t.Escalation.Team(teamID)
	if !ok {
		var ids []string
		for _, g := range t.Escalation.Teams {
			ids = append(ids, g.ID)
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("no team %q in the escalation files; teams: %s", teamID, strings.Join(ids, ", "))
	}
	members := map[string]bool{}
	for _, m := range g.Members {
		members[m] = true
	}
	return members, nil
}

// firstExpectedFiring is when the first alert the scenario expects fired
// after the latest fault.
func (s *State) firstExpectedFiring() (time.Time, error) {
	e, err := s.firstExpectedFiringEvent()
	return e.At, err
}

func (s *State) firstExpectedFiringEvent() (timeline.Event, error) {
	from := s.sinceFault()
	detects := s.detection("")
	for _, e := range s.Env.Log().Sorted() {
		if detects(e) && !e.At.Before(from) && s.isAwaited(e.Subject) {
			return e, nil
		}
	}
	return timeline.Event{}, errors.New("no expected alert has fired, so nobody can be paged for it")
}

func (s *State) isExpected(alert string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expected[alert]
}

// isAwaited says whether the scenario waits for the alert to fire: it
// expects it and does not only tolerate it.
func (s *State) isAwaited(alert string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expected[alert] && !s.tolerated[alert]
}

// alertContext says what the alert was doing since from, for a failure
// message.
func (s *State) alertContext(alert string, from time.Time) string {
	if n := s.noise(alert, from); len(n) > 0 {
		return " (" + s.noiseNote(n[0]) + ")"
	}
	s.mu.Lock()
	fault := s.firstFaultAt
	s.mu.Unlock()
	if events := s.Env.Log().Sorted(); !fault.IsZero() && timeline.AlertActive(events, alert, fault) {
		var since time.Time
		for _, e := range events {
			if e.Subject == alert && e.Kind == timeline.AlertFiring && !e.At.After(fault) {
				since = e.At
			}
		}
		if !since.IsZero() {
			return fmt.Sprintf(" (it was already firing before the fault, since %s, and never resolved: a firing in the control window is a false alarm, and only a new episode could detect the fault)", s.at(since))
		}
	}
	if e, ok := s.Env.Log().Find(timeline.OfKind(timeline.AlertPending, alert)); ok {
		return fmt.Sprintf(" (it went pending at %s but never reached firing)", s.at(e.At))
	}
	return " (it never went pending: " + s.neverPending(alert) + ")"
}

// pagedSince says who was paged since from, for a failure naming who
// was not.
func (s *State) pagedSince(from time.Time) string {
	var who []string
	for _, e := range s.Env.Log().Sorted() {
		if e.Kind == timeline.Page && !e.At.Before(from) {
			who = append(who, fmt.Sprintf("%s at %s", e.Subject, s.at(e.At)))
		}
	}
	if len(who) == 0 {
		return "nobody was paged"
	}
	return "paged: " + strings.Join(who, ", ")
}

// pageContext lists the alerts the team's inhibit_rules held back and the
// escalation's broken links, for failure messages.
func (s *State) pageContext() string {
	var broken, inhibited []string
	for _, e := range s.Env.Log().Events() {
		switch {
		case e.Kind == timeline.BrokenLink || e.Kind == timeline.PolicyExhausted:
			broken = append(broken, strings.TrimSpace(e.Subject+" "+e.Message))
		case timeline.HeldBack(e):
			inhibited = append(inhibited, e.Message)
		}
	}
	out := ""
	if len(inhibited) > 0 {
		out = "; held back in Alertmanager: " + strings.Join(inhibited, "; ")
	}
	if len(broken) > 0 {
		out += "; escalation problems: " + strings.Join(broken, "; ")
	}
	return out
}

func (s *State) checkRunbook(alert string) error {
	t := s.Env.Team()
	if t == nil {
		return errors.New("no team loaded")
	}
	for _, r := range t.Alerts() {
		if r.Name() != alert {
			continue
		}
		rb, ok := t.RunbookForAlert(r)
		if !ok {
			link := t.RunbookLink(r)
			if link == "" {
				return fmt.Errorf("alert %q has no runbook link and no runbook names it", alert)
			}
			return fmt.Errorf("alert %q links runbook %q, which does not exist", alert, link)
		}
		var problems []string
		if rb.Owner == "" {
			problems = append(problems, "it has no owner")
		}
		if rb.LastReviewed.IsZero() {
			problems = append(problems, "it has no last_reviewed date")
		} else {
			every := time.Duration(rb.ReviewEvery)
			if every == 0 {
				every = time.Duration(t.Config.Lint.Review.Every)
			}
			due := rb.LastReviewed.Time.Add(every)
			if now := s.Env.Clock().Now(); now.After(due) {
				problems = append(problems, fmt.Sprintf("its review was due %s (last reviewed %s)", due.Format(time.DateOnly), rb.LastReviewed.Time.Format(time.DateOnly)))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("runbook %s for alert %q: %s", rb.File, alert, strings.Join(problems, "; "))
		}
		return nil
	}
	return fmt.Errorf("no alert rule named %q in the team's rule files", alert)
}

// runbookRan waits for an acknowledgement after the latest fault and for
// the acknowledging responder's runbook to end well, at most d after the
// acknowledgement. It returns the acknowledgement. In a live drill the
// runbook is the people's, and a step about recovery judges the
// recovery, however it came: there it waits for the acknowledgement only.
func (s *State) runbookRan(ctx context.Context, d time.Duration) (timeline.Event, error) {
	ack, err := s.awaitAck(ctx, d)
	if err != nil || s.live() {
		return ack, err
	}
	return ack, s.runbookEnded(ctx, ack, d)
}

// awaitAck waits for the acknowledgement after the latest fault. It has
// its own step and deadline; this only needs it to happen, within a
// generous bound (1h, or d) so a drill still ends.
func (s *State) awaitAck(ctx context.Context, d time.Duration) (timeline.Event, error) {
	from := s.sinceFault()
	s.tell("waiting for an acknowledgement: drill ack (the page shows the command)")
	ack, err := s.waitFrom(ctx, from, max(time.Hour, d), timeline.OfKind(timeline.Ack, ""))
	if errors.Is(err, timeline.ErrDeadline) {
		return ack, fmt.Errorf("nobody acknowledged the page, so nobody followed the runbook%s", s.pageContext())
	}
	return ack, err
}

// runbookEnded waits for the runbook run after ack to end well, at most
// d after it: a simulated responder's run, or, live, the people marking
// every step done or run (drill runbook).
func (s *State) runbookEnded(ctx context.Context, ack timeline.Event, d time.Duration) error {
	log := s.Env.Log()
	end, err := s.waitFrom(ctx, ack.At, d, timeline.OfKind(timeline.RunbookEnd, ""))
	if err != nil {
		if errors.Is(err, timeline.ErrDeadline) {
			return fmt.Errorf("the runbook did not finish within %s of the acknowledgement by %s%s", fmtDur(d), ack.Subject, s.liveRunbookReport(ack))
		}
		return err
	}
	if st := end.Attrs["status"]; st != "" && st != "ok" && st != "passed" {
		return fmt.Errorf("the runbook %s ended %s: %s%s", end.Subject, st, runbookFailure(log, end), s.liveRunbookReport(ack))
	}
	return nil
}

// followRunbook waits for the runbook to run, then until the condition
// reads good on data (Env.ReadCondition), at most d after the
// acknowledgement. A condition that returns nothing because its data is
// gone (a failing scrape, no fresh sample) is reported as no data, and
// the step keeps waiting.
func (s *State) followRunbook(ctx context.Context, expr string, d time.Duration) error {
	return s.followRunbookWith(ctx, expr, d, nil)
}

// followRunbookWith is followRunbook whose failure ends with what
// lastValue says of the value at the deadline (a built-in measure's
// value); nil words the last reading.
func (s *State) followRunbookWith(ctx context.Context, expr string, d time.Duration, lastValue func() string) error {
	ack, err := s.runbookRan(ctx, d)
	if err != nil {
		return err
	}
	s.tellRunbook(fmt.Sprintf("%q", expr), ack, d)
	last, err := s.awaitRecovery(ctx, recovery{
		subject: expr, recoveredAs: expr,
		read: func(at time.Time) (Reading, string, error) {
			r, err := s.Env.ReadCondition(ctx, expr, at)
			if err != nil {
				return r, "", fmt.Errorf("condition %q: %w", expr, err)
			}
			if r.NoData {
				return r, fmt.Sprintf("condition %q cannot be read: %s; no data is not recovery", expr, r.Detail), nil
			}
			return r, "", nil
		},
		recovered: func(at time.Time, _ Reading) string {
			return fmt.Sprintf("condition true %s after the acknowledgement%s", fmtDur(at.Sub(ack.At)), s.liveRunbookReport(ack))
		},
	}, s.Env.Clock().Now(), ack.At.Add(d))
	switch {
	case !errors.Is(err, timeline.ErrDeadline):
		return err
	case last.NoData:
		return fmt.Errorf("%s %q had no data to read %s after the acknowledgement (%s): no data is not recovery%s", s.ranBut(), expr, fmtDur(d), last.Detail, s.liveRunbookReport(ack))
	}
	last2 := "last reading: " + last.Detail
	if lastValue != nil {
		last2 = lastValue()
	}
	return fmt.Errorf("%s %q was still false %s after the acknowledgement: %s; it never held from %s to %s (%s)%s", s.ranBut(), expr, fmtDur(d), s.noFix(), s.at(ack.At), s.at(ack.At.Add(d)), last2, s.liveRunbookReport(ack))
}

// noFix ends a failure of recovery: the simulated runbook's fix does not
// fix; in a live drill, nothing the people did fixed it.
func (s *State) noFix() string {
	if s.live() {
		return "nothing done in the room fixed it"
	}
	return "the runbook's fix does not fix"
}

// recovery is what a step that credits recovery reads: read returns the
// reading at a drill time and, when the reading is not good but would
// have passed for a recovery without its data (an alert resolved, a
// condition with no data), why it is none.
type recovery struct {
	subject     string // of the RecoveryUnproven events
	recoveredAs string // subject of the Recovered event
	read        func(at time.Time) (r Reading, unproven string, err error)
	recovered   func(at time.Time, r Reading) string // the Recovered event's message
}

// awaitRecovery is the one way a step credits recovery: it reads the data
// at from, then at every evaluation interval until deadline, and at the
// first good reading records the service as recovered (timeline.Recovered,
// stamped with the reading's time) and returns nil. A reading that is
// not good never ends the wait; when it would have passed for recovery
// without its data, it is recorded as timeline.RecoveryUnproven, once per
// reason. At the deadline it returns the last reading and ErrDeadline,
// for the step to word.
func (s *State) awaitRecovery(ctx context.Context, rc recovery, from, deadline time.Time) (Reading, error) {
	log, c := s.Env.Log(), s.Env.Clock()
	var last Reading
	unproven := ""
	for at := from; ; at = c.Now() {
		r, why, err := rc.read(at)
		if err != nil {
			return r, err
		}
		if r.Good {
			log.Append(timeline.Event{At: at, Kind: timeline.Recovered, Subject: rc.recoveredAs, Message: rc.recovered(at, r)})
			return r, nil
		}
		if why != "" && why != unproven {
			log.Append(timeline.Event{At: at, Kind: timeline.RecoveryUnproven, Subject: rc.subject, Message: why})
		}
		unproven, last = why, r
		if !at.Before(deadline) {
			return last, timeline.ErrDeadline
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(c.Now()))); err != nil {
			return last, err
		}
	}
}

// runbookFailure describes the failed step of a runbook run.
func runbookFailure(log *timeline.Log, end timeline.Event) string {
	var last timeline.Event
	for _, e := range log.Events() {
		if e.Kind == timeline.StepEnd && e.Seq < end.Seq && e.Attrs["exit_code"] != "" && e.Attrs["exit_code"] != "0" {
			last = e
		}
	}
	if last.Seq == 0 {
		return end.Message
	}
	out := strings.TrimSpace(last.Attrs["output"])
	if len(out) > 300 {
		out = out[len(out)-300:]
	}
	return fmt.Sprintf("step %q exited %s: %s", last.Subject, last.Attrs["exit_code"], out)
}

// holds evaluates a condition at every evaluation interval for d from
// now and fails the first time it reads false on data, with its drill
// time and the reading. As for measureHolds, a reading with no data (its
// selectors have no fresh sample, or a target it reads failed its scrape)
// is evidence of nothing, not of falsehood: before any data came it is
// waited past; after data came, more than maxDarkReadings in a row fail,
// as they cannot show the condition held; a hold that never read data
// fails too. So a verdict does not flip on one scrape's timing, and no
// data for longer is not holding.
func (s *State) holds(ctx context.Context, expr string, d time.Duration) error {
	c := s.Env.Clock()
	start := c.Now()
	deadline := start.Add(d)
	seen, dark := false, 0
	var darkFrom time.Time
	for {
		_, ok, err := s.Env.Query(ctx, expr)
		if err != nil {
			return fmt.Errorf("condition %q: %w", expr, err)
		}
		now := c.Now()
		switch {
		case ok:
			seen, dark = true, 0
		default:
			// Say whether it read false or had no data to read.
			r, err := s.Env.ReadCondition(ctx, expr, now)
			if err != nil {
				return fmt.Errorf("condition %q: %w", expr, err)
			}
			if r.Good { // a scrape landed between the two reads
				seen, dark = true, 0
				break
			}
			if !r.NoData {
				why := ""
				if r.Detail != "" {
					why = " (" + r.Detail + ")"
				}
				return fmt.Errorf("condition %q stopped holding at %s, %s after it started%s", expr, s.at(now), fmtDur(now.Sub(start)), why)
			}
			if seen {
				if dark == 0 {
					darkFrom = now
				}
				if dark++; dark > maxDarkReadings {
					return fmt.Errorf("condition %q had no data from %s to %s (%s), so it cannot be shown to hold for %s from %s: no data is not holding", expr, s.at(darkFrom), s.at(now), r.Detail, fmtDur(d), s.at(start))
				}
			}
		}
		if !now.Before(deadline) {
			if !seen {
				return fmt.Errorf("condition %q had no data from %s to %s, so it cannot be shown to hold: no data is not holding", expr, s.at(start), s.at(now))
			}
			return nil
		}
		if err := timeline.Sleep(ctx, c, min(s.Env.EvalInterval(), deadline.Sub(now))); err != nil {
			return err
		}
	}
}

func (s *State) successRatio(ctx context.Context, want float64) error {
	s.mu.Lock()
	start := s.startedAt
	s.mu.Unlock()
	window := s.Env.Clock().Now().Sub(start).Round(time.Second)
	if window < time.Minute {
		window = time.Minute
	}
	r := fmt.Sprintf("[%ds]", int(window.Seconds()))
	expr := `sum(increase(drill_traffic_requests_total{outcome="ok"}` + r + `)) / sum(increase(drill_traffic_requests_total{outcome!="dropped"}` + r + `))`
	v, ok, err := s.Env.Query(ctx, expr)
	if err != nil {
		return fmt.Errorf("success ratio: %w", err)
	}
	if !ok || math.IsNaN(v) {
		return errors.New("success ratio: the traffic generator recorded no requests")
	}
	if v < want {
		return fmt.Errorf("the success ratio over the last %s was %.1f%%, below %.1f%%", window, v*100, want*100)
	}
	return nil
}

func (s *State) noOtherAlerts() error {
	var others []string
	seen := map[string]bool{}
	for _, e := range s.Env.Log().Sorted() {
		if e.Kind == timeline.AlertFiring && !s.isExpected(e.Subject) && !seen[e.Subject] {
			seen[e.Subject] = true
			others = append(others, fmt.Sprintf("%s at %s", e.Subject, s.at(e.At)))
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("alerts fired that no step expects: %s", strings.Join(others, ", "))
	}
	return nil
}

func (s *State) provablyFired(ctx context.Context) error {
	ids := s.Faults()
	if len(ids) == 0 {
		return errors.New("no fault was injected")
	}
	ev, err := s.Env.Evidence(ctx)
	if err != nil {
		return err
	}
	var none []string
	for _, id := range ids {
		if ev[id] <= 0 {
			none = append(none, id)
		}
	}
	if len(none) > 0 {
		return fmt.Errorf("no request or connection was affected by %s", strings.Join(none, ", "))
	}
	return nil
}

// followRunbookUntilResolved is followRunbook with the team's own alert as
// the measure of health: the service is back when the alert that fired
// has resolved and its condition reads good on data (Env.ReadAlert). An
// alert that resolves because its series vanished (the service died, its
// /metrics fails) or because its expression returned no sample for an
// evaluation is not a recovery: the step records why and keeps waiting.
func (s *State) followRunbookUntilResolved(ctx context.Context, d time.Duration) error {
	fired, err := s.firstExpectedFiringEvent()
	if err != nil {
		return err
	}
	ack, err := s.runbookRan(ctx, d)
	if err != nil {
		return err
	}
	alert, deadline := fired.Subject, ack.At.Add(d)
	s.tellRunbook(fmt.Sprintf("alert %s resolving with its condition good on data", alert), ack, d)
	stillFires := fmt.Errorf("%s alert %q still fired %s after the acknowledgement: %s%s", s.ranBut(), alert, fmtDur(d), s.noFix(), s.liveRunbookReport(ack))
	res, err := s.waitFrom(ctx, fired.At, deadline.Sub(fired.At), timeline.OfKind(timeline.AlertResolved, alert))
	if errors.Is(err, timeline.ErrDeadline) {
		return stillFires
	}
	if err != nil {
		return err
	}
	// Resolved before the ack: back once acknowledged, if it reads so.
	last, active, err := s.awaitResolvedOnData(ctx, alert, later(res.At, ack.At), deadline, func(at time.Time, r Reading) string {
		return fmt.Sprintf("alert %s resolved %s after the acknowledgement, and its condition reads good on data: %s%s", alert, fmtDur(at.Sub(ack.At)), r.Detail, s.liveRunbookReport(ack))
	})
	switch {
	case !errors.Is(err, timeline.ErrDeadline):
		return err
	case active:
		return stillFires
	case last.NoData:
		return fmt.Errorf("%s alert %q never read good on data within %s of the acknowledgement; it resolved at %s, and then: %s; no data is not recovery%s",
			s.ranBut(), alert, fmtDur(d), s.at(res.At), last.Detail, s.liveRunbookReport(ack))
	}
	return fmt.Errorf("%s, and alert %q resolved at %s, but its condition still read bad %s after the acknowledgement (%s): %s%s",
		s.ranWho(), alert, s.at(res.At), fmtDur(d), last.Detail, s.noFix(), s.liveRunbookReport(ack))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// expect marks an alert as expected by the scenario.
func (s *State) expect(alert string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected[alert] = true
	delete(s.tolerated, alert) // a step waited for it
}

// pendingContext names alerts whose firing since from was noise and
// alerts that went pending but never fired, for a detection failure.
func (s *State) pendingContext(from time.Time) string {
	var notes []string
	seen := map[string]bool{}
	for _, e := range s.noise("", from) {
		if !seen[e.Subject] {
			seen[e.Subject] = true
			notes = append(notes, s.noiseNote(e))
		}
	}
	var names []string
	for _, e := range s.Env.Log().Events() {
		if e.Kind == timeline.AlertPending && !seen[e.Subject] {
			seen[e.Subject] = true
			names = append(names, e.Subject)
		}
	}
	if len(names) > 0 {
		notes = append(notes, "pending but never firing: "+strings.Join(names, ", "))
	}
	if len(notes) == 0 {
		return " (no alert even went pending)"
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// defaultWait is how long a step whose deadline may be left out waits
// when it is: as long as `the runbook is followed` does.
const defaultWait = "1h"

// durationOr reads a step's optional duration: def when it was left out.
func durationOr(d, def string) (time.Duration, error) {
	if d == "" {
		d = def
	}
	return ParseDuration(d)
}
