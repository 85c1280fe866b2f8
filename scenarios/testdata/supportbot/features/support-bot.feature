@supportbot
Feature: The support bot's LLM provider fails or overbills
  The support bot answers questions through its LLM provider. When the
  provider errs or bills ten times the tokens, the team's own alerts page the
  on-call engineer, whose runbook fails over to the fallback provider; the
  traffic generator's own count of each request kind (ask, search) reads
  healthy again after it.

  Scenario: The LLM provider fails and the bot fails over
    Given the team's environment is running
    When provider "primary" returns 503 for 90% of requests
    Then alert "SupportBotErrors" fires within 5m
    And the page reaches an on-call responder of team "support" within 5m
    And the page is acknowledged within 10m
    And following the runbook brings "sum(rate(drill_traffic_requests_total{kind='ask', outcome='ok'}[1m])) / sum(rate(drill_traffic_requests_total{kind='ask'}[1m])) > 0.95" true within 10m
    And the fault provably fired
    And no other alert fires
    And "sum(rate(drill_traffic_requests_total{kind='search', outcome='ok'}[2m])) > 0" holds for 1m

  Scenario: The LLM provider bills ten times the tokens
    Given the team's environment is running
    When provider "primary" bills 10x tokens
    Then alert "SupportBotSpend" fires within 5m
    And the page is acknowledged within 10m
    And following the runbook brings "supportbot:cost_per_answer_usd < 0.0001" true within 10m
    And the fault provably fired
    And no other alert fires
    And "sum(rate(drill_traffic_requests_total{kind='ask', outcome='ok'}[2m])) / sum(rate(drill_traffic_requests_total{kind='ask'}[2m])) > 0.9" holds for 1m
    And "sum(rate(drill_traffic_requests_total{kind='search', outcome='ok'}[2m])) > 0" holds for 1m
