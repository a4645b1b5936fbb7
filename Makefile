GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/spidergo/spidergo.Version=$(VERSION)

.PHONY: run build test lint bench jsdeps

## run: build and start the server on :8080 with the embedded SQLite database
run: build
	./bin/spidergo serve

## build: compile bin/spidergo
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/spidergo ./cmd/spidergo

## test: every test, with the race detector (PostgreSQL and Redis tests run
## when SPIDERGO_TEST_DATABASE_URL / SPIDERGO_TEST_REDIS_URL are set)
test: jsdeps
	@[ -n "$$SPIDERGO_TEST_DATABASE_URL" ] || echo "skipped: PostgreSQL conformance and scale-out tests (SPIDERGO_TEST_DATABASE_URL is not set)"
	@[ -n "$$SPIDERGO_TEST_REDIS_URL" ] || echo "skipped: Redis quota, limiter and throttle tests (SPIDERGO_TEST_REDIS_URL is not set)"
	@[ -x "$${SPIDERGO_CHROMIUM_PATH:-/usr/bin/chromium}" ] || command -v chromium >/dev/null 2>&1 || echo "skipped: headless browser rendering and dashboard browser tests (Chromium is not installed: apt-get install chromium)"
	@[ -f internal/web/testdata/js/node_modules/axe-core/axe.min.js ] || echo "note: the dashboard browser tests need axe-core: (cd internal/web/testdata/js && npm ci)"
	$(GO) test -race -count=1 ./...
	@# The 50 000-page crawl's memory test skips itself under the race detector (too slow): run it here.
	$(GO) test -count=1 -run '^TestCrawlMemoryFlat$$' ./internal/crawl/
	@if [ -f bench/go.mod ]; then cd bench && $(GO) test -count=1 ./...; fi

## jsdeps: the pinned npm packages the end-to-end tests drive (the official
## Firecrawl SDK, axe-core for the dashboard), installed from their lockfiles
JSDIRS := $(dir $(wildcard internal/*/testdata/js/package-lock.json))
jsdeps:
	@if ! command -v npm >/dev/null 2>&1; then echo "skipped: JavaScript client tests (npm is not installed)"; exit 0; fi; \
	for d in $(JSDIRS); do \
		if [ ! -d $$d/node_modules ] || [ $$d/package-lock.json -nt $$d/node_modules ]; then \
			(cd $$d && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
		fi; \
	done

## bench: Go benchmarks, the extraction evaluator and the crawl benchmark
## (figures and how to read them: docs/benchmarks.md)
DATASET ?= $(abspath ../shared/datasets/article-extraction)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...
	cd bench && $(GO) run ./cmd/extracteval -data $(DATASET)
	cd bench && $(GO) run ./cmd/crawlbench

## lint: gofmt check and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if [ -f bench/go.mod ]; then cd bench && $(GO) vet ./...; fi
