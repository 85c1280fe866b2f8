@quality-anomaly
Feature: Quality anomalies
  A model can drift without a single error: answers stay fluent and turn
  wrong. Canary prompts with known answers catch it.

  Scenario: The primary model drifts and canaries catch it
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" gives wrong answers
    Then alert "LLMQualityDegraded" fires within 10m
    And alert "LLMQualityDegraded" links a runbook that exists, is fresh and has an owner
    And the page is acknowledged within 15m
    And following the runbook brings "sum(increase(drill_gateway_validation_failures_total{kind='canary'}[5m])) == 0" true within 10m
    And the fault provably fired
    And no other alert fires

  Scenario: The on-call engineer is unreachable and the policy escalates
    Given the team's environment is running
    And steady traffic of 5 requests per second
    And responder "alice" is unavailable
    And responder "bob" is unavailable
    And responder "carol" is unavailable
    When provider "primary" gives wrong answers
    Then alert "LLMQualityDegraded" fires within 10m
    And the page reaches an on-call responder of team "sre" within 20m
    And the page is acknowledged within 30m
    And following the runbook brings "sum(increase(drill_gateway_validation_failures_total{kind='canary'}[5m])) == 0" true within 40m
    And the fault provably fired
