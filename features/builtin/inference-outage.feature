@inference-outage @builtin
Feature: Inference outages (built-in)
  When the primary provider fails, an alert must page someone whose runbook
  restores the service. Fits any team.

  Scenario: The primary provider answers 503 to most requests
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When the primary provider returns 503 for 90% of requests
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired

  Scenario: The primary provider is unreachable
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When the primary provider is down
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired
