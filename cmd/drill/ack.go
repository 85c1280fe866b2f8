package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/response"
)

func ackCommand() *command {
	return &command{
		name:    "ack",
		summary: "acknowledge a page of a live drill",
		usage:   "[--url URL] [--user ID] [--list] [ALERT]",
		help: `During a live drill (drill run --live) pages go to the people in the room.
drill ack acknowledges them on the drill's loopback endpoint, found in
.drill/live.json (searched from the working directory upward) unless --url
names it. Without ALERT every open page is acknowledged. --list shows the
pages instead.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who acknowledges (default: $DRILL_USER, else $USER)")
			list := fs.Bool("list", false, "list the pages instead of acknowledging")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("ack takes at most one alert name, got %d arguments", len(args))
				}
				if *list {
					base := *url
					if base == "" {
						var err error
						if base, err = findLiveURL(); err != nil {
							return withCode(exitUsage, err)
						}
					}
					return listPages(ctx, &http.Client{Timeout: 10 * time.Second}, strings.TrimRight(base, "/"), e.stdout)
				}
				base, who, err := liveTarget(*url, *user, e)
				if err != nil {
					return err
				}
				alert := ""
				if len(args) == 1 {
					alert = args[0]
				}
				var ar response.AckResponse
				if err := postLive(ctx, base, "/ack", response.AckRequest{User: who, Alert: alert}, &ar); err != nil {
					return err
				}
				what := "every open page"
				if alert != "" {
					what = alert
				}
				fmt.Fprintf(e.stdout, "acknowledged %s as %s (%d incident(s))\n", what, who, ar.Acked)
				return nil
			}
		},
	}
}

// findLiveURL reads .drill/live.json from the working directory upward.
func findLiveURL() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, response.LiveFile)
		b, err := os.ReadFile(p)
		if err == nil {
			var info response.LiveInfo
			if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
				return "", fmt.Errorf(`%s: expected {"url": "http://127.0.0.1:PORT"}`, p)
			}
			return info.URL, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no live drill found: no %s here or above; start one with drill run --live, or pass --url", response.LiveFile)
		}
		dir = parent
	}
}

func listPages(ctx context.Context, client *http.Client, base string, out io.Writer) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/pages", nil)
	if err != nil {
		return usageErrorf("bad --url %q: %v", base, err)
	}
	resp, err := client.Do(hr)
	if err != nil {
		return fmt.Errorf("cannot reach the live drill at %s (is it still running?): %w", base, err)
	}
	defer resp.Body.Close()
	var pages []response.Page
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return fmt.Errorf("live drill answered %s: %s", resp.Status, serverError(b))
	}
	if err := json.NewDecoder(resp.Body).Decode(&pages); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", base, err)
	}
	if len(pages) == 0 {
		fmt.Fprintln(out, "no pages yet")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tALERT\tUSER\tPOLICY\tRULE\tACKED BY")
	for _, p := range pages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.At.Format("15:04:05"), p.Alert, p.User, p.Policy, p.Rule, p.AckedBy)
	}
	return tw.Flush()
}

func serverError(b []byte) string {
	var m struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &m) == nil && m.Error != "" {
		return m.Error
	}
	return strings.TrimSpace(string(b))
}
