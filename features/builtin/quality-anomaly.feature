@quality-anomaly @builtin
Feature: Quality anomalies (built-in)
  Answers can turn wrong or to garbage without a single error. Something
  must notice, and the runbook must restore good answers. Fits any team.

  Scenario: The primary model drifts
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When the primary provider gives wrong answers
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired

  Scenario: The primary provider answers garbage
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When responses from the primary provider become garbage
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings the service back within 15m
    And the fault provably fired
