@inference-outage
Feature: Inference provider outages
  When the primary provider fails, the gateway's error ratio alert pages the
  on-call engineer of ml-platform, whose runbook fails over to the secondary
  provider, and nothing else pages. (drill's built-in library also drills
  outages, with steps that fit any team.)

  Scenario: Most requests fail and ml-platform fails over
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" returns 503 for 90% of requests
    Then alert "LLMGatewayErrors" fires within 5m
    And the page reaches an on-call responder of team "ml-platform" within 5m
    And the page is acknowledged within 15m
    And following the runbook brings "gateway:error_ratio < 0.2" true within 10m
    And the fault provably fired
    And no other alert fires
