package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// registerAdmin mounts the admin API, the levers a runbook pulls.
func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/failover", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			To *string `json:"to"`
		}
		if !decodeAdmin(w, r, &in, "to", `"primary" or "secondary"`) {
			return
		}
		if in.To == nil {
			adminError(w, http.StatusBadRequest, "to", `expected "primary" or "secondary"`)
			return
		}
		up := s.upstreamByName(*in.To)
		if up == nil {
			adminError(w, http.StatusBadRequest, "to", fmt.Sprintf("expected one of %s, got %q", strings.Join(s.upstreamNames(), ", "), *in.To))
			return
		}
		s.mu.Lock()
		s.active = up.index
		s.mu.Unlock()
		s.m.activeUpstream.Set(float64(up.index))
		s.cfg.Logger.Info("gateway: admin failover", "to", up.Name)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/auto-failover", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Enabled *bool `json:"enabled"`
		}
		if !decodeAdmin(w, r, &in, "enabled", "a boolean") {
			return
		}
		if in.Enabled == nil {
			adminError(w, http.StatusBadRequest, "enabled", "expected a boolean")
			return
		}
		s.mu.Lock()
		s.autoFailover = *in.Enabled
		s.mu.Unlock()
		s.cfg.Logger.Info("gateway: admin auto failover", "enabled", *in.Enabled)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/budget", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			USD *float64 `json:"usd_per_minute"`
		}
		if !decodeAdmin(w, r, &in, "usd_per_minute", "a number >= 0 (0 = unlimited)") {
			return
		}
		if in.USD == nil || *in.USD < 0 {
			adminError(w, http.StatusBadRequest, "usd_per_minute", "expected a number >= 0 (0 = unlimited)")
			return
		}
		s.mu.Lock()
		s.budget = *in.USD
		s.mu.Unlock()
		s.m.budget.Set(*in.USD)
		s.cfg.Logger.Info("gateway: admin budget", "usd_per_minute", *in.USD)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/agent", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MaxSteps *int `json:"max_steps"`
		}
		if !decodeAdmin(w, r, &in, "max_steps", "an integer >= 1") {
			return
		}
		if in.MaxSteps == nil || *in.MaxSteps < 1 {
			adminError(w, http.StatusBadRequest, "max_steps", "expected an integer >= 1")
			return
		}
		s.mu.Lock()
		s.agentMaxSteps = *in.MaxSteps
		s.mu.Unlock()
		s.cfg.Logger.Info("gateway: admin agent step cap", "max_steps", *in.MaxSteps)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/retries", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			MaxAttempts *int `json:"max_attempts"`
		}
		if !decodeAdmin(w, r, &in, "max_attempts", "an integer >= 1") {
			return
		}
		if in.MaxAttempts == nil || *in.MaxAttempts < 1 || *in.MaxAttempts > 10 {
			adminError(w, http.StatusBadRequest, "max_attempts", "expected an integer from 1 to 10")
			return
		}
		s.mu.Lock()
		s.maxAttempts = *in.MaxAttempts
		s.mu.Unlock()
		s.cfg.Logger.Info("gateway: admin retries", "max_attempts", *in.MaxAttempts)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/models/{name}/{action}", func(w http.ResponseWriter, r *http.Request) {
		name, action := r.PathValue("name"), r.PathValue("action")
		if action != "disable" && action != "enable" {
			adminError(w, http.StatusNotFound, "action", fmt.Sprintf(`expected "disable" or "enable", got %q`, action))
			return
		}
		models := s.cfg.models()
		if !contains(models, name) {
			adminError(w, http.StatusNotFound, "name", fmt.Sprintf("expected one of the upstream models (%s), got %q", strings.Join(models, ", "), name))
			return
		}
		s.mu.Lock()
		if action == "disable" {
			s.disabled[name] = true
		} else {
			delete(s.disabled, name)
		}
		s.mu.Unlock()
		s.cfg.Logger.Info("gateway: admin model", "model", name, "action", action)
		writeJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /admin/breaker/{upstream}/{action}", func(w http.ResponseWriter, r *http.Request) {
		name, action := r.PathValue("upstream"), r.PathValue("action")
		if action != "open" && action != "close" {
			adminError(w, http.StatusNotFound, "action", fmt.Sprintf(`expected "open" or "close", got %q`, action))
			return
		}
		up := s.upstreamByName(name)
		if up == nil {
			adminError(w, http.StatusNotFound, "upstream", fmt.Sprintf("expected one of %s, got %q", strings.Join(s.upstreamNames(), ", "), name))
			return
		}
		up.breaker.force(action == "open")
		s.cfg.Logger.Info("gateway: admin breaker", "upstream", up.Name, "action", action)
		writeJSON(w, http.StatusOK, s.State())
	})
}

// decodeAdmin decodes a small JSON body strictly; on failure it answers 400
// naming the field and what was expected, and returns false.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any, field, expected string) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		f := field
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			f = te.Field
		} else if strings.HasPrefix(err.Error(), "json: unknown field ") {
			adminError(w, http.StatusBadRequest, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`),
				fmt.Sprintf("unknown field; expected only %q (%s)", field, expected))
			return false
		}
		adminError(w, http.StatusBadRequest, f, fmt.Sprintf("expected a JSON object {%q: %s}: %v", field, expected, err))
		return false
	}
	return true
}

func adminError(w http.ResponseWriter, status int, field, expected string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{
		"type": "invalid_admin_request", "field": field, "message": field + ": " + expected,
	}})
}

func (s *Server) upstreamByName(name string) *upstream {
	for _, u := range s.ups {
		if u.role == name || u.Name == name {
			return u
		}
	}
	return nil
}

func (s *Server) upstreamNames() []string {
	var names []string
	for _, u := range s.ups {
		names = append(names, fmt.Sprintf("%q", u.role))
		if u.Name != u.role {
			names = append(names, fmt.Sprintf("%q", u.Name))
		}
	}
	return names
}

// State is the gateway's live configuration, as GET /admin/state shows it.
type State struct {
	Active             string          `json:"active"`
	AutoFailover       bool            `json:"auto_failover"`
	BudgetUSDPerMinute float64         `json:"budget_usd_per_minute"`
	SpendLastMinuteUSD float64         `json:"spend_last_minute_usd"`
	AgentMaxSteps      int             `json:"agent_max_steps"`
	MaxAttempts        int             `json:"max_attempts"`
	StrictValidation   bool            `json:"strict_validation"`
	DisabledModels     []string        `json:"disabled_models"`
	Upstreams          []UpstreamState `json:"upstreams"`
}

// UpstreamState is one upstream in State.
type UpstreamState struct {
	Role     string `json:"role"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	BaseURL  string `json:"base_url"`
	Model    string `json:"model"`
	Breaker  string `json:"breaker"` // closed | open | half-open
	Forced   bool   `json:"breaker_forced"`
	Failures int    `json:"consecutive_failures"`
}

// State returns the live levers and breaker states.
func (s *Server) State() State {
	s.mu.Lock()
	st := State{
		Active:             s.ups[s.active].role,
		AutoFailover:       s.autoFailover,
		BudgetUSDPerMinute: s.budget,
		AgentMaxSteps:      s.agentMaxSteps,
		MaxAttempts:        s.maxAttempts,
		StrictValidation:   s.cfg.StrictValidation,
		DisabledModels:     sortedKeys(s.disabled),
	}
	s.mu.Unlock()
	st.SpendLastMinuteUSD = s.spend.lastMinute()
	for _, u := range s.ups {
		b := u.breaker.snapshot()
		st.Upstreams = append(st.Upstreams, UpstreamState{Role: u.role, Name: u.Name, Kind: u.Kind, BaseURL: u.BaseURL,
			Model: u.Model, Breaker: b.State, Forced: b.Forced, Failures: b.ConsecutiveFailures})
	}
	return st
}
