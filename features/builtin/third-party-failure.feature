@third-party-failure @builtin
Feature: Third-party API failures (built-in)
  An agent's tools depend on third-party APIs. When one fails, someone must
  know, and the service must degrade gracefully rather than fail. Fits any
  team whose drill.yaml has a stub.

  Scenario: A third-party API answers 503
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When the first third-party API returns 503
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And the service's success ratio stays above 90%
    And the fault provably fired

  Scenario: A third-party API is down
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When the first third-party API is down
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And the service's success ratio stays above 90%
    And the fault provably fired
