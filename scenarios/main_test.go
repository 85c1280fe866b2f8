package scenarios

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/loopback"
)

// TestMain runs the tests, or, when DRILL_TEST_SERVICE is set, the test
// binary is a team's service under test (see serveTestService).
func TestMain(m *testing.M) {
	if os.Getenv(testServiceEnv) != "" {
		os.Exit(serveTestService())
	}
	os.Exit(m.Run())
}

const testServiceEnv = "DRILL_TEST_SERVICE"

// serveTestService runs the reference gateway, configured from DRILL_*
// variables like `drill serve gateway`, with two defects a runbook can
// plant: POST /admin/test/crash kills the process (a wrapper that started
// it lives on), and POST /admin/test/break-metrics makes /metrics answer
// 500 from then on while everything else keeps working.
func serveTestService() int {
	cfg, err := gateway.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test service:", err)
		return 2
	}
	addr := cfg.Addr
	cfg.Addr = "127.0.0.1:0"
	gw, err := gateway.Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test service:", err)
		return 2
	}
	defer gw.Close()
	var broken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/test/crash", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(os.Stderr, "test service: crashing on request")
		os.Exit(3)
	})
	mux.HandleFunc("POST /admin/test/break-metrics", func(w http.ResponseWriter, r *http.Request) {
		broken.Store(true)
		fmt.Fprintln(w, "metrics broken")
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "metrics exporter failed", http.StatusInternalServerError)
			return
		}
		gw.Handler().ServeHTTP(w, r)
	})
	mux.Handle("/", gw.Handler())
	srv, err := loopback.Serve(addr, mux, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test service:", err)
		return 2
	}
	fmt.Println("test service listening on", srv.URL())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	_ = srv.Close(time.Second)
	return 0
}
