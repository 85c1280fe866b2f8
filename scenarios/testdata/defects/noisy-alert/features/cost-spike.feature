@cost-spike
Feature: Cost spikes

  Scenario: A billing spike is detected, paged and capped by the runbook
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" bills 10x tokens
    Then alert "LLMSpendSpike" fires within 10m
    And no other alert fires
    And the fault provably fired
