package mockllm

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/stretchr/testify/require"
)

// A memoized frame is byte for byte what the SDK's encoder writes for
// the same event, and the memo stops growing at its bound.
func TestFrameMemoIsTheSDKsEncoding(t *testing.T) {
	f := &frames{m: map[string][]byte{}}
	saved := frameMemo
	frameMemo = f
	t.Cleanup(func() { frameMemo = saved })

	encode := func(typ string, payload []byte) []byte {
		var buf bytes.Buffer
		require.NoError(t, eventstream.NewEncoder().Encode(&buf, eventstream.Message{Headers: eventHeaders[typ], Payload: payload}))
		return buf.Bytes()
	}
	rec := httptest.NewRecorder()
	sw := newSSE(rec)
	out := rec.Body
	var ew eventWriter
	for i := range maxMemoFrames + 100 {
		payload := fmt.Appendf(nil, `{"contentBlockIndex":0,"delta":{"text":" w%d"}}`, i)
		out.Reset()
		ew.event(sw, "contentBlockDelta", payload)
		require.Equal(t, encode("contentBlockDelta", payload), out.Bytes(), "event %d as written", i)
		out.Reset()
		ew.event(sw, "contentBlockDelta", payload) // the second time, from the memo when it holds it
		require.Equal(t, encode("contentBlockDelta", payload), out.Bytes(), "event %d written again", i)
	}
	require.Len(t, f.m, maxMemoFrames)
	_, ok := f.get("contentBlockDelta", fmt.Appendf(nil, `{"contentBlockIndex":0,"delta":{"text":" w%d"}}`, maxMemoFrames+50))
	require.False(t, ok, "a full memo takes no more frames")
	// The same payload under another event type is another frame.
	_, ok = f.get("contentBlockStop", []byte(`{"contentBlockIndex":0,"delta":{"text":" w1"}}`))
	require.False(t, ok)

	long := bytes.Repeat([]byte("x"), maxMemoPayload+1)
	out.Reset()
	ew.event(sw, "chunk", long)
	require.Equal(t, encode("chunk", long), out.Bytes())
	ew.release()
}
