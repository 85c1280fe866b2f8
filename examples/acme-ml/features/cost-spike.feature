@cost-spike
Feature: Cost spikes
  Token bills can spike with no change on our side: a provider bills more
  tokens, or an agent loop runs away. Spend must be detected within minutes,
  reach the on-call engineer, and be capped by the runbook.

  Scenario: A billing spike is detected, paged and capped by the runbook
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" bills 10x tokens
    Then alert "LLMSpendSpike" fires within 10m
    And the page reaches an on-call responder of team "ml-platform" within 5m
    And the page is acknowledged within 15m
    And following the runbook brings "gateway:cost_usd_per_minute < 1" true within 10m
    And the fault provably fired
    And no other alert fires

  Scenario: A runaway agent loop is capped by the same runbook
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When fault "runaway-tools" hits "primary"
    Then alert "LLMSpendSpike" fires within 10m
    And alert "SearchAPIFailing" may fire
    And the page is acknowledged within 15m
    And following the runbook brings "gateway:cost_usd_per_minute < 1" true within 10m
    And the fault provably fired
