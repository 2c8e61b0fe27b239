# Infrastructure (cdk/ and statemachines/), included by the root Makefile, which defines
# VENV, the `venv` target (its stamp is $(VENV)/.installed) and puts $(VENV)/bin on PATH,
# where cargo-lambda, cfn-lint and the zig of the `ziglang` package are.
#
#   make cdk-test   type check, unit tests, asl-validator, offline synth, cfn-lint
#   make synth      build/template.json, synthesized without building the Rust functions, and
#                   build/template-api-keys.json (API keys on, a strict enqueue throttle) for the
#                   end-to-end tests of those features, and build/template-backend.json (the HTTP
#                   backend route through a VPC link, behind the edge) for cfn-lint
#   make package    build/cdk.out, a deployable cloud assembly with the arm64 Rust binaries
#   make deploy     cdk deploy --all (DEPLOY_ARGS='-c region=eu-west-1 …'); make destroy

CDK_DIR := $(CURDIR)/cdk
CDK_BUILD := $(CURDIR)/build
CDK_TEMPLATE := $(CDK_BUILD)/template.json
CDK_TEMPLATE_API_KEYS := $(CDK_BUILD)/template-api-keys.json
# The context of the second template (the default route throttles plus one on enqueue).
CDK_API_KEYS_CONTEXT := -c apiKeys=true \
	-c routeThrottles='{"enqueue":{"rate":1,"burst":2},"sync_sfn":{"rate":20,"burst":10}}'
CDK_TEMPLATE_BACKEND := $(CDK_BUILD)/template-backend.json
# The third template's context: every resource the HTTP backend route adds (the NLB is made up).
CDK_BACKEND_CONTEXT := -c backendUrl=http://backend.example.internal:8080/messages \
	-c backendNlbArn=arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/backend/0123456789abcdef
CDK_DEPS_STAMP := $(CDK_DIR)/node_modules/.package-lock.stamp

# Synth needs no credentials and makes no network calls with these (the app is
# environment-agnostic; the account and region only satisfy the CLI).
CDK_ENV := CDK_HOME=$(CDK_DIR)/.cdk-home CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=1 \
	AWS_EC2_METADATA_DISABLED=true CDK_DEFAULT_REGION=us-east-1 CDK_DEFAULT_ACCOUNT=123456789012
CDK_SYNTH := $(CDK_ENV) npx cdk synth -q --no-notices --no-lookups

# Rust builds keep their caches in the project.
CDK_RUST_ENV := XDG_CACHE_HOME=$(CURDIR)/.cache ZIG_GLOBAL_CACHE_DIR=$(CURDIR)/.cache/zig

DEPLOY_ARGS ?=

.PHONY: cdk-deps cdk-test synth package deploy destroy

cdk-deps: $(CDK_DEPS_STAMP)

# npm ci replaces node_modules, so it runs again only when the lock file changes.
$(CDK_DEPS_STAMP): $(CDK_DIR)/package-lock.json
	cd $(CDK_DIR) && npm ci --no-audit --no-fund
	touch $@

# RustFunction asks `cargo lambda` for its version even when bundling is skipped: venv first.
synth: venv cdk-deps
	rm -rf $(CDK_BUILD)/cdk.synth $(CDK_BUILD)/cdk.synth-api-keys $(CDK_BUILD)/cdk.synth-backend
	cd $(CDK_DIR) && CDK_SKIP_BUNDLING=1 $(CDK_SYNTH) -o $(CDK_BUILD)/cdk.synth
	cp $(CDK_BUILD)/cdk.synth/Wsflow.template.json $(CDK_TEMPLATE)
	cd $(CDK_DIR) && CDK_SKIP_BUNDLING=1 $(CDK_SYNTH) -o $(CDK_BUILD)/cdk.synth-api-keys $(CDK_API_KEYS_CONTEXT)
	cp $(CDK_BUILD)/cdk.synth-api-keys/Wsflow.template.json $(CDK_TEMPLATE_API_KEYS)
	cd $(CDK_DIR) && CDK_SKIP_BUNDLING=1 $(CDK_SYNTH) -o $(CDK_BUILD)/cdk.synth-backend $(CDK_BACKEND_CONTEXT)
	cp $(CDK_BUILD)/cdk.synth-backend/Wsflow.template.json $(CDK_TEMPLATE_BACKEND)
	@echo "templates: $(CDK_TEMPLATE) $(CDK_TEMPLATE_API_KEYS) $(CDK_TEMPLATE_BACKEND)"

cdk-test: venv cdk-deps synth
	cd $(CDK_DIR) && npx tsc --noEmit
	cd $(CDK_DIR) && node --import tsx test/all.ts
	cd $(CDK_DIR) && npx tsx scripts/validate-asl.ts
	# W3005 (redundant DependsOn) is how CDK orders roles before their users; every other rule applies.
	cfn-lint --ignore-checks W3005 -- $(CDK_TEMPLATE) $(CDK_TEMPLATE_API_KEYS) $(CDK_TEMPLATE_BACKEND)
	@echo "cfn-lint: $(CDK_TEMPLATE) $(CDK_TEMPLATE_API_KEYS) $(CDK_TEMPLATE_BACKEND) passed"

# Real bundling: cargo-lambda-cdk runs `cargo lambda build --release --arm64` per function,
# cross-compiling with zig (`python3 -m ziglang`, from the venv).
package: venv cdk-deps
	rustup target add aarch64-unknown-linux-gnu
	rm -rf $(CDK_BUILD)/cdk.out
	cd $(CDK_DIR) && $(CDK_RUST_ENV) $(CDK_SYNTH) -o $(CDK_BUILD)/cdk.out
	@echo "cloud assembly: $(CDK_BUILD)/cdk.out"

# Every stack of the app: outside us-east-1 there are two (the WAF web ACL stays in us-east-1),
# and CDK orders them by their references, deploying the ACL first and destroying it last.
deploy: venv cdk-deps ## Deploy every stack to AWS (DEPLOY_ARGS for context, e.g. -c region=eu-west-1)
	rustup target add aarch64-unknown-linux-gnu
	cd $(CDK_DIR) && $(CDK_RUST_ENV) CDK_DISABLE_CLI_TELEMETRY=true npx cdk deploy --all $(DEPLOY_ARGS)

destroy: cdk-deps ## Delete every stack of the app from AWS (same DEPLOY_ARGS as the deploy)
	cd $(CDK_DIR) && CDK_DISABLE_CLI_TELEMETRY=true npx cdk destroy --all $(DEPLOY_ARGS)
