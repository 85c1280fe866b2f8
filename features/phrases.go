package features

// The phrasings steps share, as data: each catalog step's variants are
// built from these, so a synonym added here is accepted by every step
// that says the same thing. The syntax is that of Step.Form: [optional],
// (one|or|another), {kind} values of the value grammar.
const (
	// world is what "the team's environment" may be called.
	world = `(environment|world|stack|setup|drill environment)`
	// running is how a world is said to be up.
	running = `[up and ](running|up|started|ready)`
	// steady is steady traffic.
	steady = `(steady|constant|continuous|background)[ request] (traffic|load)`
	// away is a responder who cannot answer.
	away = `(unavailable|unreachable|away|on holiday|on vacation|on leave|on PTO|out|offline|not available|not reachable|out of office|off duty|off shift|sick|off sick|asleep)`

	// returns is a provider or API answering with a status.
	returns = `(returns|answers|answers with|responds with|fails with|starts failing with|begins failing with|starts to fail with|starts returning|starts to return|begins returning|errors with|returns errors with|throws)`
	// status is an HTTP status, as a trainer may dress it.
	status = `[an |a ][HTTP |status ]{status}[s][ errors| error| responses| status]`
	// share is the share of requests a fault hits.
	share = `(for|on|to|in) {percent} of [the |all ](requests|calls|answers|prompts|traffic)`
	// every is "every request", said of an API's answers.
	every = `(to|for|on) (every|each|all) (request|call|requests|calls)`
	// down is a provider's or API's outage.
	down = `([(goes|is|becomes) ](down|unreachable|offline|unavailable|out)[ completely]|(has|suffers) an outage|(fails|stops answering|stops responding) completely|goes dark)`
	// bills is a billing spike: the provider reports more tokens than it used.
	bills = `[starts to |starts ](bills|bill|billing|charges|charging|charges for|reports|reporting|counts|overbills|overcharges) {factor} [the |more ][usual |normal |real |actual ](tokens|token usage|usage|the tokens)[ (per|on every|for every|for each|on each) (request|call)]`
	// tokenUsage is what a provider reports it used; goesUp is it
	// multiplying, by a factor that follows.
	tokenUsage = `(token usage|token count|token bill|reported tokens|reported token usage|reported usage)`
	goesUp     = `(goes up|rises|grows|jumps|increases|multiplies|spikes|go up|rise|grow|jump|increase|multiply|spike) [by ]{factor}`
	// quota is running out of quota.
	quota = `(runs out of|exhausts its|exhausts the|hits its|exceeds its|is out of|has no) quota`
	// quotaGone is a quota used up.
	quotaGone = `(runs out|is exhausted|is used up|is gone)`
	// gives is a provider starting to answer badly.
	gives = `[(starts|begins) ](gives|giving|to give|answers with|answering with|responds with|responding with|replies with|returns|returning|to return|sends|sending|to send|produces|producing|to produce)`
	// wrong is a wrong answer.
	wrong = `(wrong|incorrect|bad|low-quality|low quality|inaccurate) (answers|responses|output|results)`
	// garbage is an answer that is not language.
	garbage = `(garbage|random tokens|gibberish|nonsense)[ answers| responses| output]`
	// loops is a model that keeps calling tools.
	loops = `(calls tools without end|keeps calling tools|loops on tool calls|never stops calling tools|asks for another tool call (on|in|with|after) every answer|always asks for another tool call|calls tools forever|runs away with tool calls)`
	// primary is the first provider of drill.yaml.
	primary = `the (primary|first|main) provider`
	// firstStub is the first stub of drill.yaml.
	firstStub = `the first (third-party API|stub|external API|third-party service)`
	// api is what a stub is, after its name.
	api = `(API|service|vendor|dependency|tool|endpoint)`
	// hangs is an API that never answers.
	hangs = `(times out|hangs|stops answering|never answers|stops responding|blackholes requests|does not answer)`
	// startsHanging is an API or provider that starts to time out.
	startsHanging = `(starts to time out|starts timing out|begins to time out|begins timing out|times out on every request)`

	// fires is an alert firing.
	fires = `(fires|is firing|goes off|triggers|is triggered|starts firing|should fire|will fire|must fire|is raised)`
	// within is a deadline.
	within = `(within|in|in under|in less than|inside|before|by)`
	// quiet is an alert that does not fire.
	quiet = `(does not fire|doesn't fire|should not fire|must not fire|never fires|stays quiet|stays silent|stays resolved|does not go off|stays off)`
	// oncall is whoever is on call.
	oncall = `(an on-call responder|the on-call|the on-call engineer|an on-call engineer|the on-call responder|someone on call|someone|somebody|a member|the responder|a responder|the engineer on call|on-call|an engineer|the engineer)`
	// subject is what is acknowledged: the page, or the alert that paged.
	subject = `(the page|it|the alert|the incident)`
	// followingRunbook is the responder carrying out the runbook.
	followingRunbook = `[after ](following|running|executing|applying|carrying out) the runbook[,]`
	// above is a measure staying over a bound.
	above = `(stays above|remains above|is above|is at least|stays at least|does not drop below|doesn't drop below|never drops below|does not fall below|doesn't fall below|never falls below|stays over|is over|stays at or above|stays higher than|should stay above|must stay above|should remain above|should be above|should not drop below|must not drop below|should not fall below|is|stays)`
)

// downBoth is two providers' outage, said of both at once.
const downBoth = `((go|are|both go|are both|both are|both become|become) (down|unreachable|offline|unavailable|out)[ together| at once| at the same time]|(both fail|fail together|fail at once|fail at the same time|both have an outage|have an outage together|suffer an outage together))`

// below is a measure staying under a bound.
const below = `(stays below|remains below|is below|stays under|is under|remains under|does not go above|doesn't go above|never goes above|does not rise above|doesn't rise above|never rises above|does not exceed|doesn't exceed|never exceeds|stays at most|is at most|stays lower than|stays|stay below|remain below|are below|stay under|are under|remain under|do not go above|don't go above|never go above|do not exceed|don't exceed|never exceed|stay at most|are at most|should stay below|must stay below|should remain below|should be below|should stay under|should not go above|must not go above|should not exceed|must not exceed|stay)`

// backAbove is a measure coming good above a bound.
const backAbove = `(is|gets|goes|comes|is back|gets back|goes back|comes back|returns|recovers|climbs|rises|should be|should get|should go|should come|should return|should recover|should climb|should rise|must be)[ back][ to] (above|over)`

// backBelow is a measure coming good below a bound.
const backBelow = `(is|gets|goes|comes|is back|gets back|goes back|comes back|returns|recovers|drops|falls|are|get|go|come|are back|get back|go back|come back|return|recover|drop|fall|should be|should get|should go|should come|should return|should recover|should drop|should fall|must be)[ back][ to] (below|under)`

// slows is an API answering slowly.
const slows = `(is slow|gets slow|becomes slow|slows down|responds slowly|answers slowly|gets slower|is slower)`

// rises is a measure reaching a bound from below: the fault showing
// where users are (the error ratio, spend or latency going up).
const rises = `(goes above|goes over|goes up to|goes past|goes beyond|goes higher than|rises above|rises over|rises to|rises past|climbs above|climbs over|climbs to|jumps above|jumps over|jumps to|spikes above|spikes over|spikes to|shoots above|shoots up to|gets above|gets over|gets higher than|exceeds|passes|reaches|hits|is above|is over|is at least|is higher than|is more than|is greater than|go above|go over|go up to|go past|go beyond|rise above|rise over|rise to|climb above|climb to|jump above|jump to|spike above|spike to|get above|exceed|pass|reach|hit|are above|are over|are at least|are higher than|are more than|should go above|should go over|should rise above|should exceed|should reach|should hit|should be above|should climb above|should spike above|should be at least|will go above|will exceed|will reach)`

// drops is a measure reaching a bound from above: the success ratio
// going down.
const drops = `(drops below|drops under|drops to|drops lower than|falls below|falls under|falls to|falls lower than|goes below|goes under|goes down to|goes lower than|dips below|dips under|dips to|sinks below|sinks to|gets below|gets lower than|is below|is under|is at most|is lower than|is less than|should drop below|should fall below|should go below|should be below|should dip below|should be at most|will drop below|will fall below)`

// inWithin is an optional deadline at the end of a step.
const inWithin = `[ ` + within + ` {duration}]`

// rateLimits is a provider limiting the rate of requests.
const rateLimits = `(is rate limited|is rate-limited|gets rate limited|gets rate-limited|rate limits|rate-limits|throttles|is throttled|gets throttled|limits|caps)`

// The built-in measures, as trainers name them. The success ratio is the
// traffic generator's, not the quality canaries': "the canary success
// rate" is no name of it.
const (
	// errorName is the built-in error ratio.
	errorName = `([the ][service's |service ](error|failure) (ratio|rate|share)|[the ]errors|[the ]failures)`
	// successName is the built-in success ratio.
	successName = `[the ][service's |service ](success (ratio|rate)|availability)`
	// canaryName is the built-in canary success ratio.
	canaryName = `[the ](canary success (ratio|rate)|canary pass (ratio|rate)|canaries' success (ratio|rate)|success (ratio|rate) of [the ](canaries|canary requests|canary prompts))`
	// canaries are the traffic generator's canary requests.
	canaries = `(canaries|canary requests|canary prompts|canary answers)`
	// spendName is the built-in spend.
	spendName = `[the ](spend|spending|cost|costs|spend rate|cost rate|bill|burn rate)`
	// perMin is spend's unit after an amount: per minute, a minute, /min.
	perMin = `( (per|a|every) (minute|min)|/(minute|min))`
	// latencyName is the built-in latency p95: the client-side 95th
	// percentile, which plain "latency" and "response time" name too.
	latencyName = `[the ][service's |client ](latency p95|p95 latency|95th percentile latency|latency at p95|p95|p95 response time|response time p95|latency|response times|response time)`
)

// paged is someone getting a page.
const paged = `(is paged|gets the page|receives the page|gets paged|should be paged|must be paged|will be paged|should get paged|should get the page|should receive the page)`

// backToNormal is a measure coming back with no bound given, which a
// step cannot judge: it is refused saying what bound to add.
const backToNormal = `(goes back to normal|returns to normal|is back to normal|gets back to normal|comes back to normal|is normal again|recovers|is healthy again|goes back to what it was|returns to its baseline|is back to its baseline)`
