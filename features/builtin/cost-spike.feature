@cost-spike @builtin
Feature: Cost spikes (built-in)
  Token bills can spike with no change on the team's side. Spend must be
  detected within minutes, reach the on-call engineer, and be capped by the
  runbook. Fits any team: the team's own alerts and runbooks answer it.

  Scenario: The provider bills ten times the tokens
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When the primary provider bills 10x tokens
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired

  Scenario: An agent loop runs away
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When the primary provider's model calls tools without end
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired
