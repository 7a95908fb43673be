# mk/deploy.mk: build, package, deploy and operate the Lambda function.
# Included by the top-level Makefile, which defines VENV, PY and the $(VENV)/.installed target (a venv
# with requirements-dev.txt: cargo-lambda + zig, aws-sam-cli, cfn-lint, ...).
#
# Knobs (make VAR=value):
#   STACK_NAME  stack to deploy/operate   (default: stack_name from samconfig.toml)
#   REGION      AWS region                (default: region from samconfig.toml, else the AWS CLI's)
#   GUIDED=1    force `sam deploy --guided`
#   PARAMS      parameter overrides for sam deploy, e.g. PARAMS="AlarmEmail=ops@example.com LogFormat=json"
#               or PARAMS="Suppress=hard" (suppress addresses that really bounced hard)
#   IDENTITY    SES identity for wire-identity (domain or address)
#   EVENT       event file for invoke     (default: events/bounce-notification.json)
#   SINCE       how far back logs starts  (default: 10m);  STREAMS="Bounce Complaint" to pick streams

DEPLOY_VENV_BIN  = $(abspath $(VENV))/bin
# cargo-lambda, zig (python -m ziglang) and sam live in the venv: put it first on PATH.
DEPLOY_WITH_VENV = PATH="$(DEPLOY_VENV_BIN):$$PATH"
DEPLOY_SAM       = $(DEPLOY_WITH_VENV) SAM_CLI_TELEMETRY=0 $(DEPLOY_VENV_BIN)/sam
LAMBDA_BIN      := ses-feedback-logger
LAMBDA_TARGET   := aarch64-unknown-linux-gnu
LAMBDA_ZIP       = $(or $(CARGO_TARGET_DIR),target)/lambda/$(LAMBDA_BIN)/bootstrap.zip

# The last stack_name / region in samconfig.toml: `sam deploy --guided` writes its answers into
# [default.deploy.parameters], after [default.global.parameters].
samconfig_value  = $(shell sed -n 's/^$(1)[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' samconfig.toml 2>/dev/null | tail -n 1)
ifndef STACK_NAME
STACK_NAME      := $(or $(call samconfig_value,stack_name),ses-feedback-logger)
endif
ifndef REGION
REGION          := $(call samconfig_value,region)
endif
REGION_ARG       = $(if $(REGION),--region $(REGION))
EVENT           ?= events/bounce-notification.json
SINCE           ?= 10m
IDENTITY        ?=
STREAMS         ?=
PARAMS          ?=
GUIDED          ?=

# $(call stack_output,OutputKey): one output of the deployed stack (empty if none).
stack_output     = aws cloudformation describe-stacks $(REGION_ARG) --stack-name "$(STACK_NAME)" \
                     --query "Stacks[0].Outputs[?OutputKey=='$(1)'].OutputValue" --output text

.PHONY: build package deploy wire-identity logs dashboard invoke delete lint-template replay-dlq

build: $(VENV)/.installed ## Cross-build the arm64 Lambda zip (adds the Rust target; cargo-lambda and zig come from the venv)
	@command -v rustup >/dev/null 2>&1 || { echo "build: rustup is needed to add the $(LAMBDA_TARGET) target (https://rustup.rs)" >&2; exit 1; }
	rustup target add $(LAMBDA_TARGET)
	$(DEPLOY_WITH_VENV) cargo lambda build --release --arm64 --output-format zip --bin $(LAMBDA_BIN)

package: build ## Build, then print the deployable zip's path and size
	@zip="$(LAMBDA_ZIP)"; \
	test -f "$$zip" || { echo "package: $$zip was not produced" >&2; exit 1; }; \
	bytes=$$(wc -c < "$$zip" | tr -d ' '); \
	echo "$$zip: $$bytes bytes ($$(awk -v b="$$bytes" 'BEGIN { printf "%.2f MB, %.2f MiB", b / 1000000, b / 1048576 }'))"

deploy: build ## sam build + sam deploy (guided the first time or with GUIDED=1; PARAMS="Key=Value ..." overrides)
	$(DEPLOY_SAM) build
	@if [ -n "$(GUIDED)" ] || ! aws cloudformation describe-stacks $(REGION_ARG) --stack-name "$(STACK_NAME)" >/dev/null 2>&1; then \
		echo "==> sam deploy --guided (stack $(STACK_NAME) not deployed yet, or GUIDED set); answers are saved in samconfig.toml"; \
		$(DEPLOY_SAM) deploy --guided --stack-name "$(STACK_NAME)" $(REGION_ARG) $(if $(PARAMS),--parameter-overrides "$(PARAMS)"); \
	else \
		$(DEPLOY_SAM) deploy --stack-name "$(STACK_NAME)" $(REGION_ARG) $(if $(PARAMS),--parameter-overrides "$(PARAMS)"); \
	fi

wire-identity: ## Send an SES identity's bounce/complaint/delivery notifications (with headers) to the stack's topic: IDENTITY=example.com
	@if [ -z "$(IDENTITY)" ]; then \
		echo "wire-identity: set IDENTITY to a verified SES domain or address, e.g. make wire-identity IDENTITY=example.com" >&2; exit 2; \
	fi
	@topic=$$($(call stack_output,TopicArn)) || { echo "wire-identity: cannot read stack $(STACK_NAME); run make deploy first (or set STACK_NAME/REGION)" >&2; exit 1; }; \
	if [ -z "$$topic" ] || [ "$$topic" = None ]; then echo "wire-identity: stack $(STACK_NAME) has no TopicArn output (with Trigger=eventbridge it reads configuration-set events from EventBridge; identity notifications need sns, sqs or https)" >&2; exit 1; fi; \
	for type in Bounce Complaint Delivery; do \
		echo "==> $(IDENTITY): $$type notifications -> $$topic (original headers included)"; \
		aws ses set-identity-notification-topic $(REGION_ARG) --identity "$(IDENTITY)" --notification-type $$type --sns-topic "$$topic" || exit 1; \
		aws ses set-identity-headers-in-notifications-enabled $(REGION_ARG) --identity "$(IDENTITY)" --notification-type $$type --enabled || exit 1; \
	done; \
	aws ses get-identity-notification-attributes $(REGION_ARG) --identities "$(IDENTITY)" --output table

logs: ## Follow the feedback log group, every event stream (SINCE=1h, STREAMS="Bounce Complaint" to narrow)
	@aws --version 2>&1 | grep -q '^aws-cli/2' || { echo "logs: aws logs tail needs AWS CLI v2; found: $$(aws --version 2>&1)" >&2; exit 1; }
	@group=$$($(call stack_output,FeedbackLogGroupName) 2>/dev/null || true); \
	if [ -z "$$group" ] || [ "$$group" = None ]; then group=ses-feedback; fi; \
	echo "==> aws logs tail $$group --follow (Ctrl-C to stop)"; \
	aws logs tail "$$group" $(REGION_ARG) --follow --since "$(SINCE)" $(if $(STREAMS),--log-stream-names $(STREAMS))

dashboard: ## Print the link to the stack's CloudWatch dashboard (SES reputation, bounces by reason, function health)
	@url=$$($(call stack_output,DashboardUrl)) || { echo "dashboard: cannot read stack $(STACK_NAME); run make deploy first (or set STACK_NAME/REGION)" >&2; exit 1; }; \
	if [ -z "$$url" ] || [ "$$url" = None ]; then echo "dashboard: stack $(STACK_NAME) has no DashboardUrl output; deploy the current template" >&2; exit 1; fi; \
	echo "$$url"

invoke: $(VENV)/.installed ## Send EVENT (default events/bounce-notification.json) to a running `cargo lambda watch --invoke-address 127.0.0.1`
	@test -f "$(EVENT)" || { echo "invoke: no such event file: $(EVENT)" >&2; exit 2; }
	$(DEPLOY_WITH_VENV) cargo lambda invoke $(LAMBDA_BIN) --invoke-address 127.0.0.1 --data-file "$(EVENT)"

delete: $(VENV)/.installed ## Delete the stack (sam delete); the feedback log group and its events are kept
	$(DEPLOY_SAM) delete --stack-name "$(STACK_NAME)" $(REGION_ARG)
	@echo "The feedback log group was kept (DeletionPolicy: Retain). Remove it yourself if you no longer need it:"
	@echo "  aws logs delete-log-group $(REGION_ARG) --log-group-name <FeedbackLogGroupName, default ses-feedback>"

lint-template: $(VENV)/.installed ## cfn-lint the template and its SAM expansion, sam validate --lint, template tests
	VENV="$(VENV)" bash scripts/check_template.sh

replay-dlq: $(VENV)/.installed ## Replay the stack's failure queue into its log group (your AWS credentials); deletes what was stored
	$(CARGO) build --release --locked --bin $(LAMBDA_BIN)
	$(PY) scripts/replay_dlq.py --stack "$(STACK_NAME)" $(REGION_ARG) \
		--binary "$(or $(CARGO_TARGET_DIR),target)/release/$(LAMBDA_BIN)"
