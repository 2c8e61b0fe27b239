# Local mode, included by the root Makefile (which defines VENV and the `venv` target and puts
# $(VENV)/bin on PATH) after mk/cdk.mk (the `synth` target, CDK_TEMPLATE).
#
#   make dev                         the synthesized stack on this machine (wsflow dev)
#   make dev DEV_ARGS='--port 9000'  with more `wsflow dev` options (see `wsflow dev --help`)

DEV_ARGS ?=

.PHONY: dev dev-build

dev: dev-build synth ## Run the stack locally: moto, functions, event sources, WebSocket gateway
	exec target/release/wsflow dev --template $(CDK_TEMPLATE) $(DEV_ARGS)

# The functions' binaries go next to `wsflow` in target/release, where `wsflow dev` looks for
# them by default; moto comes from the venv (`synth` depends on `venv`).
dev-build:
	cargo build --release --locked -p wsflow-cli -p wsflow-queue-worker -p wsflow-default-route -p wsflow-authorizer
