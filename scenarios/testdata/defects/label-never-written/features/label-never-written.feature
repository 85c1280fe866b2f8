@label-never-written
Feature: A spend alert over a label value the gateway never writes
  The recording rule behind LLMSpendSpike selects model="gpt4o"; the
  gateway writes model="gpt-4o". The alert can never fire, and the drill
  says why.

  Scenario: A billing spike goes unseen by a rule reading the wrong model name
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" bills 10x tokens
    Then alert "LLMSpendSpike" fires within 5m
    And the fault provably fired
