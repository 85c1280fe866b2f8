package chromium

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Start starts Debian's headless Chromium at a window of width×height,
// or skips the test with one line. The browser lives for 30 s at most
// and ends with the test.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("chromium not installed (apt-get install -y chromium); console browser test skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(width, height),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	require.NoError(t, chromedp.Do(ctx))
	return ctx
}

// Click clicks the button sel once it shows enabled, then waits until
// done holds. The click runs in the page (HTMLElement.click on the node
// the selector finds then), so a list the page re-renders between a
// lookup and a click cannot swallow it.
func Click(t *testing.T, ctx context.Context, sel string, done func() bool) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const b = document.querySelector(%q); if (!b || b.disabled) return false; b.click(); return true; })()`, sel)
	require.Eventually(t, func() bool {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](js))
		return err == nil && ok
	}, 10*time.Second, 5*time.Millisecond, "no enabled %s to click", sel)
	require.Eventually(t, done, 10*time.Second, 5*time.Millisecond, "after a click on %s", sel)
}

// Text is the text of the element sel.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	require.NoError(t, err)
	return s
}

// WaitText waits until the element sel's text holds want; failing, it
// says what the element showed.
func WaitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	var last string
	require.Eventually(t, func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		last, _ = chromedp.Run(cctx, chromedp.TextContent(chromedp.CSS(sel)))
		return strings.Contains(last, want)
	}, 15*time.Second, 20*time.Millisecond, "%s should show %q; it shows %q (%s)", sel, want, last, HTML(ctx, sel))
}

// HTML is the element sel's outer HTML, or why it could not be read.
func HTML(ctx context.Context, sel string) string {
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(sel)))
	if err != nil {
		return err.Error()
	}
	return s
}
