# Notre Asso — one binary, two commands to know: `make run` and `make test`.
GO      ?= go
# go.mod names the Go release to build with (`toolchain`: security fixes of
# the standard library); the go command fetches it through the module proxy
# unless GOTOOLCHAIN is set otherwise (some installs default it to local).
export GOTOOLCHAIN ?= auto
BIN     := bin/notreasso
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# End-to-end tests start real servers (notreasso, versitygw, Chromium); keep
# the whole run well under 20 minutes on 2 cores.
TEST_TIMEOUT ?= 18m

.PHONY: run build test test-postgres test-short lint bench bench-quick tools clean screenshots

## build: compile the static binary into bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/notreasso

## run: build and start the server on the embedded default (./data, local disk, SQLite)
run: build
	./$(BIN) serve

## tools: install test tools (versitygw, staticcheck, govulncheck and its database) into .tools, once
tools:
	scripts/tools.sh

## test: lint, then every test — unit, end-to-end against the real binary, S3 against a real server — then the PostgreSQL pass
# -count=1: the e2e tests build and run the real binary, which Go's test
# cache does not see; a cached pass would not have run the code under test.
test: tools lint
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	scripts/fuzz.sh
	$(MAKE) test-postgres

# The suites that run a second time on PostgreSQL (a throwaway cluster the
# tests start, see internal/testutil/testdb): the repository, accounts, the
# API and WebDAV (litmus included), in-process and against the real binary.
PG_PACKAGES := ./internal/meta ./internal/repo ./internal/auth ./internal/web ./internal/dav ./internal/nextcloud ./internal/transfer ./internal/mail ./internal/backup/...
PG_E2E      := TestVersionsRestoreAndTrash|TestIdenticalContentStoredOnce|TestDisconnectHalfwayLeavesNothing|TestBadNamesRefused|TestDownloadRangesAndConditionals|TestMoveCopyTags|TestDAV|TestLocksHeldAcrossDoors|TestPermissionMatrix|TestGuessingRevealsNothing|TestNoNameLeaks|TestResumableUpload|TestZipAndPreview|TestFormsNeedCSRF|TestDropBox|TestViewerLink|TestPublicFolder|TestFeeds|TestCollectionKeepsMovedDocuments|TestBruteForceThrottled|TestSessionsAndCSRF|TestAppPasswords|TestSearch|TestScheduledBackupRestoresElsewhere|TestBackupFailuresShowAndHeal|TestBackupDoors|TestUIBackups

## test-postgres: the repository, account, API and WebDAV suites on PostgreSQL
test-postgres:
	NOTREASSO_TEST_DB=postgres $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PG_PACKAGES)
	NOTREASSO_TEST_DB=postgres $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '^($(PG_E2E))' ./e2e

## test-short: the hermetic tier — no server, browser or external tool; under a minute
test-short:
	$(GO) test -short ./...

## lint: gofmt, go vet, staticcheck and govulncheck (the tools come from `make tools`)
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	.tools/bin/staticcheck ./...
	.tools/bin/govulncheck -db file://$(CURDIR)/.tools/vulndb ./...

## bench: measure (see docs/benchmarks.md); BENCH_ARGS=--quick for a short run
bench: build tools
	scripts/bench.sh $(BENCH_ARGS)

## bench-quick: the same with small sizes, under 5 minutes
bench-quick: build tools
	scripts/bench.sh --quick $(BENCH_ARGS)
## screenshots: rerun the browser tests that photograph pages (every page, at 1280 and 360 px) into docs/screenshots
screenshots:
	NOTREASSO_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestWebUI$$|TestSearchPageWithBackend|TestShare(RestrictToGroup|LinkWithPassword|DropBox)$$|TestUI(Groups|AppPasswordRclone|RetentionAndTrash|PasswordReset)$$|TestAccessibility|TestCollectionWelcomeUI|TestWebUIPhoneAndDrive|TestMail(Invitation|ForgottenPassword|UnsubscribeWithoutLogin)$$|TestDigestEmailScreenshot|TestRolesUI' ./e2e ./internal/web ./internal/mail

clean:
	rm -rf bin
