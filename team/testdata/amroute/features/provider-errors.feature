Feature: provider errors, routed by alertmanager.yml
  Scenario: the provider fails a fifth of the calls
    Given the team's environment is running
    And a control window of 1m
    When provider openai returns 500 for 20% of requests
    Then alert "LLMProviderErrors" fires within 15m
    And the page reaches an on-call responder of team ml-platform within 5m
