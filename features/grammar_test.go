package features

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stepLine is a step line (without its keyword) and what it must be read
// as: the canonical form of its step and its arguments.
type stepLine struct {
	text string
	form string
	args []string
}

// The lines of issue 18, verbatim (keywords dropped), each accepted as
// the step a reader takes it for.
var issueLines = []stepLine{
	{`alert "LLMProviderDown" fires within 10 minutes`, `alert {alert} fires within {duration}`, []string{"LLMProviderDown", "10m"}},
	{`provider "openai" slows down by 2 seconds`, `provider {provider} slows down by {latency}`, []string{"openai", "2000", ""}},
	{`the team's drill environment is running`, `the team's environment is running`, []string{}},
	{`provider "openai" bills 10x tokens per request`, `provider {provider} bills {factor} tokens`, []string{"openai", "10", ""}},
	{`provider "openai" asks for another tool call on every answer`, `provider {provider}'s model calls tools without end`, []string{"openai", ""}},
	{`provider "openai" starts giving wrong answers to 30% of requests`, `provider {provider} gives wrong answers[ to {percent} of requests]`, []string{"openai", "30", ""}},
	{`it is acknowledged within 15 minutes`, `the page is acknowledged within {duration}`, []string{"15m"}},
	{`the on-call engineer acknowledges the page within 10 minutes`, `the page is acknowledged within {duration}`, []string{"10m"}},
	{`the alert resolves within 20 minutes`, `the alert resolves[ within {duration}]`, []string{"20m"}},
	{`the runbook is followed`, `the runbook is followed[ within {duration}]`, []string{""}},
	{`following the runbook brings spend below $2 per minute within 20 minutes`, `following the runbook brings spend below {money} per minute[ within {duration}]`, []string{"2", "20m"}},
	{`following the runbook brings the service's success ratio above 99%`, `following the runbook brings the service's success ratio above {percent}[ within {duration}]`, []string{"99", ""}},
	{`the page reaches the on-call of team "ml-platform" within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
}

// Phrasings the catalog documents, one or more per step, with the
// arguments each must give: the table of variants.
var variantLines = []stepLine{
	{`the environment is up`, `the team's environment is running`, []string{}},
	{`constant traffic of 300 per minute`, `steady traffic of {rate}`, []string{"5"}},
	{`steady traffic of 5 rps`, `steady traffic of {rate}`, []string{"5"}},
	{`steady traffic of 4 requests per second using the agent mix`, `steady traffic of {rate} with the {mix} mix`, []string{"4", "agent"}},
	{`alice is on holiday`, `responder {responder} is unavailable`, []string{"alice"}},
	{`the drill clock runs at 60x`, `the drill clock runs at speed {number}`, []string{"60"}},
	{`a control window of an hour`, `a control window of {duration}`, []string{"1h"}},
	{`a 5m control window`, `a control window of {duration}`, []string{"5m"}},
	{`provider openai returns 503 for 30 percent of requests for 10 minutes, then recovers`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "503", "30", "10m"}},
	{`30% of requests to provider "openai" fail with 529`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "529", "30", ""}},
	{`the provider "openai" goes down for 1h30m`, `provider {provider} is down`, []string{"openai", "1h30m"}},
	{`provider "openai" adds 3000ms of latency to every request`, `provider {provider} slows down by {latency}`, []string{"openai", "3000", ""}},
	{`provider "openai" charges ten times the usual tokens`, `provider {provider} bills {factor} tokens`, []string{"openai", "10", ""}},
	{`provider "openai" exhausts its quota`, `provider {provider} runs out of quota`, []string{"openai", ""}},
	{`the provider "azure"'s content filter blocks prompts for 20% of requests`, `provider {provider}'s content filter refuses prompts[ for {percent} of requests]`, []string{"azure", "20", ""}},
	{`provider "openai" starts returning garbage for 20% of requests`, `responses from provider {provider} become garbage[ for {percent} of requests]`, []string{"openai", "20", ""}},
	{`the streams from provider "openai" are cut off after twenty tokens`, `the stream from provider {provider} is cut after {count} tokens`, []string{"openai", "20", ""}},
	{`the "search" API hangs`, `the {stub} API times out`, []string{"search", ""}},
	{`the search service answers with 503 to every request`, `the {stub} API returns {status}[ for {percent} of requests]`, []string{"search", "503", "", ""}},
	{`the search API is down for 15 minutes`, `the {stub} API is down`, []string{"search", "15m"}},
	{`the "search" API breaks its response format`, `the {stub} API changes its schema`, []string{"search", ""}},
	{`both providers "primary" and "secondary" go down for 10 minutes, then recover`, `providers {provider} and {provider} are down`, []string{"primary", "secondary", "10m"}},
	{`provider "primary" and provider "secondary" fail together`, `providers {provider} and {provider} are down`, []string{"primary", "secondary", ""}},
	{`provider "primary" goes down, and provider "secondary" too`, `providers {provider} and {provider} are down`, []string{"primary", "secondary", ""}},
	{`the provider "primary" and its fallback "secondary" go down at once`, `providers {provider} and {provider} are down`, []string{"primary", "secondary", ""}},
	{`the following faults happen at the same time for 10 minutes:`, `these faults start at once`, []string{"10m"}},
	{`inject these faults together`, `these faults start at once`, []string{""}},
	{`the success rate stays above 99% for the next 10 minutes`, `the service's success ratio stays above {percent} for {duration}`, []string{"99", "10m"}},
	{`the error rate stays under 5 percent for 10 minutes`, `the service's error ratio stays below {percent}[ for {duration}]`, []string{"5", "10m"}},
	{`no more than 5% of requests fail`, `the service's error ratio stays below {percent}[ for {duration}]`, []string{"5", ""}},
	{`the spend never exceeds 2 dollars per minute over 20 minutes`, `spend stays below {money} per minute[ for {duration}]`, []string{"2", "20m"}},
	{`spend stays below $2 per minute`, `spend stays below {money} per minute[ for {duration}]`, []string{"2", ""}},
	{`the p95 latency stays below 1500ms for 5 minutes`, `latency p95 stays below {latency}[ for {duration}]`, []string{"1500", "5m"}},
	{`after following the runbook, brings p95 latency under 2s within 10 minutes`, `following the runbook brings latency p95 below {latency}[ within {duration}]`, []string{"2000", "10m"}},
	{`following the runbook makes the following condition true within 10 minutes:`, `following the runbook brings this condition true within {duration}`, []string{"10m"}},
	{`the condition below stays true for 5 minutes:`, `this condition holds for {duration}`, []string{"5m"}},
	{`the success ratio is back above 99% within 15 minutes`, `the service's success ratio is above {percent} within {duration}`, []string{"99", "15m"}},
	{`the service's error rate drops below 1% in 10 minutes`, `the service's error ratio is below {percent} within {duration}`, []string{"1", "10m"}},
	{`spend gets back under $2 per minute within 20 minutes`, `spend is below {money} per minute within {duration}`, []string{"2", "20m"}},
	{`p95 latency is below 800ms within 5 minutes`, `latency p95 is below {latency} within {duration}`, []string{"800", "5m"}},
	{`provider "openai" starts timing out for 10 minutes`, `provider {provider} times out`, []string{"openai", "10m"}},
	{`the provider "openai" hangs`, `provider {provider} times out`, []string{"openai", ""}},
	{`provider openai is throttled to 30 requests per minute`, `provider {provider} is rate limited to {rate}`, []string{"openai", "0.5", ""}},
	{`provider "openai" throttles us to 60 rpm for 20 minutes`, `provider {provider} is rate limited to {rate}`, []string{"openai", "1", "20m"}},
	{`the provider "openai" caps requests at 2 requests per second`, `provider {provider} is rate limited to {rate}`, []string{"openai", "2", ""}},
	// The bad side of the built-in measures: the fault shows where users are.
	{`the error ratio goes above 5% within 5 minutes`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"5", "5m"}},
	{`the service's error rate rises above 10%`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"10", ""}},
	{`the service has 50% errors`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"50", ""}},
	{`half the requests fail`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"50", ""}},
	{`at least 30% of requests fail within 10 minutes`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"30", "10m"}},
	{`users see 20 percent errors in 5 minutes`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"20", "5m"}},
	{`the success ratio drops below 90% within 10 minutes`, `the service's success ratio drops below {percent}[ within {duration}]`, []string{"90", "10m"}},
	{`only half of the requests succeed`, `the service's success ratio drops below {percent}[ within {duration}]`, []string{"50", ""}},
	{`spend goes above $3 per minute within 5 minutes`, `spend goes above {money} per minute[ within {duration}]`, []string{"3", "5m"}},
	{`spend rises above $5 per minute`, `spend goes above {money} per minute[ within {duration}]`, []string{"5", ""}},
	{`the cost per minute exceeds 4 dollars within ten minutes`, `spend goes above {money} per minute[ within {duration}]`, []string{"4", "10m"}},
	{`latency p95 goes above 3 seconds within 5 minutes`, `latency p95 goes above {latency}[ within {duration}]`, []string{"3000", "5m"}},
	{`the p95 latency climbs over 1500ms`, `latency p95 goes above {latency}[ within {duration}]`, []string{"1500", ""}},
	// The canary success ratio: the quality canaries' share answered right.
	{`the canary success rate drops below 80% within 10 minutes`, `the canary success ratio drops below {percent}[ within {duration}]`, []string{"80", "10m"}},
	{`fewer than 90% of canary requests pass`, `the canary success ratio drops below {percent}[ within {duration}]`, []string{"90", ""}},
	{`the canary pass rate stays above 95% for 10 minutes`, `the canary success ratio stays above {percent}[ for {duration}]`, []string{"95", "10m"}},
	{`at least 99% of the canaries pass`, `the canary success ratio stays above {percent}[ for {duration}]`, []string{"99", ""}},
	{`the canary success ratio is back above 99% within 15 minutes`, `the canary success ratio is above {percent} within {duration}`, []string{"99", "15m"}},
	{`following the runbook brings the canary success rate back above 99% within 20 minutes`, `following the runbook brings the canary success ratio above {percent}[ within {duration}]`, []string{"99", "20m"}},
	{`after following the runbook, the canary success ratio gets back above 99%`, `following the runbook brings the canary success ratio above {percent}[ within {duration}]`, []string{"99", ""}},
	// The measures' names and verbs are shared by every measure step.
	{`errors go above 5% within 5 minutes`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"5", "5m"}},
	{`the failure rate is higher than 20%`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"20", ""}},
	{`more than 5% of requests fail within 5 minutes`, `the service's error ratio goes above {percent}[ within {duration}]`, []string{"5", "5m"}},
	{`the failure rate stays below 2%`, `the service's error ratio stays below {percent}[ for {duration}]`, []string{"2", ""}},
	{`errors stay under 1% for 10 minutes`, `the service's error ratio stays below {percent}[ for {duration}]`, []string{"1", "10m"}},
	{`errors are back under 1% within 15 minutes`, `the service's error ratio is below {percent} within {duration}`, []string{"1", "15m"}},
	{`the success rate is lower than 90%`, `the service's success ratio drops below {percent}[ within {duration}]`, []string{"90", ""}},
	{`availability stays above 99.5% for 30 minutes`, `the service's success ratio stays above {percent} for {duration}`, []string{"99.5", "30m"}},
	{`spend goes above $5/minute`, `spend goes above {money} per minute[ within {duration}]`, []string{"5", ""}},
	{`the bill stays under $2 per min`, `spend stays below {money} per minute[ for {duration}]`, []string{"2", ""}},
	{`latency goes above 3 seconds within 5 minutes`, `latency p95 goes above {latency}[ within {duration}]`, []string{"3000", "5m"}},
	{`response times go above 2 seconds`, `latency p95 goes above {latency}[ within {duration}]`, []string{"2000", ""}},
	{`the p95 response time stays below 800ms`, `latency p95 stays below {latency}[ for {duration}]`, []string{"800", ""}},
	// The mood of a cucumber Then: should, must, will.
	{`the on-call engineer should be paged within 5 minutes`, `someone is paged[ within {duration}]`, []string{"5m"}},
	{`team "ml-platform" should be paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`the page should be acknowledged within 10 minutes`, `the page is acknowledged within {duration}`, []string{"10m"}},
	{`the alert should resolve within 30 minutes`, `the alert resolves[ within {duration}]`, []string{"30m"}},
	{`the runbook should be followed within 20 minutes`, `the runbook is followed[ within {duration}]`, []string{"20m"}},
	{`the error rate should stay below 1% for 10 minutes`, `the service's error ratio stays below {percent}[ for {duration}]`, []string{"1", "10m"}},
	{`the success ratio should stay above 99%`, `the service's success ratio stays above {percent}`, []string{"99"}},
	{`spend should exceed $5 per minute within 10 minutes`, `spend goes above {money} per minute[ within {duration}]`, []string{"5", "10m"}},
	{`the success rate should drop below 90%`, `the service's success ratio drops below {percent}[ within {duration}]`, []string{"90", ""}},
	{`the error rate should be back below 1% within 20 minutes`, `the service's error ratio is below {percent} within {duration}`, []string{"1", "20m"}},
	{`an incident commander should be assigned within 10 minutes`, `an incident commander is assigned within {duration}`, []string{"10m"}},
	{`a status update should be posted within 15 minutes`, `a status update is posted within {duration}`, []string{"15m"}},
	{`the fault should have fired`, `the fault provably fired`, []string{}},
	{`the runbook owner should be paged`, `the runbook owner is paged`, []string{}},
	// Faults of the third-party family, in words.
	{`the "search" API returns empty results for 10 minutes`, `the {stub} API returns empty results`, []string{"search", "10m"}},
	{`the search service starts returning no results`, `the {stub} API returns empty results`, []string{"search", ""}},
	{`the "search" API rate limits us`, `the {stub} API rate limits requests`, []string{"search", ""}},
	{`the search vendor is throttled for 5 minutes, then recovers`, `the {stub} API rate limits requests`, []string{"search", "5m"}},
	{`the "search" API's credentials expire`, `the {stub} API's credentials expire`, []string{"search", ""}},
	{`the search API key has expired`, `the {stub} API's credentials expire`, []string{"search", ""}},
	{`the "search" API rejects our credentials`, `the {stub} API's credentials expire`, []string{"search", ""}},
	{`the "search" API returns malformed responses`, `the {stub} API returns malformed responses`, []string{"search", ""}},
	{`the search API starts sending invalid JSON`, `the {stub} API returns malformed responses`, []string{"search", ""}},
	// A provider's errors on every request, or a share.
	{`provider "openai" starts returning 500s`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "500", "", ""}},
	{`provider "openai" returns 429 to every request`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "429", "", ""}},
	{`provider "openai" rejects all requests with 401`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "401", "", ""}},
	{`provider "openai" returns 503s for 20% of requests`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "503", "20", ""}},
	{`the primary provider returns 500`, `the primary provider returns {status}[ for {percent} of requests]`, []string{"500", "", ""}},
	{`the team gets paged within 5 minutes`, `someone is paged[ within {duration}]`, []string{"5m"}},
	{`the ml-platform on-call is paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`provider "openai" latency increases by 2 seconds`, `provider {provider} slows down by {latency}`, []string{"openai", "2000", ""}},
	{`the page escalates to "bob" within 15 minutes`, `the page reaches responder {responder} within {duration}`, []string{"bob", "15m"}},
	{`the page reaches the responder bob within 15 minutes`, `the page reaches responder {responder} within {duration}`, []string{"bob", "15m"}},
	{`responder "bob" gets paged within 15 minutes`, `the page reaches responder {responder} within {duration}`, []string{"bob", "15m"}},
	{`the token usage of provider "openai" goes up 10x`, `provider {provider} bills {factor} tokens`, []string{"openai", "10", ""}},
	{`provider "openai"'s reported tokens jump by 5 times for 20 minutes`, `provider {provider} bills {factor} tokens`, []string{"openai", "5", "20m"}},
	// The world, in more of a trainer's words.
	{`our environment is up`, `the team's environment is running`, []string{}},
	{`traffic of 20 requests per second`, `steady traffic of {rate}`, []string{"20"}},
	{`a steady 10 rps of traffic`, `steady traffic of {rate}`, []string{"10"}},
	{`the drill clock runs 60 times faster`, `the drill clock runs at speed {number}`, []string{"60"}},
	{`bob is on leave`, `responder {responder} is unavailable`, []string{"bob"}},
	{`there are no false alarms`, `no other alert fires`, []string{}},
	{`no false alarms`, `no other alert fires`, []string{}},
	{`provider "openai" quota is exhausted`, `provider {provider} runs out of quota`, []string{"openai", ""}},
	{`provider "openai" quality degrades`, `provider {provider} gives wrong answers[ to {percent} of requests]`, []string{"openai", "", ""}},
	// Faults and responses, in more of a trainer's words.
	{`provider "openai" has a 5 second delay`, `provider {provider} slows down by {latency}`, []string{"openai", "5000", ""}},
	{`provider "openai" responds 3 seconds slower for 10 minutes`, `provider {provider} slows down by {latency}`, []string{"openai", "3000", "10m"}},
	{`provider "openai" answers 25% of requests wrongly`, `provider {provider} gives wrong answers[ to {percent} of requests]`, []string{"openai", "25", ""}},
	{`provider "openai" is down for ten minutes, then comes back`, `provider {provider} is down`, []string{"openai", "10m"}},
	{`the "search" API starts timing out`, `the {stub} API times out`, []string{"search", ""}},
	{`the on-call acknowledges within 10 minutes`, `the page is acknowledged within {duration}`, []string{"10m"}},
	{`the on-call of "ml-platform" is paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`someone from the ml-platform team is paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`someone on call gets paged within 5 minutes`, `someone is paged[ within {duration}]`, []string{"5m"}}, // "on call" is no team
	{`an engineer from team "ml-platform" gets paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`following the runbook fixes the problem within 30 minutes`, `following the runbook brings the service back within {duration}`, []string{"30m"}},
	{`the fault fired`, `the fault provably fired`, []string{}},
	// A runbook step with the measure coming good after it.
	{`after following the runbook, the success ratio gets back above 99% within 20 minutes`, `following the runbook brings the service's success ratio above {percent}[ within {duration}]`, []string{"99", "20m"}},
	{`after running the runbook, the error rate drops below 1%`, `following the runbook brings the service's error ratio below {percent}[ within {duration}]`, []string{"1", ""}},
	{`following the runbook, spend falls below $2 per minute within 15 minutes`, `following the runbook brings spend below {money} per minute[ within {duration}]`, []string{"2", "15m"}},
	{`after following the runbook, p95 latency is back below 2 seconds within 10 minutes`, `following the runbook brings latency p95 below {latency}[ within {duration}]`, []string{"2000", "10m"}},
	{`the "search" API is slow`, `the {stub} API slows down[ by {latency}]`, []string{"search", "", ""}},
	{`the search service responds slowly by 2 seconds for 5 minutes`, `the {stub} API slows down[ by {latency}]`, []string{"search", "2000", "5m"}},
	{`provider "openai" fails 30% of requests with 503`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "503", "30", ""}},
	{`provider "openai" responds with garbage`, `responses from provider {provider} become garbage[ for {percent} of requests]`, []string{"openai", "", ""}},
	{`traffic is 5 requests per second`, `steady traffic of {rate}`, []string{"5"}},
	{`there is steady traffic of 5 rps`, `steady traffic of {rate}`, []string{"5"}},
	{`responder "alice" does not answer pages`, `responder {responder} is unavailable`, []string{"alice"}},
	{`the drill runs at 60x speed`, `the drill clock runs at speed {number}`, []string{"60"}},
	{`the alert fires within 5 minutes`, `an alert fires within {duration}`, []string{"5m"}},
	{`the cost per minute stays under $2`, `spend stays below {money} per minute[ for {duration}]`, []string{"2", ""}},
	{`no alerts go off for the next 30 minutes`, `no alert fires within {duration}`, []string{"30m"}},
	{`all alerts stay quiet for 30 minutes`, `no alert fires within {duration}`, []string{"30m"}},
	{`the on-call is paged within 5 minutes`, `someone is paged[ within {duration}]`, []string{"5m"}},
	{`the alert reaches someone within 5 minutes`, `someone is paged[ within {duration}]`, []string{"5m"}},
	{`traffic spikes by 3x for 10 minutes`, `traffic surges {factor}`, []string{"3", "10m"}},
	{`the main provider returns 503 for 90% of requests`, `the primary provider returns {status}[ for {percent} of requests]`, []string{"503", "90", ""}},
	{`the primary provider keeps calling tools`, `the primary provider's model calls tools without end`, []string{""}},
	{`40% of the answers from provider "openai" are wrong`, `provider {provider} gives wrong answers[ to {percent} of requests]`, []string{"openai", "40", ""}},
	{`the main provider goes offline`, `the primary provider is down`, []string{""}},
	{`the primary provider overcharges 3x tokens`, `the primary provider bills {factor} tokens`, []string{"3", ""}},
	{`the first provider starts giving incorrect answers`, `the primary provider gives wrong answers[ to {percent} of requests]`, []string{"", ""}},
	{`the answers from the primary provider turn into gibberish`, `responses from the primary provider become garbage[ for {percent} of requests]`, []string{"", ""}},
	{`the first third-party API is unreachable`, `the first third-party API is down`, []string{""}},
	{`the first stub returns 500`, `the first third-party API returns {status}`, []string{"500", ""}},
	{`inject fault "provider-error" into "openai" with status=529, probability=0.5 for 10m`, `fault {fault} hits {target}[ with {params}]`, []string{"provider-error", "openai", "status=529, probability=0.5", "10m"}},
	{`the LLMSpendSpike alert goes off in under 10 minutes`, `alert {alert} fires within {duration}`, []string{"LLMSpendSpike", "10m"}},
	{`an alert fires within half an hour`, `an alert fires within {duration}`, []string{"30m"}},
	{`alert "LLMLatencyHigh" might fire`, `alert {alert} may fire`, []string{"LLMLatencyHigh"}},
	{`alert "LLMProviderDown" stays quiet for 15 minutes`, `alert {alert} does not fire within {duration}`, []string{"LLMProviderDown", "15m"}},
	{`team "ml-platform" is paged within 5 minutes`, `the page reaches an on-call responder of team {team} within {duration}`, []string{"ml-platform", "5m"}},
	{`the alert is acked in 10m`, `the page is acknowledged within {duration}`, []string{"10m"}},
	{`alert "LLMSpendSpike" has a fresh runbook`, `alert {alert} links a runbook that exists, is fresh and has an owner`, []string{"LLMSpendSpike"}},
	{`running the runbook makes "up == 1" true within 10 minutes`, `following the runbook brings {promql} true within {duration}`, []string{"up == 1", "10m"}},
	{`following the runbook, the service recovers within 15 minutes`, `following the runbook brings the service back within {duration}`, []string{"15m"}},
	{`the on-call engineer follows the runbook within 20 minutes`, `the runbook is followed[ within {duration}]`, []string{"20m"}},
	{`it clears within 20m`, `the alert resolves[ within {duration}]`, []string{"20m"}},
	{`alert "LLMProviderDown" stops firing within 20 minutes`, `alert {alert} resolves within {duration}`, []string{"LLMProviderDown", "20m"}},
	{`running the runbook brings the error rate back below 1 percent in 15 minutes`, `following the runbook brings the service's error ratio below {percent}[ within {duration}]`, []string{"1", "15m"}},
	{`"up == 1" stays true for 5 minutes`, `{promql} holds for {duration}`, []string{"up == 1", "5m"}},
	{`the success rate stays above 95 percent`, `the service's success ratio stays above {percent}`, []string{"95"}},
	{`there are no false alarms`, `no other alert fires`, []string{}},
	{`someone claims the role "communications_lead" within 15 minutes`, `role {role} is assigned within {duration}`, []string{"communications_lead", "15m"}},
	{`the IC is named within 5 minutes`, `an incident commander is assigned within {duration}`, []string{"5m"}},
	{`the IC isn't the engineer who runs the runbook`, `the incident commander is not the person executing the runbook`, []string{}},
	{`a status update is sent within 15 minutes`, `a status update is posted within {duration}`, []string{"15m"}},
	{`the owner of the runbook gets paged`, `the runbook owner is paged`, []string{}},
	{`the fault really took effect`, `the fault provably fired`, []string{}},
	// Issue 18's last phrasings: variants of the steps that mean the same.
	{`the alert clears`, `the alert resolves[ within {duration}]`, []string{""}},
	{`it is cleared within 20 minutes`, `the alert resolves[ within {duration}]`, []string{"20m"}},
	{`the service recovers within 30 minutes`, `the alert resolves[ within {duration}]`, []string{"30m"}},
	{`the service recovers`, `the alert resolves[ within {duration}]`, []string{""}},
	{`recovery within 30 minutes`, `the alert resolves[ within {duration}]`, []string{"30m"}},
	{`the system is back to normal in 15 minutes`, `the alert resolves[ within {duration}]`, []string{"15m"}},
	{`the on-call is paged`, `someone is paged[ within {duration}]`, []string{""}},
	{`a status update goes out within 20 minutes`, `a status update is posted within {duration}`, []string{"20m"}},
	{`provider "openai" starts failing with 500 on half of the requests`, `provider {provider} returns {status}[ for {percent} of requests]`, []string{"openai", "500", "50", ""}},
}

func requireReadAs(t *testing.T, l stepLine) {
	t.Helper()
	ms := matchAll(l.text)
	require.Len(t, ms, 1, "%q: accepted by %d steps", l.text, len(ms))
	m := ms[0]
	require.NoError(t, m.err, l.text)
	require.Equal(t, l.form, catalog[m.step].Form, l.text)
	require.Equal(t, l.args, m.args, l.text)
}

func TestIssueLinesAreAccepted(t *testing.T) {
	for _, l := range issueLines {
		requireReadAs(t, l)
	}
}

func TestDocumentedVariants(t *testing.T) {
	for _, l := range variantLines {
		requireReadAs(t, l)
	}
	// Every step has a line of the table.
	have := map[string]bool{}
	for _, l := range append(append([]stepLine(nil), issueLines...), variantLines...) {
		have[l.form] = true
	}
	for _, s := range catalog {
		require.True(t, have[s.Form], "no line of the variant table for %q", s.Form)
	}
}

// sentences writes sentences a phrasing accepts: with every optional
// part in and out, and each alternative of a choice in turn, values
// filled with their samples.
func sentences(form string) []string {
	var out []string
	for _, opt := range []bool{true, false} {
		for alt := 0; alt < 12; alt++ {
			out = append(out, expand(form, opt, alt))
		}
	}
	return out
}

// expand writes one sentence of a phrasing: optional parts in (opt) or
// out, the alt-th alternative of every choice (the last when fewer).
func expand(form string, opt bool, alt int) string {
	var b strings.Builder
	for i := 0; i < len(form); i++ {
		switch c := form[i]; c {
		case '[', '(':
			end := closingBracket(form, i)
			inner := form[i+1 : end]
			if c == '[' {
				if opt {
					alts := topAlternatives(inner)
					b.WriteString(expand(alts[min(alt, len(alts)-1)], opt, alt))
				}
			} else {
				alts := topAlternatives(inner)
				b.WriteString(expand(alts[min(alt, len(alts)-1)], opt, alt))
			}
			i = end
		case '{':
			end := strings.IndexByte(form[i:], '}')
			b.WriteString(kinds[form[i+1:i+end]].sample)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// No sentence is accepted by two steps: every phrasing of every step,
// written out with each of its choices, and every line of the tables.
func TestNoSentenceIsAcceptedByTwoSteps(t *testing.T) {
	n := 0
	seen := map[string]bool{} // a sentence once: under -race each match is costly
	for i, s := range catalog {
		for _, f := range append([]string{s.Form}, s.Variants...) {
			for _, text := range sentences(f + s.suffix) {
				if seen[text] {
					continue
				}
				seen[text] = true
				ms := matchAll(text)
				var forms []string
				for _, m := range ms {
					forms = append(forms, catalog[m.step].Form)
				}
				require.Equal(t, []string{catalog[i].Form}, forms, "%q (a sentence of %q)", text, f)
				n++
			}
		}
	}
	for _, l := range append(append(append([]stepLine(nil), issueLines...), variantLines...), trainerLines...) {
		require.LessOrEqual(t, len(matchAll(l.text)), 1, l.text)
	}
	// And no line of a feature file in the tree: a name written without
	// quotes can take a word a phrasing did not mean ("someone on call").
	var files []string
	require.NoError(t, filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			if err == nil {
				err = filepath.SkipDir
			}
			return err
		}
		if strings.HasSuffix(path, ".feature") {
			files = append(files, path)
		}
		return nil
	}))
	require.GreaterOrEqual(t, len(files), 10)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		scs, err := Parse(f, src)
		if err != nil {
			continue // a file a test keeps malformed on purpose
		}
		for _, sc := range scs {
			for _, st := range sc.Steps {
				require.LessOrEqual(t, len(matchAll(st.Text)), 1, "%s:%d: %s", f, st.Line, st.Text)
			}
		}
	}
	require.Greater(t, n, 1000)
}

func TestValueGrammar(t *testing.T) {
	for _, c := range []struct{ kind, in, want string }{
		{"duration", "10m", "10m"}, {"duration", "10 minutes", "10m"}, {"duration", "90 seconds", "1m30s"},
		{"duration", "1 hour", "1h"}, {"duration", "1h30m", "1h30m"}, {"duration", "an hour", "1h"},
		{"duration", "half an hour", "30m"}, {"duration", "1 hour and 30 minutes", "1h30m"}, {"duration", "ten minutes", "10m"},
		{"duration", "2 days", "2d"}, {"duration", "1.5 hours", "1h30m"},
		{"latency", "2 seconds", "2000"}, {"latency", "3000ms", "3000"},
		{"percent", "30%", "30"}, {"percent", "30 percent", "30"}, {"percent", "2.5 per cent", "2.5"}, {"percent", "half", "50"},
		{"rate", "5 requests per second", "5"}, {"rate", "5 rps", "5"}, {"rate", "300 per minute", "5"}, {"rate", "120 rpm", "2"},
		{"money", "$2", "2"}, {"money", "2 USD", "2"}, {"money", "2 dollars", "2"}, {"money", "$2.50", "2.50"},
		{"count", "20", "20"}, {"count", "twenty", "20"}, {"count", "five", "5"},
		{"factor", "10x", "10"}, {"factor", "10 times", "10"}, {"factor", "ten times", "10"}, {"factor", "twice", "2"},
		{"provider", `"openai"`, "openai"}, {"provider", "openai", "openai"}, {"team", `"ml platform"`, "ml platform"},
	} {
		f, err := compileForm("{" + c.kind + "}")
		require.NoError(t, err)
		m := f.re.FindStringSubmatch(c.in)
		require.NotNil(t, m, "%s %q", c.kind, c.in)
		got, err := f.args(m[1:], f.slots)
		require.NoError(t, err, "%s %q", c.kind, c.in)
		require.Equal(t, []string{c.want}, got, "%s %q", c.kind, c.in)
	}
	// The limits still hold, with a message naming what is wanted.
	for _, c := range []struct{ kind, in, msg string }{
		{"duration", "400 days", "at most 365d"}, {"duration", "3000000h", "at most 365d"},
		{"percent", "130%", "from 0 to 100"}, {"rate", "0 rps", "above 0"},
	} {
		f, err := compileForm("{" + c.kind + "}")
		require.NoError(t, err)
		m := f.re.FindStringSubmatch(c.in)
		require.NotNil(t, m, c.in)
		_, err = f.args(m[1:], f.slots)
		require.ErrorContains(t, err, c.msg, c.in)
	}
	// A name with a space needs its quotes.
	f, _ := compileForm("{team}")
	require.Nil(t, f.re.FindStringSubmatch("ml platform"))
}

// A form whose variant lacks one of its values is refused when the
// catalog is compiled, so a variant cannot drop a reference.
func TestVariantsKeepTheirValues(t *testing.T) {
	_, err := compileStep(Step{Form: "alert {alert} fires within {duration}", Variants: []string{"an alert fires within {duration}"}})
	require.ErrorContains(t, err, "other values")
	_, err = compileForm("alert {nosuch}")
	require.ErrorContains(t, err, "unknown value kind")
}

// Out-of-range values are problems before the drill, in the trainer's words.
func TestCheckRefusesOutOfRangeValues(t *testing.T) {
	scs, err := Parse("features/f.feature", []byte("Feature: x\n  Scenario: y\n    When provider \"p\" returns 503 for 130% of requests\n    Then alert \"A\" fires within 400 days\n"))
	require.NoError(t, err)
	probs := Check(scs)
	require.Len(t, probs, 2)
	require.Contains(t, probs[0].String(), "features/f.feature:3: bad value: percent: want a percentage from 0 to 100")
	require.Contains(t, probs[1].String(), "features/f.feature:4: bad duration: want a drill duration")
}

// A deadline left out is defaultWait, and a deadline written is read as
// the value grammar says; a bad one is still an error.
func TestDurationOr(t *testing.T) {
	d, err := durationOr("", defaultWait)
	require.NoError(t, err)
	require.Equal(t, time.Hour, d)
	d, err = durationOr("20m", defaultWait)
	require.NoError(t, err)
	require.Equal(t, 20*time.Minute, d)
	_, err = durationOr("400d", defaultWait)
	require.Error(t, err)
}

// "half" is a percentage only where a step takes one: in hints, "half an
// hour" stays a duration.
func TestHalfIsNoPercentInHints(t *testing.T) {
	vals := trainerValues(`an alert goes up within half an hour`)
	require.Equal(t, []string{"half an hour"}, vals["duration"])
	require.Empty(t, vals["percent"])
}

// A Then line without the deadline its step cannot do without is refused
// saying which deadline to add and what it runs from, with its own step
// first among the closest; none is taken for it.
func TestCheckRefusesAMissingDeadline(t *testing.T) {
	scs, err := Parse("features/f.feature", []byte(`Feature: x
  Scenario: y
    When provider "p" is down
    Then alert "A" fires
    And the on-call acknowledges the page
    And alert "B" does not fire
    And no alerts fire
    And the alert resolves
`))
	require.NoError(t, err)
	var got []string
	for _, p := range Check(scs) {
		got = append(got, fmt.Sprintf("%d %s | %s", p.Line, p.Message, p.Closest[0]))
	}
	require.Equal(t, []string{
		"4 incomplete step: it needs its deadline, such as `within 10 minutes` of the latest fault | Then alert \"A\" fires within 10 minutes",
		"5 incomplete step: it needs its deadline, such as `within 10 minutes` of the page | Then the page is acknowledged within 10 minutes",
		"6 incomplete step: it needs the window it must hold for, such as `within 10 minutes` of the latest fault | Then alert \"B\" does not fire within 10 minutes",
		"7 incomplete step: it needs the window it must hold for, such as `within 10 minutes` of the latest fault | Then no alert fires within 10 minutes",
	}, got, "the alert resolving takes no deadline: it has a documented one")
}

// A measure said to come back "to normal" names no bound, which drill
// cannot judge by: the line is refused saying which bound to add.
func TestCheckRefusesAMeasureWithoutItsBound(t *testing.T) {
	scs, err := Parse("features/f.feature", []byte(`Feature: x
  Scenario: y
    When provider "p" is down
    Then the error rate goes back to normal within 20 minutes
    And requests succeed again
    And spend returns to normal
`))
	require.NoError(t, err)
	var got []string
	for _, p := range Check(scs) {
		got = append(got, fmt.Sprintf("%d %s | %s", p.Line, p.Message, p.Closest[0]))
	}
	require.Equal(t, []string{
		"4 incomplete step: it needs the bound it comes back below, such as `below 1%`: drill does not know what normal is | Then the service's error ratio is below 30% within 20 minutes",
		"5 incomplete step: it needs the bound it comes back above, such as `above 99%`: drill does not know what normal is | Then the service's success ratio is above 30% within 10 minutes",
		"6 incomplete step: it needs the bound it comes back below, such as `below $2 per minute`: drill does not know what normal is | Then spend is below $2 per minute within 10 minutes",
	}, got)
}
