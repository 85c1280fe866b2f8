package pagerduty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxFileBytes bounds one input file. A GET /users page holds at most 100
// users of a few KiB each; a schedule with rendered entries for a long
// range is the largest response, well under 1 MiB. 16 MiB is an account
// saved whole into one file many times over.
const MaxFileBytes = 16 << 20

// MaxObjects bounds the users, schedules, policies, teams and services of
// one import together; a drill escalation file holds at most 1 MiB.
const MaxObjects = 10000

// Input is one saved API response: Name as the user gave it, Data its
// bytes (at most MaxFileBytes).
type Input struct {
	Name string
	Data []byte
}

// Error is input the import refuses: File and Path (a JSON path like
// schedules[0].schedule_layers[1].users[2].user.id) name where, Msg what is
// wrong and what was expected.
type Error struct {
	File string
	Line int // 0 when unknown
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.File == "" {
		return "pagerduty: " + e.Msg
	}
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	return b.String() + ": " + e.Msg
}

// The objects as the API returns them; only the fields the import reads.
type (
	ref struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Summary string `json:"summary"`
	}
	pdContactMethod struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		Label       string `json:"label"`
		Address     string `json:"address"`
		CountryCode int    `json:"country_code"`
	}
	pdNotificationRule struct {
		ID                  string `json:"id"`
		Type                string `json:"type"`
		StartDelayInMinutes *int   `json:"start_delay_in_minutes"`
		ContactMethod       ref    `json:"contact_method"`
		Urgency             string `json:"urgency"`
	}
	pdUser struct {
		ID                string               `json:"id"`
		Type              string               `json:"type"`
		Name              string               `json:"name"`
		Email             string               `json:"email"`
		TimeZone          string               `json:"time_zone"`
		ContactMethods    []pdContactMethod    `json:"contact_methods"`
		NotificationRules []pdNotificationRule `json:"notification_rules"`
		Teams             []ref                `json:"teams"`
	}
	pdTeam struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Summary string `json:"summary"`
	}
	pdRestriction struct {
		Type            string `json:"type"`
		StartTimeOfDay  string `json:"start_time_of_day"`
		StartDayOfWeek  *int   `json:"start_day_of_week"`
		DurationSeconds *int64 `json:"duration_seconds"`
	}
	pdLayer struct {
		ID                        string  `json:"id"`
		Name                      string  `json:"name"`
		Start                     string  `json:"start"`
		End                       *string `json:"end"`
		RotationVirtualStart      string  `json:"rotation_virtual_start"`
		RotationTurnLengthSeconds int64   `json:"rotation_turn_length_seconds"`
		Users                     []struct {
			User ref `json:"user"`
		} `json:"users"`
		Restrictions []pdRestriction `json:"restrictions"`
	}
	// pdEntry is one rendered_schedule_entries item of a sub-schedule, or
	// one override of GET /schedules/{id}/overrides.
	pdEntry struct {
		ID    string `json:"id"`
		Start string `json:"start"`
		End   string `json:"end"`
		User  *ref   `json:"user"`
	}
	pdSubSchedule struct {
		Name                    string    `json:"name"`
		RenderedScheduleEntries []pdEntry `json:"rendered_schedule_entries"`
	}
	pdSchedule struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		TimeZone       string    `json:"time_zone"`
		ScheduleLayers []pdLayer `json:"schedule_layers"`
		Teams          []ref     `json:"teams"`
		// With since and until, GET /schedules/{id} renders these: the
		// overrides and PagerDuty's own answer of who is on call.
		OverridesSubschedule *pdSubSchedule `json:"overrides_subschedule"`
		FinalSchedule        *pdSubSchedule `json:"final_schedule"`
	}
	pdRule struct {
		ID                               string `json:"id"`
		EscalationDelayInMinutes         *int   `json:"escalation_delay_in_minutes"`
		Targets                          []ref  `json:"targets"`
		EscalationRuleAssignmentStrategy *struct {
			Type string `json:"type"`
		} `json:"escalation_rule_assignment_strategy"`
	}
	pdPolicy struct {
		ID                         string   `json:"id"`
		Name                       string   `json:"name"`
		NumLoops                   int      `json:"num_loops"`
		EscalationRules            []pdRule `json:"escalation_rules"`
		Teams                      []ref    `json:"teams"`
		OnCallHandoffNotifications string   `json:"on_call_handoff_notifications"`
	}
	pdService struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Status           string `json:"status"`
		EscalationPolicy *ref   `json:"escalation_policy"`
	}
	// response is any of the saved responses: a list (users, schedules,
	// escalation_policies, teams, services, with more for pagination) or
	// one object (user, schedule, escalation_policy, team, service).
	response struct {
		Users              []pdUser     `json:"users"`
		User               *pdUser      `json:"user"`
		Schedules          []pdSchedule `json:"schedules"`
		Schedule           *pdSchedule  `json:"schedule"`
		EscalationPolicies []pdPolicy   `json:"escalation_policies"`
		EscalationPolicy   *pdPolicy    `json:"escalation_policy"`
		Teams              []pdTeam     `json:"teams"`
		Team               *pdTeam      `json:"team"`
		Services           []pdService  `json:"services"`
		Service            *pdService   `json:"service"`
		Overrides          []pdEntry    `json:"overrides"`
		More               bool         `json:"more"`
	}
)

// knownKeys are the top-level keys of the responses the import reads.
var knownKeys = []string{"users", "user", "schedules", "schedule", "escalation_policies", "escalation_policy", "teams", "team", "services", "service", "overrides"}

// decode parses one file into a response, refusing what is not a
// PagerDuty REST API v2 response.
func decode(in Input) (*response, error) {
	if len(in.Data) > MaxFileBytes {
		return nil, &Error{File: in.Name, Msg: fmt.Sprintf("%d bytes; expected at most %d MiB (MaxFileBytes) per saved response", len(in.Data), MaxFileBytes>>20)}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(in.Data, &top); err != nil {
		return nil, jsonError(in, err, "a JSON object as PagerDuty's REST API v2 returns it")
	}
	found := false
	for _, k := range knownKeys {
		if _, ok := top[k]; ok {
			found = true
		}
	}
	if !found {
		return nil, &Error{File: in.Name, Msg: "not a PagerDuty REST API v2 response: expected a top-level object with one of " + strings.Join(knownKeys, ", ")}
	}
	r := &response{}
	if err := json.Unmarshal(in.Data, r); err != nil {
		return nil, jsonError(in, err, "")
	}
	return r, nil
}

// jsonError names the file, line and JSON path of a decoding error.
func jsonError(in Input, err error, expected string) error {
	e := &Error{File: in.Name}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		e.Line = lineAt(in.Data, syn.Offset)
		e.Msg = "not valid JSON (" + syn.Error() + ")"
		if expected != "" {
			e.Msg += "; expected " + expected
		}
	case errors.As(err, &typ):
		e.Line = lineAt(in.Data, typ.Offset)
		e.Path = typ.Field
		if e.Path == "" {
			e.Msg = fmt.Sprintf("a JSON %s; expected %s", typ.Value, expected)
		} else {
			e.Msg = fmt.Sprintf("a JSON %s; expected %s", typ.Value, typ.Type)
		}
	default:
		e.Msg = err.Error()
	}
	return e
}

func lineAt(data []byte, off int64) int {
	if off < 0 || off > int64(len(data)) {
		return 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
