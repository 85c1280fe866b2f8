package mockllm

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/drillkit/drill/internal/faultmode"
)

// Surfaces: the provider APIs one server answers. By default it answers
// all of them; Config.Surfaces narrows that, as a team's drill.yaml says
// which APIs a provider stands in for, and a request to another one gets
// that provider's 404.

// Surface names.
const (
	SurfaceOpenAI    = "openai"    // chat, completions, responses, embeddings, models (and vLLM's)
	SurfaceAzure     = "azure"     // Azure OpenAI deployments and /openai/v1
	SurfaceAnthropic = "anthropic" // messages, models
	SurfaceGemini    = "gemini"    // generateContent, embeddings, countTokens, models
	SurfaceBedrock   = "bedrock"   // Bedrock Runtime: converse, invoke, their streams
)

// AllSurfaces are the surface names, in the order they are listed.
var AllSurfaces = []string{SurfaceOpenAI, SurfaceAzure, SurfaceAnthropic, SurfaceGemini, SurfaceBedrock}

// SurfaceURL is what an application's SDK of one surface needs to reach
// a server: its base URL, and the environment variable the official
// SDKs read it from.
type SurfaceURL struct {
	Surface string
	URL     string
	Env     string
}

// BaseURLs are the base URLs each surface's SDK takes for a server at
// base (URL(), or a proxy in front of it), for surfaces (nil: all).
func BaseURLs(base string, surfaces []string) []SurfaceURL {
	base = strings.TrimRight(base, "/")
	var out []SurfaceURL
	for _, sf := range AllSurfaces {
		if len(surfaces) > 0 && !slices.Contains(surfaces, sf) {
			continue
		}
		u := SurfaceURL{Surface: sf, URL: base}
		switch sf {
		case SurfaceOpenAI:
			u.URL, u.Env = base+"/v1", "OPENAI_BASE_URL"
		case SurfaceAzure:
			u.Env = "AZURE_OPENAI_ENDPOINT"
		case SurfaceAnthropic:
			u.Env = "ANTHROPIC_BASE_URL"
		case SurfaceGemini:
			u.Env = "GOOGLE_GEMINI_BASE_URL"
		case SurfaceBedrock:
			u.Env = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
		}
		out = append(out, u)
	}
	return out
}

// Surfaces are the surfaces the server answers.
func (s *Server) Surfaces() []string {
	if len(s.cfg.Surfaces) == 0 {
		return append([]string(nil), AllSurfaces...)
	}
	return append([]string(nil), s.cfg.Surfaces...)
}

// Deployments are the server's Azure OpenAI deployments, name to model
// (Config.Deployments); nil when each is named after its model.
func (s *Server) Deployments() map[string]string {
	if s.cfg.Deployments == nil {
		return nil
	}
	return maps.Clone(s.cfg.Deployments)
}

// onlySurfaces answers requests to a surface the server does not serve
// with that provider's 404; /metrics and the control API stay.
func (s *Server) onlySurfaces(next http.Handler) http.Handler {
	served := s.cfg.Surfaces
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/metrics" || strings.HasPrefix(p, faultmode.Prefix+"/") || p == faultmode.Prefix {
			next.ServeHTTP(w, r)
			return
		}
		if prov := providerOf(r); !slices.Contains(served, prov) {
			writeError(w, prov, apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: "unknown_url",
				msg: fmt.Sprintf("This server does not serve the %s API (%s %s): its surfaces are %s.", prov, r.Method, p, strings.Join(served, ", "))})
			return
		}
		next.ServeHTTP(w, r)
	})
}
