@third-party-failure
Feature: Third-party API failures
  The agent's web_search tool depends on a third-party API. When it fails,
  the agent must not burn steps and tokens retrying it.

  Scenario: The search API answers 503
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When the "search" API returns 503
    Then alert "SearchAPIFailing" fires within 10m
    And the page is acknowledged within 15m
    And following the runbook brings "max(drill_gateway_agent_max_steps) <= 3 or vector(0) > 1" true within 10m
    And the fault provably fired

  Scenario: The search API changes its schema
    Given the team's environment is running
    And steady traffic of 3 requests per second with the "agent" mix
    When the "search" API changes its schema
    Then alert "SearchAPIFailing" may fire
    And the fault provably fired
