package mockllm

import (
	"fmt"
	"net/http"
	"strings"
)

// The Azure OpenAI surface: POST /openai/deployments/{deployment}/chat/completions
// and /embeddings, with the api-version query parameter and the api-key
// header; and Azure's v1 API, /openai/v1/chat/completions and /embeddings,
// where the body's model names the deployment and api-version is optional. A deployment is named after the openai model it serves; answers
// are OpenAI's, errors OpenAI's shape with Azure's codes, and a 429 also
// carries retry-after-ms.

// Azure's content filter results: every category safe, or, on a
// content_filter stop, violence filtered.
const (
	azureFilterSafe     = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`
	azureFilterViolence = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}`
	// azurePromptFilterResults are the prompt's, which drill's faults
	// never filter.
	azurePromptFilterResults = `[{"prompt_index":0,"content_filter_results":` + azureFilterSafe + `}]`
)

// azureFilterResults are a choice's content filter results for its
// finish reason.
func azureFilterResults(finish string) string {
	if finish == "content_filter" {
		return azureFilterViolence
	}
	return azureFilterSafe
}

// openAISurface tells an Azure OpenAI request (provider ProviderAzure and
// its deployment, a model of the kind) from an OpenAI one (ProviderOpenAI,
// "").
func (s *Server) openAISurface(r *http.Request, kind string) (string, string, *apiError) {
	d := r.PathValue("deployment")
	if d == "" {
		if strings.HasPrefix(r.URL.Path, "/openai/v1/") {
			return ProviderAzure, "", nil
		}
		return ProviderOpenAI, "", nil
	}
	if r.URL.Query().Get("api-version") == "" {
		return ProviderAzure, d, &apiError{status: 400, code: "MissingApiVersionParameter",
			msg: "The api-version query parameter (?api-version=) is required for all requests."}
	}
	if m := s.models[d]; m == nil || m.Provider != ProviderOpenAI || m.Kind != kind {
		return ProviderAzure, d, &apiError{status: 404, code: "DeploymentNotFound",
			msg: fmt.Sprintf("The API deployment %s for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.", d)}
	}
	return ProviderAzure, d, nil
}
