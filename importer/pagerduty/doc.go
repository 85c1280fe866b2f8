// Package pagerduty turns what PagerDuty's REST API v2 returns (saved
// responses of GET /users, GET /schedules/{id}, GET /escalation_policies,
// optionally GET /teams and GET /services) into one drill escalation file
// (docs/escalation.md, "Importing from PagerDuty").
//
// Convert reads the files, maps users, teams, schedules, escalation
// policies and services, and returns the drill file with a warning for
// everything drill cannot represent; bad input is an *Error naming the
// file and the JSON path. Verify compares the result with PagerDuty's own
// final_schedule, asking drill who is on call through a function the
// caller passes (drill import pagerduty passes team's OnCall), and
// corrects the layer order where only the other order agrees. Render
// writes the file with its header. The package knows drill's YAML only as
// text: it does not import team, and the tests load its output with team.
package pagerduty
