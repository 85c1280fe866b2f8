Feature: cost spike
  Scenario: a runaway client
    When a client sends 10x the usual traffic
    Then alert LLMSpendSpike fires within 5m
