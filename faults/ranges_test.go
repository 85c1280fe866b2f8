package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/stubs"
)

// Every numeric parameter of the catalog has a range, and the range is in
// its error message.
func TestEveryNumericParameterHasARange(t *testing.T) {
	for _, k := range Kinds() {
		for _, p := range k.Params {
			switch p.Type {
			case Int, Float, Probability, Duration:
				require.NotNil(t, p.Range, "%s.%s has no range", k.Name, p.Name)
				require.Contains(t, want(p), p.Range.String())
			}
		}
	}
}

// The catalog and the mocks' control APIs accept the same values: for
// every numeric parameter of every app kind, the ends of its range parse
// and the real mock (mockllm or a stub) takes what the catalog posts, and
// just past an end the catalog refuses and so does the mock, when sent
// the value directly. One declaration (internal/faultmode) serves both.
func TestCatalogAndMocksAgreeOnRanges(t *testing.T) {
	llm, err := mockllm.New(mockllm.DefaultConfig())
	require.NoError(t, err)
	cfg, err := stubs.Kit(stubs.Kits()[0])
	require.NoError(t, err)
	stub, err := stubs.New(cfg)
	require.NoError(t, err)
	mocks := map[TargetType]http.Handler{TargetProvider: llm.Handler(), TargetStub: stub.Handler()}
	// Parameters a kind needs besides the one under test.
	base := map[string]map[string]string{"rate-limit": {"rpm": "10", "tpm": "10"}}

	checked := 0
	for _, k := range Kinds() {
		if k.Mechanism != App {
			continue
		}
		for _, p := range k.Params {
			if p.Range == nil || scopeParams[p.Name] {
				continue // probability and count are faultmode's own checks (TestControlAPIBounds)
			}
			inside, outside := edges(t, p)
			for _, v := range inside {
				params := map[string]string{p.Name: v}
				for bk, bv := range base[k.Name] {
					if bk != p.Name {
						params[bk] = bv
					}
				}
				spec, err := Parse(k.Name, params)
				require.NoError(t, err, "%s %s=%s", k.Name, p.Name, v)
				code, msg := postFault(t, mocks[k.Target], k, spec)
				require.Equal(t, http.StatusCreated, code, "%s %s=%s: the mock refuses what the catalog takes: %s", k.Name, p.Name, v, msg)
				checked++
			}
			for _, v := range outside {
				_, err := Parse(k.Name, map[string]string{p.Name: v.text})
				require.Error(t, err, "%s %s=%s", k.Name, p.Name, v.text)
				spec, err := Parse(k.Name, base[k.Name])
				require.NoError(t, err)
				spec.Params[p.Name] = v.value
				code, msg := postFault(t, mocks[k.Target], k, spec)
				require.Equal(t, http.StatusBadRequest, code, "%s %s=%s: the mock takes what the catalog refuses", k.Name, p.Name, v.text)
				require.Contains(t, msg, "params."+p.Name)
				checked++
			}
		}
	}
	require.Greater(t, checked, 30)
}

// Every value of every enum parameter of a provider kind (garbage
// kinds, prompt filter categories, ...) is one mockllm takes: the
// catalog writes them out, mockllm declares them, and this keeps the
// two lists in step.
func TestCatalogEnumsAreMockllms(t *testing.T) {
	llm, err := mockllm.New(mockllm.DefaultConfig())
	require.NoError(t, err)
	checked := 0
	for _, k := range Kinds() {
		if k.Mechanism != App || k.Target != TargetProvider {
			continue
		}
		for _, p := range k.Params {
			if p.Type != Enum {
				continue
			}
			for _, v := range p.Enum {
				spec, err := Parse(k.Name, map[string]string{p.Name: v})
				require.NoError(t, err, "%s %s=%s", k.Name, p.Name, v)
				code, msg := postFault(t, llm.Handler(), k, spec)
				require.Equal(t, http.StatusCreated, code, "%s %s=%s: mockllm refuses it: %s", k.Name, p.Name, v, msg)
				checked++
			}
		}
	}
	require.Len(t, mockllm.FilterCategories, 5)
	k, _ := Lookup("prompt-filter")
	p, _ := k.Param("category")
	require.ElementsMatch(t, mockllm.FilterCategories, p.Enum, "the catalog offers every category mockllm has")
	require.Greater(t, checked, 15)
}

type outside struct {
	text  string // as a feature file writes it
	value any    // as Parse would have produced it
}

// edges returns values at the ends of p's range and values just past them.
func edges(t *testing.T, p Param) (in []string, out []outside) {
	switch r := p.Range.(type) {
	case faultmode.Range[int64]:
		lo := r.Min
		if r.AboveMin {
			lo++
		}
		in = []string{strconv.FormatInt(lo, 10), strconv.FormatInt(r.Max, 10)}
		out = []outside{{strconv.FormatInt(r.Max+1, 10), r.Max + 1}}
		if lo > 0 {
			out = append(out, outside{strconv.FormatInt(lo-1, 10), lo - 1})
		}
	case faultmode.Range[float64]:
		lo := r.Min
		if r.AboveMin {
			lo = r.Min + 0.001
		}
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
		in = []string{f(lo), f(r.Max)}
		out = []outside{{f(r.Max * 1.01), r.Max * 1.01}}
		if r.AboveMin {
			out = append(out, outside{f(r.Min), r.Min})
		}
	case faultmode.Range[time.Duration]:
		lo := r.Min
		if r.AboveMin {
			lo = r.Min + time.Millisecond
		}
		in = []string{lo.String(), r.Max.String()}
		out = []outside{{(r.Max + time.Second).String(), r.Max + time.Second}}
	default:
		t.Fatalf("%s: range of unknown type %T", p.Name, p.Range)
	}
	return in, out
}

// postFault posts the control body the applier would send for spec.
func postFault(t *testing.T, h http.Handler, k *Kind, spec Spec) (int, string) {
	t.Helper()
	f := &appFault{kind: k, spec: spec}
	id := fmt.Sprintf("t-%d", time.Now().UnixNano())
	b, err := json.Marshal(f.body(id, 1))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/_drill/faults", strings.NewReader(string(b)))
	req.RemoteAddr = "127.0.0.1:5000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code == http.StatusCreated {
		del := httptest.NewRequest(http.MethodDelete, "/_drill/faults", nil)
		del.RemoteAddr = req.RemoteAddr
		h.ServeHTTP(httptest.NewRecorder(), del)
	}
	return rec.Code, rec.Body.String()
}
