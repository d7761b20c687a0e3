# Notre Asso — one binary, two commands to know: `make run` and `make test`.
GO      ?= go
BIN     := bin/notreasso
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# End-to-end tests start real servers (notreasso, versitygw, Chromium); keep
# the whole run well under 20 minutes on 2 cores.
TEST_TIMEOUT ?= 18m

.PHONY: run build test test-short lint bench bench-quick tools clean
.PHONY: run build test test-short lint bench tools clean screenshots

## build: compile the static binary into bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/notreasso

## run: build and start the server on the embedded default (./data, local disk, SQLite)
run: build
	./$(BIN) serve

## tools: install test tools (versitygw…) into .tools/bin, once
tools:
	scripts/tools.sh

## test: lint, then every test — unit, end-to-end against the real binary, S3 against a real server
test: tools lint
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	scripts/fuzz.sh

## test-short: unit tests only
test-short:
	$(GO) test -short ./...

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: measure (see docs/benchmarks.md); BENCH_ARGS=--quick for a short run
bench: build tools
	scripts/bench.sh $(BENCH_ARGS)

## bench-quick: the same with small sizes, under 5 minutes
bench-quick: build tools
	scripts/bench.sh --quick $(BENCH_ARGS)
## screenshots: rerun the browser walk-through, writing its screenshots into docs/screenshots
screenshots:
	NOTREASSO_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestWebUI$$|TestSearchPageWithBackend' ./e2e ./internal/web

clean:
	rm -rf bin
