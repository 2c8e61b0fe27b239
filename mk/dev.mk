# Local mode, included by the root Makefile (which defines VENV and the `venv` target and puts
# $(VENV)/bin on PATH) after mk/cdk.mk (the `synth` target, CDK_TEMPLATE).
#
#   make dev                         the synthesized stack on this machine (wsflow dev)
#   make dev DEV_ARGS='--port 9000'  with more `wsflow dev` options (see `wsflow dev --help`)

DEV_ARGS ?=

# The Node.js runtime of local mode: AWS's runtime interface client (a native addon built with
# cmake and autotools, from Debian) and the AWS SDK for JavaScript v3 clients.
NODE_RUNTIME := $(CURDIR)/emulator/lambda/runtimes/nodejs
NODE_RUNTIME_STAMP := $(NODE_RUNTIME)/node_modules/.package-lock.stamp
NODE_RUNTIME_DEBS := cmake autoconf automake libtool g++ make
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: dev dev-build runtimes

runtimes: venv $(NODE_RUNTIME_STAMP) ## Function runtimes of local mode (Python in the venv, Node.js)

$(NODE_RUNTIME_STAMP): $(NODE_RUNTIME)/package-lock.json
	@missing=$$(for p in $(NODE_RUNTIME_DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for aws-lambda-ric:" $$missing; \
		$(SUDO) apt-get install -y -q --no-install-recommends $$missing \
			|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $$missing; }; \
	fi
	cd $(NODE_RUNTIME) && npm ci --no-audit --no-fund
	test -f $(NODE_RUNTIME)/node_modules/aws-lambda-ric/dist/rapid-client.node
	touch $@

dev: dev-build synth runtimes ## Run the stack locally: moto, functions, event sources, WebSocket gateway
	exec target/release/wsflow dev --template $(CDK_TEMPLATE) $(DEV_ARGS)

# The functions' binaries go next to `wsflow` in target/release, where `wsflow dev` looks for
# them by default; moto comes from the venv (`synth` depends on `venv`).
dev-build:
	cargo build --release --locked -p wsflow-cli -p wsflow-queue-worker -p wsflow-default-route -p wsflow-authorizer
