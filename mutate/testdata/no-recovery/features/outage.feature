@outage
Feature: The primary provider fails

  Scenario: Most requests fail and ml-platform is paged
    Given the team's environment is running
    And steady traffic of 25 requests per second
    When provider "primary" returns 503 for 90% of requests
    Then alert "LLMGatewayErrors" fires within 10m
    And the page reaches an on-call responder of team "ml-platform" within 10m
    And the fault provably fired
