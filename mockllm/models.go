package mockllm

import "net/http"

// The models lists of OpenAI, Anthropic and Gemini.

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if providerOf(r) == ProviderGemini {
		s.geminiModels(w, "")
		return
	}
	if providerOf(r) == ProviderAnthropic {
		var data []map[string]any
		for _, m := range s.cfg.Models {
			if m.Provider == ProviderAnthropic {
				data = append(data, map[string]any{"type": "model", "id": m.Name, "display_name": m.Name, "created_at": "2025-09-29T00:00:00Z"})
			}
		}
		out := map[string]any{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(data) > 0 {
			out["first_id"], out["last_id"] = data[0]["id"], data[len(data)-1]["id"]
		}
		writeJSON(w, out)
		return
	}
	data := []map[string]any{}
	for _, m := range s.cfg.Models {
		if m.Provider == ProviderOpenAI {
			data = append(data, openAIModel(m))
		}
	}
	writeJSON(w, map[string]any{"object": "list", "data": data})
}

func openAIModel(m Model) map[string]any {
	return map[string]any{"id": m.Name, "object": "model", "created": 1715367049, "owned_by": "system"}
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	p := providerOf(r)
	if p == ProviderGemini {
		s.geminiModels(w, r.PathValue("id"))
		return
	}
	lp := p
	if p == ProviderAzure {
		lp = ProviderOpenAI
	}
	m, e := s.lookupModel(lp, r.PathValue("id"), "")
	if e != nil {
		writeError(w, p, *e)
		return
	}
	if p == ProviderAnthropic {
		writeJSON(w, map[string]any{"type": "model", "id": m.Name, "display_name": m.Name, "created_at": "2025-09-29T00:00:00Z"})
		return
	}
	writeJSON(w, openAIModel(m.Model))
}
