package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/scoring"
)

// applier turns one fault on and off on its target. level is the share of
// full strength a ramp has reached, in (0, 1].
type applier interface {
	on(ctx context.Context, level float64) error
	step(ctx context.Context, level float64) error
	off(ctx context.Context) error
	affected(ctx context.Context) (int64, error)
	source() scoring.EvidenceSource // where affected's count comes from
}

// networkFault is a toxic, or for outage a disabled proxy.
type networkFault struct {
	proxies *Proxies
	proxy   string
	id      string
	kind    *Kind
	spec    Spec
	watch   *connWatch
}

func (f *networkFault) toxic(level float64) Toxic {
	attrs := map[string]any{}
	for _, p := range f.kind.Params {
		if p.Name == "toxicity" {
			continue
		}
		attrs[p.Name] = f.spec.Params[p.Name]
	}
	if f.kind.Toxic == "timeout" {
		attrs["timeout"] = int64(0) // blackhole: hold the data, never close
	}
	return Toxic{Name: f.id, Type: f.kind.Toxic, Stream: f.kind.Stream, Toxicity: f.spec.Float("toxicity") * level, Attributes: attrs}
}

func (f *networkFault) on(_ context.Context, level float64) error {
	// Watch before acting, so connections the fault cuts at once count.
	f.watch = f.proxies.watch(f.proxy)
	var err error
	if f.kind.Toxic == "" {
		err = f.proxies.Disable(f.proxy)
	} else {
		err = f.proxies.AddToxic(f.proxy, f.toxic(level))
	}
	if err != nil && f.watch != nil {
		f.watch.stop()
	}
	return err
}

func (f *networkFault) step(_ context.Context, level float64) error {
	return f.proxies.SetToxicity(f.proxy, f.id, f.spec.Float("toxicity")*level)
}

func (f *networkFault) off(context.Context) error {
	var err error
	if f.kind.Toxic == "" {
		err = f.proxies.Enable(f.proxy)
	} else {
		err = f.proxies.RemoveToxic(f.proxy, f.id)
	}
	if f.watch != nil {
		f.watch.stop()
	}
	return err
}

func (f *networkFault) affected(context.Context) (int64, error) {
	if f.watch == nil {
		return 0, nil
	}
	return f.watch.count(), nil
}

func (f *networkFault) source() scoring.EvidenceSource {
	if f.proxies.HasEvidence() {
		return scoring.EvidenceToxiproxy
	}
	return scoring.EvidenceUnavailable
}

// appFault is a fault mode of a mock, set through its control API. A ramp
// adds the fault again under a new ID at each step and removes the
// previous one (the control API has no update), so evidence sums the IDs.
type appFault struct {
	client  *http.Client
	control string // base URL of the mock
	id      string
	kind    *Kind
	spec    Spec
	ids     []string // every ID posted, in order
	current string   // the ID in force
}

// controlFault is the JSON body of POST /_drill/faults.
type controlFault struct {
	ID          string         `json:"id"`
	Mode        string         `json:"mode"`
	Target      string         `json:"target,omitempty"`
	Probability *float64       `json:"probability,omitempty"`
	Count       int64          `json:"count,omitempty"`
	Params      map[string]any `json:"params"`
}

var scopeParams = map[string]bool{"probability": true, "target": true, "count": true}

// secondParams are duration parameters the mocks take as whole seconds.
var secondParams = map[string]bool{"retry_after": true}

func (f *appFault) body(id string, level float64) controlFault {
	p := f.spec.Float("probability") * level
	cf := controlFault{ID: id, Mode: f.kind.Mode, Probability: &p, Count: f.spec.Int("count"), Params: map[string]any{}}
	cf.Target, _ = f.spec.Params["target"].(string)
	for k, v := range f.kind.Fixed {
		cf.Params[k] = v
	}
	for name, v := range f.spec.Params {
		if scopeParams[name] {
			continue
		}
		if d, ok := v.(time.Duration); ok {
			if secondParams[name] {
				// Retry-After is whole seconds on the wire, and so in the mocks.
				cf.Params[name] = int64((d + time.Second - 1) / time.Second)
				continue
			}
			cf.Params[name] = d.String() // the mocks read other durations as text: "2s"
			continue
		}
		cf.Params[name] = v
	}
	return cf
}

func (f *appFault) post(ctx context.Context, id string, level float64) error {
	b, err := json.Marshal(f.body(id, level))
	if err != nil {
		return err
	}
	resp, err := f.do(ctx, http.MethodPost, "/_drill/faults", b)
	if err != nil {
		return err
	}
	if resp.status != http.StatusCreated && resp.status != http.StatusOK {
		return fmt.Errorf("faults: %s: add %s: %s", f.control, f.kind.Mode, resp.message())
	}
	f.ids = append(f.ids, id)
	f.current = id
	return nil
}

func (f *appFault) on(ctx context.Context, level float64) error { return f.post(ctx, f.id, level) }

func (f *appFault) step(ctx context.Context, level float64) error {
	prev := f.current
	// Add the stronger fault first: no gap without a fault between steps.
	if err := f.post(ctx, f.id+"."+strconv.Itoa(len(f.ids)+1), level); err != nil {
		return err
	}
	return f.remove(ctx, prev)
}

func (f *appFault) remove(ctx context.Context, id string) error {
	resp, err := f.do(ctx, http.MethodDelete, "/_drill/faults/"+url.PathEscape(id), nil)
	if err != nil {
		return err
	}
	// 404: the mock already forgot it (restarted, or cleared by hand): gone.
	if resp.status != http.StatusNoContent && resp.status != http.StatusOK && resp.status != http.StatusNotFound {
		return fmt.Errorf("faults: %s: remove %s: %s", f.control, id, resp.message())
	}
	return nil
}

func (f *appFault) off(ctx context.Context) error {
	if f.current == "" {
		return nil
	}
	err := f.remove(ctx, f.current)
	if err == nil {
		f.current = ""
	}
	return err
}

func (f *appFault) affected(ctx context.Context) (int64, error) {
	resp, err := f.do(ctx, http.MethodGet, "/_drill/evidence", nil)
	if err != nil {
		return 0, err
	}
	if resp.status != http.StatusOK {
		return 0, fmt.Errorf("faults: %s: evidence: %s", f.control, resp.message())
	}
	var ev map[string]int64
	if err := json.Unmarshal(resp.body, &ev); err != nil {
		return 0, fmt.Errorf("faults: %s: evidence: want {\"<id>\": n}: %w", f.control, err)
	}
	var n int64
	for _, id := range f.ids {
		n += ev[id]
	}
	return n, nil
}

func (f *appFault) source() scoring.EvidenceSource { return scoring.EvidenceControlAPI }

type controlResponse struct {
	status int
	body   []byte
}

func (r controlResponse) message() string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(r.body, &e) == nil && e.Error != "" {
		return fmt.Sprintf("%d: %s", r.status, e.Error)
	}
	return fmt.Sprintf("%d: %s", r.status, strings.TrimSpace(string(r.body)))
}

func (f *appFault) do(ctx context.Context, method, path string, body []byte) (controlResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(f.control, "/")+path, rd)
	if err != nil {
		return controlResponse{}, fmt.Errorf("faults: control API %s: %w", f.control, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return controlResponse{}, fmt.Errorf("faults: control API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return controlResponse{}, fmt.Errorf("faults: control API %s %s: %w", method, path, err)
	}
	return controlResponse{status: resp.StatusCode, body: b}, nil
}

// surgeFault multiplies the traffic rate.
type surgeFault struct {
	set    func(float64) error
	sent   func() int64
	factor float64
	start  int64
	end    int64
	ended  bool
}

func (f *surgeFault) level(l float64) float64 { return 1 + (f.factor-1)*l }

func (f *surgeFault) on(_ context.Context, level float64) error {
	if f.sent != nil {
		f.start = f.sent()
	}
	return f.set(f.level(level))
}

func (f *surgeFault) step(_ context.Context, level float64) error { return f.set(f.level(level)) }

func (f *surgeFault) off(context.Context) error {
	err := f.set(1)
	if f.sent != nil {
		f.end, f.ended = f.sent(), true
	}
	return err
}

func (f *surgeFault) affected(context.Context) (int64, error) {
	if f.sent == nil {
		return 0, nil
	}
	if f.ended {
		return f.end - f.start, nil
	}
	return f.sent() - f.start, nil
}

func (f *surgeFault) source() scoring.EvidenceSource {
	if f.sent == nil {
		return scoring.EvidenceUnavailable
	}
	return scoring.EvidenceTraffic
}
