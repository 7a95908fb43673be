# mk/bench.mk: performance benchmarks. Included by the top-level Makefile (after mk/deploy.mk), which defines
# CARGO, VENV and the $(VENV)/.installed target; mk/deploy.mk defines `package` and LAMBDA_ZIP.
#
#   make bench    parse + format per notification (criterion, benches/parse_format.rs), then the release
#                 binary through a local Lambda Runtime API against moto (benches/runtime.rs); prints one
#                 table (docs/performance.md explains it); then the API calls per 1,000 notifications
#                 (benches/api_calls.rs) and the SDK's PutLogEvents alone, the floor (benches/sdk_floor.rs). Builds the arm64 zip first if it is missing
#                 or older than the sources, to report its size.
#
# Knobs (make VAR=value, or in the environment):
#   BENCH_COLD_STARTS       cold starts measured            (default 20)
#   BENCH_WARMUP            warm invocations not measured   (default 50)
#   BENCH_WARM_INVOCATIONS  warm invocations measured       (default 1000)
#   BENCH_SQS_BATCHES       SQS batches of 100 measured, each way (default 21)
#   BENCH_SQS_LARGE_BATCHES SQS batches of 1,000 measured, each way (default 7)
#   BENCH_FN_<NAME>=value   sets <NAME> for the function under test, for experiments (BENCH_FN_RUST_LOG=warn)
#   BENCH_BINARY=path       measure another build of the function (e.g. an earlier commit's release binary)
#   BENCH_WRAPPER="cmd …"   run the function under a command, e.g. "valgrind --tool=callgrind"; with
#                           BENCH_CALLGRIND_DUMPS=1 its profile is dumped after each phase
#   BENCH_PACKAGE=0         do not build the arm64 zip (its row then says how to)
#   CRITERION_ARGS          extra arguments for criterion, e.g. CRITERION_ARGS="--save-baseline before"

BENCH_ZIP       = $(or $(LAMBDA_ZIP),$(or $(CARGO_TARGET_DIR),target)/lambda/ses-feedback-logger/bootstrap.zip)
BENCH_PACKAGE  ?= 1
CRITERION_ARGS ?=
BENCH_SOURCES   = Cargo.toml Cargo.lock $(shell find src -name "*.rs")

.PHONY: bench

# BENCH_SINCE (when this run started) makes the table quote criterion results of this run only.
bench: $(VENV)/.installed $(if $(filter 0,$(BENCH_PACKAGE)),,$(BENCH_ZIP)) ## Benchmarks: parse+format per notification, then the release binary through a local Lambda Runtime API against moto; one table
	since=$$(date +%s); \
	$(CARGO) bench --locked --bench parse_format -- $(CRITERION_ARGS); \
	BENCH_SINCE=$$since LAMBDA_ZIP="$(abspath $(BENCH_ZIP))" MOTO_SERVER="$(abspath $(VENV))/bin/moto_server" \
		scripts/with-moto.sh $(CARGO) bench --locked --bench runtime
	MOTO_SERVER="$(abspath $(VENV))/bin/moto_server" scripts/with-moto.sh $(CARGO) bench --locked --bench api_calls
	MOTO_SERVER="$(abspath $(VENV))/bin/moto_server" scripts/with-moto.sh $(CARGO) bench --locked --bench sdk_floor

# The deployable zip, rebuilt (cross-compiled with cargo-lambda and zig, several minutes the first time) when
# the sources changed since it was built.
$(BENCH_ZIP): $(BENCH_SOURCES) | $(VENV)/.installed
	$(MAKE) --no-print-directory package
