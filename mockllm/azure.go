package mockllm

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The Azure OpenAI surface: POST /openai/deployments/{deployment}/chat/completions
// and /embeddings, with the api-version query parameter and the api-key
// header; and Azure's v1 API, /openai/v1/chat/completions and /embeddings,
// where the body's model names the deployment and api-version is
// optional. A deployment serves the openai model the config's
// deployments map names, or, without a map, the openai model of its own
// name; answers are OpenAI's with Azure's content filter results, errors
// OpenAI's shape with Azure's codes, a 429 Azure's message and headers,
// and the prompt_filter fault Azure's refusal of a prompt.

// azureFilter renders content filter results with every category safe
// but filtered (none for ""); the prompt's also carry the jailbreak
// (prompt shield) category, judged as detected or not.
func azureFilter(filtered string, prompt bool) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range []string{FilterHate, FilterJailbreak, FilterSelfHarm, FilterSexual, FilterViolence} {
		if c == FilterJailbreak && !prompt {
			continue
		}
		if i > 0 {
			b.WriteByte(',')
		}
		on := c == filtered
		switch {
		case c == FilterJailbreak:
			fmt.Fprintf(&b, `"%s":{"filtered":%t,"detected":%t}`, c, on, on)
		case on:
			fmt.Fprintf(&b, `"%s":{"filtered":true,"severity":"medium"}`, c)
		default:
			fmt.Fprintf(&b, `"%s":{"filtered":false,"severity":"safe"}`, c)
		}
	}
	return b.String() + "}"
}

// Azure's content filter results of an answer: every category safe, or,
// on a content_filter stop, violence filtered; and of the prompt, which
// an answered request passed.
var (
	azureFilterSafe          = azureFilter("", false)
	azureFilterViolence      = azureFilter(FilterViolence, false)
	azurePromptFilterResults = `[{"prompt_index":0,"content_filter_results":` + azureFilter("", true) + `}]`
)

// azureFilterResults are a choice's content filter results for its
// finish reason.
func azureFilterResults(finish string) string {
	if finish == "content_filter" {
		return azureFilterViolence
	}
	return azureFilterSafe
}

// azurePromptFilterError is Azure's refusal of a prompt its content
// filter flagged in category: 400, code content_filter, param prompt,
// and an innererror (ResponsibleAIPolicyViolation) with the prompt's
// filter results, that category filtered.
func azurePromptFilterError(category string) apiError {
	return apiError{status: 400, code: "content_filter", param: "prompt",
		msg:   "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
		inner: []byte(`{"code":"ResponsibleAIPolicyViolation","content_filter_result":` + azureFilter(category, true) + `}`)}
}

// azureRateLimitError is Azure's 429: the status as code and a message
// naming the operation, the API version, the limit (tokens or calls)
// and the wait.
func azureRateLimitError(c *call, tokens bool, wait time.Duration) apiError {
	op := "ChatCompletions_Create"
	if c.op == "embeddings" {
		op = "Embeddings_Create"
	}
	version := c.apiVersion
	if version == "" {
		version = "v1"
	}
	what := map[bool]string{true: "token", false: "call"}[tokens]
	return apiError{status: 429, msg: fmt.Sprintf(
		"Requests to the %s Operation under Azure OpenAI API version %s have exceeded %s rate limit of your current OpenAI S0 pricing tier. Please retry after %d seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
		op, version, what, retrySeconds(wait))}
}

// openAISurface tells an Azure OpenAI request (provider ProviderAzure and
// the model its path's deployment serves, of the kind) from an OpenAI one
// (ProviderOpenAI, ""). Under /openai/v1/ the deployment is in the body:
// azureModel resolves it once the body is read.
func (s *Server) openAISurface(r *http.Request, kind string) (string, string, *apiError) {
	d := r.PathValue("deployment")
	if d == "" {
		if strings.HasPrefix(r.URL.Path, "/openai/v1/") {
			return ProviderAzure, "", nil
		}
		return ProviderOpenAI, "", nil
	}
	if queryFirst(r, "api-version") == "" {
		return ProviderAzure, "", &apiError{status: 400, code: "MissingApiVersionParameter",
			msg: "The api-version query parameter (?api-version=) is required for all requests."}
	}
	m, e := s.deploymentModel(d, kind)
	return ProviderAzure, m, e
}

// azureModel is the model an Azure request asks for: the one its path's
// deployment serves (model, from openAISurface), else the one the
// body's model names as a deployment (Azure's v1 API); "" when neither
// is given, which the model lookup refuses.
func (s *Server) azureModel(model, body, kind string) (string, *apiError) {
	if model != "" || body == "" {
		return model, nil
	}
	return s.deploymentModel(body, kind)
}

// deploymentModel is the model deployment d serves: the deployments
// map's (Config.Deployments), or, without one, the openai model named d.
// A deployment that does not exist is Azure's 404 DeploymentNotFound;
// one whose model is of another kind (a chat model asked for
// embeddings) Azure's 400 OperationNotSupported.
func (s *Server) deploymentModel(d, kind string) (string, *apiError) {
	name, ok := d, true
	if s.cfg.Deployments != nil {
		name, ok = s.cfg.Deployments[d]
	}
	m := s.models[name]
	if !ok || m == nil || m.Provider != ProviderOpenAI {
		return "", &apiError{status: 404, code: "DeploymentNotFound",
			msg: fmt.Sprintf("The API deployment %s for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.", d)}
	}
	if m.Kind != kind {
		op := map[string]string{KindChat: "chatCompletion", KindEmbedding: "embeddings"}[kind]
		return "", &apiError{status: 400, code: "OperationNotSupported",
			msg: fmt.Sprintf("The %s operation does not work with the specified model, %s. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.", op, m.Name)}
	}
	return m.Name, nil
}
