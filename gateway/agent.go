package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// agentSystemPrompt frames the tool-calling loop.
const agentSystemPrompt = "You are a research agent. Use the web_search tool when you need facts, then answer the task concisely."

// webSearchTool is the one tool the agent offers, backed by
// GET {search_url}/search?q=....
var webSearchTool = func() toolDef {
	var t toolDef
	t.Type = "function"
	t.Function.Name = "web_search"
	t.Function.Description = "Search the web and return the top results as JSON."
	t.Function.Parameters = json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"what to search for"}},"required":["query"]}`)
	return t
}()

type agentRequest struct {
	Task     string `json:"task"`
	MaxSteps *int   `json:"max_steps,omitempty"`
}

type agentResult struct {
	Answer    string    `json:"answer,omitempty"`
	Steps     int       `json:"steps"`
	ToolCalls int       `json:"tool_calls"`
	CostUSD   float64   `json:"cost_usd"`
	Upstream  string    `json:"upstream,omitempty"`
	Error     *apiError `json:"error,omitempty"`
}

// handleAgent runs a tool-calling loop: each step is one model call
// through the same budget, routing, retries and breaker as chat; tool calls
// are executed against the stub APIs and fed back; the loop ends with an
// answer or at the step cap.
func (s *Server) handleAgent(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	defer s.countRequest("agent", rec)
	var in agentRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeAPIError(rec, errorf(http.StatusBadRequest, "invalid_request_error", "body: expected {\"task\": string, \"max_steps\": optional integer >= 1}: %v", err))
		return
	}
	if strings.TrimSpace(in.Task) == "" {
		e := errorf(http.StatusBadRequest, "invalid_request_error", "task: expected a non-empty string")
		e.Param = "task"
		writeAPIError(rec, e)
		return
	}
	s.mu.Lock()
	limit := s.agentMaxSteps
	s.mu.Unlock()
	if in.MaxSteps != nil {
		if *in.MaxSteps < 1 {
			e := errorf(http.StatusBadRequest, "invalid_request_error", "max_steps: expected an integer >= 1, got %d", *in.MaxSteps)
			e.Param = "max_steps"
			writeAPIError(rec, e)
			return
		}
		limit = min(limit, *in.MaxSteps) // a client may lower the cap, never raise it
	}
	res := s.runAgent(r.Context(), in.Task, limit)
	s.m.agentSteps.Observe(float64(res.Steps))
	status := http.StatusOK
	if res.Error != nil {
		status = res.Error.status
	}
	writeJSON(rec, status, res)
}

func (s *Server) runAgent(ctx context.Context, task string, limit int) *agentResult {
	res := &agentResult{}
	req := &chatRequest{
		Messages: []chatMessage{
			{Role: "system", Content: textContent(agentSystemPrompt)},
			{Role: "user", Content: textContent(task)},
		},
		Tools: []toolDef{webSearchTool},
	}
	for res.Steps < limit {
		raw, err := rawOf(req)
		if err != nil {
			res.Error = errorf(http.StatusInternalServerError, "internal_error", "%v", err)
			return res
		}
		res.Steps++
		c, aerr := s.complete(ctx, req, raw)
		if aerr != nil {
			res.Error = aerr
			return res
		}
		res.CostUSD += c.cost
		res.Upstream = c.up.Name
		msg := c.resp.Choices[0].Message
		if len(msg.ToolCalls) == 0 {
			res.Answer = contentText(msg.Content)
			return res
		}
		if len(msg.Content) == 0 {
			msg.Content = json.RawMessage("null")
		}
		req.Messages = append(req.Messages, chatMessage{Role: "assistant", Content: msg.Content, ToolCalls: msg.ToolCalls})
		for _, tc := range msg.ToolCalls {
			res.ToolCalls++
			out := s.runTool(ctx, tc)
			req.Messages = append(req.Messages, chatMessage{Role: "tool", ToolCallID: tc.ID, Content: textContent(out)})
		}
	}
	res.Error = errorf(http.StatusUnprocessableEntity, "agent_step_limit",
		"the agent reached its step cap of %d without an answer", limit)
	return res
}

func rawOf(req *chatRequest) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	return raw, json.Unmarshal(b, &raw)
}

// runTool executes one tool call and returns what the model sees: the
// tool's answer, or an error text it can react to.
func (s *Server) runTool(ctx context.Context, tc toolCall) string {
	name := tc.Function.Name
	if name != "web_search" {
		s.m.toolCalls.WithLabelValues("unknown", "unknown_tool").Inc()
		return fmt.Sprintf(`{"error":"unknown tool %q; available: web_search"}`, name)
	}
	var args struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil || args.Query == "" {
		s.m.toolCalls.WithLabelValues(name, "bad_arguments").Inc()
		return `{"error":"web_search expects arguments {\"query\": string}"}`
	}
	if s.cfg.SearchURL == "" {
		s.m.toolCalls.WithLabelValues(name, "not_configured").Inc()
		return `{"error":"web_search is not configured (search_url is empty)"}`
	}
	tctx, cancel := context.WithTimeout(ctx, s.cfg.ToolTimeout)
	defer cancel()
	u := strings.TrimRight(s.cfg.SearchURL, "/") + "/search?q=" + url.QueryEscape(args.Query)
	hreq, err := http.NewRequestWithContext(tctx, http.MethodGet, u, nil)
	if err != nil {
		s.m.toolCalls.WithLabelValues(name, "error").Inc()
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	resp, err := s.client.Do(hreq)
	if err != nil {
		s.m.toolCalls.WithLabelValues(name, "error").Inc()
		return fmt.Sprintf(`{"error":"search API unreachable: %s"}`, jsonEscape(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	s.m.toolCalls.WithLabelValues(name, strconv.Itoa(resp.StatusCode)).Inc()
	if err != nil {
		return fmt.Sprintf(`{"error":"reading search results: %s"}`, jsonEscape(err.Error()))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf(`{"error":"search API answered %d","body":%q}`, resp.StatusCode, truncate(string(body), 500))
	}
	return string(body)
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
