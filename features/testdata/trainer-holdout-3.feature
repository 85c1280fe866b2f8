# language: en
# Holdout 3: written by a trainer from docs/steps.md and docs/writing-drills.md
# alone, before any grammar change for it. Do not edit it to fit the grammar:
# it measures how well the grammar generalises (features/measure_test.go).

Feature: Trainer holdout 3, the four families

  Background:
    Given the drill environment is up and running

  @inference-outage
  Rule: The model provider goes away or slows to a crawl

  Scenario: A full outage of the main provider is caught and paged
    Given a constant load of 8 rps
    And a control window of 5 minutes
    When provider "openai" goes down for 15 minutes, then recovers
    Then alert "LLMProviderDown" fires within 3 minutes
    And the service has 50% errors
    And the on-call engineer of team "ml-platform" is paged within 5 minutes
    And the page is acknowledged within 10 minutes
    And following the runbook brings the service back within 20 minutes
    And no other alert fires

  Scenario: The provider slows to a crawl
    Given steady traffic of 300 requests per minute
    When provider "openai" slows down by 4 seconds for half an hour
    Then alert "LLMLatencyHigh" fires within 10 minutes
    And latency p95 goes above 3 seconds within 5 minutes
    And someone on call gets paged within 5 minutes
    And the alert resolves within 45 minutes

  @errors
  Scenario Outline: The provider fails a share of requests
    Given steady traffic of <rate>
    When provider "openai" returns <status> for <share> of requests for 10 minutes
    Then alert "LLMProviderErrors" fires within <deadline>
    And the error ratio goes above 5% within 5 minutes
    And it is acknowledged within 15 minutes

    @smoke
    Examples: light failures
      | rate  | status | share | deadline  |
      | 5 rps | 503    | 30%   | 5 minutes |

    Examples: heavy failures
      | rate   | status | share | deadline  |
      | 10 rps | 500    | half  | 3 minutes |

  Scenario: Primary and fallback go down together
    When providers "openai" and "anthropic" go down at the same time for 10 minutes
    Then an alert fires within 5 minutes
    And half the requests fail
    And an incident commander is assigned within 10 minutes
    And a status update goes out within 15 minutes

  Scenario: The provider hangs and nobody answers at first
    Given responder "alice" is on vacation
    When the provider "openai" stops responding
    Then the alert "LLMProviderDown" goes off in under 5 minutes
    And team "ml-platform" gets paged within 5 minutes
    And the on-call acknowledges the page within 10 minutes
    And after following the runbook, the success ratio gets back above 99% within 20 minutes

  @quality-anomaly
  Rule: Wrong answers are caught by the canaries

    Scenario: A fifth of the answers go wrong
      Given the team's environment is ready
      And steady traffic of 6 requests per second with the canary mix
      When provider "openai" starts giving wrong answers to 20% of requests
      Then alert "LLMCanaryFailing" fires within 15 minutes
      And the success ratio drops below 90% within 10 minutes
      And the page reaches the on-call of team "ml-platform" within 5 minutes
      And it is acknowledged within 10 minutes
      And the runbook is followed within 30 minutes

    Scenario: Answer quality degrades quietly
      When provider "openai"'s answer quality degrades for 20 minutes
      Then alert "LLMCanaryFailing" should fire within 20 minutes
      And no other alerts fire

  @quality-anomaly
  Rule: Garbage output is noticed

    Scenario: Four in ten answers are gibberish
      When responses from provider "openai" become gibberish for 40% of requests
      Then alert "LLMGarbageOutput" fires within 10 minutes
      And the error ratio rises above 10%
      And the fault provably fired

    Scenario: Streams are cut short
      Given steady traffic of 4 requests per second with the "stream" mix
      When the stream from provider "openai" is cut off after 15 tokens
      Then alert "LLMStreamTruncated" fires within 10 minutes
      And the alert clears within 30 minutes

  @cost-spike
  Rule: Spend runs away

  Scenario: The provider overbills tokens
    Given the team's environment is running
    And a steady load of 5 requests per second
    When provider "openai" starts billing 5 times the usual tokens
    Then spend goes above $3 per minute within 5 minutes
    And alert "LLMSpendSpike" fires within 10 minutes
    And the runbook owner is paged
    And following the runbook brings spend back under $2 per minute within 20 minutes
    And the cost stays below $2 per minute for 10 minutes

  Scenario: An agent loop runs up the bill
    Given steady traffic of 3 rps with the agent mix
    When provider "openai"'s model keeps calling tools for 20 minutes
    Then spend rises above $5 per minute
    And alert "LLMSpendSpike" fires within 10 minutes
    And the on-call engineer acknowledges the page within 15 minutes
    And spend is below $2 per minute within 30 minutes

  Scenario: A traffic surge
    When traffic spikes by 4x for 15 minutes
    Then alert "LLMSpendSpike" fires within ten minutes
    And spend goes over 4 dollars a minute within 10 minutes
    And the page is acked within 15 minutes

  Scenario: The provider runs out of quota
    When provider "openai" runs out of quota for an hour
    Then alert "LLMQuotaExhausted" fires within 5 minutes
    And the error ratio goes above 50% within 5 minutes
    And somebody is paged within 10 minutes
    And the incident is acknowledged within 15 minutes

  @third-party-failure
  Rule: A vendor API fails under us

  Scenario: The search API times out while the first responder is away
    Given the team's environment is running
    And responder "alice" is unavailable
    When the "search" API times out for 10 minutes
    Then alert "SearchAPIDown" fires within 5 minutes
    And the page reaches an on-call responder of team "ml-platform" within 15 minutes
    And the service's error ratio goes above 5% within 5 minutes
    And the alert resolves within 30 minutes

  Scenario: The search vendor returns 500s to a quarter of calls
    When the search API starts returning 500 errors for 25% of requests
    Then alert "SearchAPIErrors" fires within 10 minutes
    And at most 30% of requests fail
    And the page is acknowledged within 15 minutes

  Scenario: The vendor changes its response format
    When the "search" API changes its response format
    Then alert "SearchAPISchema" fires within 10 minutes
    And role "communications_lead" is assigned within 15 minutes

  Scenario: The provider rate limits us
    When provider "openai" is rate limited
    Then alert "LLMRateLimited" fires within 10 minutes

  Scenario: The provider throttles us to a number
    When provider "openai" throttles us to 60 requests per minute for 20 minutes
    Then alert "LLMRateLimited" fires within 10 minutes
    And the success ratio stays above 80% for 15 minutes

  Scenario: Two things break at once
    When these faults start at once:
      | fault          | target | with                        | for |
      | provider-error | openai | status=503, probability=0.3 | 10m |
      | stub-slow      | search |                             |     |
    Then an alert fires within 10 minutes
    And the error ratio goes above 20% within 5 minutes
    And the page reaches the on-call of team "ml-platform" within 5 minutes

  Scenario: The search API is slow
    When the search API slows down by 8 seconds for 15 minutes
    Then latency p95 rises above 5 seconds
    And alert "SearchAPISlow" fires within 10 minutes
    And following the runbook brings latency p95 below 2 seconds within 20 minutes
