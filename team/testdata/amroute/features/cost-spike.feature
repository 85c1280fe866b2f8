Feature: cost spike
  Scenario: a runaway client
    Given the team's environment is running
    When traffic surges 10x
    Then alert "LLMSpendSpike" fires within 5m
