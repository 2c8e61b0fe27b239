# Delivery guarantees under faults: jobs through `wsflow dev` while worker processes are killed,
# backend calls fail and a replay is killed mid-run (tools/chaos). `make test` runs a reduced size.
CHAOS_ARGS ?=
# Reordering is reported, not failed, in CI: its cause (moto splitting a FIFO group when a
# batch's holds expired mid-receive) is fixed in local mode's moto wrapper, and one default-size
# run since had none; `make chaos` itself fails on any (README, "Guarantees and their limits").
CHAOS_SMOKE_ARGS := --jobs 400 --groups 10 --allow-reordered

.PHONY: chaos chaos-smoke

chaos: venv synth runtimes ## Fault-injection run (default 5,000 jobs over 50 groups; CHAOS_ARGS="--jobs N ...")
	cargo build --workspace --bins --locked
	target/debug/wsflow-chaos $(CHAOS_ARGS)

chaos-smoke: venv synth runtimes
	cargo build --workspace --bins --locked
	target/debug/wsflow-chaos $(CHAOS_SMOKE_ARGS)
