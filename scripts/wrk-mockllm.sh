#!/usr/bin/env bash
# wrk-mockllm.sh measures mockllm from outside with wrk against a bare
# net/http handler sending the same bytes (cmd/benchpair), alternating
# rounds so that load from elsewhere on the machine hits both alike.
#
#   scripts/wrk-mockllm.sh [surface] [rounds] [seconds]
#
# surface: chat (default), tools (chat with two tools, as agents send),
# stream, converse, converse-stream, messages,
# gemini. Each round reports requests/s, p50 and p99 and the server's
# CPU time a request (utime+stime of the benchpair process over the
# round, read from /proc: what the request cost the server, whatever
# else the machine ran). Needs wrk (Debian's package) and Go.
# BARE_SERVER=loopback serves the bare handler with mockllm's own server
# settings (timeouts, h2c, a cancelable base context) instead of
# net/http's defaults, to tell the server's cost from the handler's.
set -euo pipefail
surface=${1:-chat}
rounds=${2:-3}
secs=${3:-5}
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk-mockllm: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

case $surface in
chat) path=/v1/chat/completions; body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"summarise the incident"}]}' ;;
tools) path=/v1/chat/completions; body='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are the on-call assistant."},{"role":"user","content":"what is the status of the checkout service?"}],"tools":[{"type":"function","function":{"name":"get_status","description":"Get a service status","parameters":{"type":"object","properties":{"service":{"type":"string"},"region":{"type":"string","enum":["eu","us"]}},"required":["service"]}}},{"type":"function","function":{"name":"page_oncall","description":"Page the on-call","parameters":{"type":"object","properties":{"team":{"type":"string"},"urgency":{"type":"string"}},"required":["team"]}}}],"temperature":0.2}' ;;
stream) path=/v1/chat/completions; body='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"stream the incident"}]}' ;;
messages) path=/v1/messages; body='{"model":"claude-haiku-4-5","max_tokens":200,"messages":[{"role":"user","content":"summarise the incident"}]}' ;;
gemini) path=/v1beta/models/gemini-2.5-flash:generateContent; body='{"contents":[{"parts":[{"text":"summarise the incident"}]}]}' ;;
converse) path=/model/amazon.nova-lite-v1:0/converse; body='{"messages":[{"role":"user","content":[{"text":"summarise the incident"}]}]}' ;;
converse-stream) path=/model/amazon.nova-lite-v1:0/converse-stream; body='{"messages":[{"role":"user","content":[{"text":"stream the incident"}]}]}' ;;
*) echo "wrk-mockllm: unknown surface $surface (want chat, tools, stream, messages, gemini, converse or converse-stream)" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
go build -o "$tmp/benchpair" ./cmd/benchpair
"$tmp/benchpair" -bare-server "${BARE_SERVER:-plain}" -mock 127.0.0.1:0 -bare 127.0.0.1:0 -path "$path" -body "$body" >"$tmp/addrs" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q '^sample' "$tmp/addrs" 2>/dev/null && break; sleep 0.1; done
grep -q '^sample' "$tmp/addrs" || { cat "$tmp/err" >&2; exit 1; }
mock=$(awk '/^mockllm/{print $2}' "$tmp/addrs")
bare=$(awk '/^bare/{print $2}' "$tmp/addrs")
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$body]]
wrk.headers["Content-Type"] = "application/json"
LUA
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
printf '%-6s %-5s %10s %9s %9s %12s\n' round side 'req/s' p50 p99 'cpu us/req'
for r in $(seq "$rounds"); do
  for side in bare mock; do
    url=$bare; [ $side = mock ] && url=$mock
    c0=$(cpu)
    out=$(wrk -t1 -c64 -d"${secs}s" --latency -s "$tmp/post.lua" "$url")
    c1=$(cpu)
    rps=$(awk '/^Requests\/sec/{print $2}' <<<"$out")
    n=$(awk '/requests in/{print $1}' <<<"$out")
    p50=$(awk '$1=="50%"{print $2}' <<<"$out")
    p99=$(awk '$1=="99%"{print $2}' <<<"$out")
    us=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="$n" 'BEGIN{printf "%.1f", c / hz * 1e6 / n}')
    printf '%-6s %-5s %10s %9s %9s %12s\n' "$r" $side "$rps" "$p50" "$p99" "$us"
    echo "$side $rps $us" >>"$tmp/rounds"
  done
done
awk '$1=="bare"{br+=$2; bc+=$3; nb++} $1=="mock"{mr+=$2; mc+=$3; nm++}
END{printf "throughput mock/bare %.2fx; server cpu a request: mock %.1f us, bare %.1f us\n", (mr/nm)/(br/nb), mc/nm, bc/nb}' "$tmp/rounds"
