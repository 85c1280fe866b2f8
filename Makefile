# drill's build, test, lint and benchmark entry points. `make test` is what
# CI runs (through .ci/run) and what the README's quick start names.

GO        ?= go
PKGS      ?= ./...
STATICCHECK_VERSION ?= v0.8.2
TEST_TIMEOUT ?= 30m
FUZZTIME  ?= 10s

.PHONY: all build test test-short lint fmt bench fuzz clean

all: lint test

## build: compile bin/drill
build:
	$(GO) build -o bin/drill ./cmd/drill

## test: every package, with the race detector
test:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

## test-short: skip the slow tests (no race detector)
test-short:
	$(GO) test -short -count=1 $(PKGS)

## lint: gofmt, go vet and staticcheck must be clean
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: every fuzz target of the tree, one at a time, for FUZZTIME each
## (10s by default); a failing input is kept in the package's
## testdata/fuzz, where `go test` replays it from then on. See
## scripts/fuzz.sh for the one failure it tolerates (Go's coordinator race).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

## bench: Go benchmarks of every package, one package at a time (-p 1):
## go test otherwise runs several packages' benchmarks at once, on the
## same cores, and each skews the others.
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -count=1 $(PKGS)

clean:
	rm -rf bin
