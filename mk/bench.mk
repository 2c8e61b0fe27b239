# The benchmark report's rendering test, included by the root Makefile after mk/dev.mk (which
# defines SUDO). The test (tools/bench/tests/report_html.rs) runs in `cargo test --workspace`
# and opens the report in headless Chromium, so `make test` installs Chromium first.

BROWSER_DEBS := chromium

# Installs the Debian packages $(1) that are missing, refreshing the package lists only when
# the first attempt fails (a fresh container has none).
apt-install = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get install -y -q --no-install-recommends $$missing \
			|| { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $$missing; }; \
	fi

.PHONY: browser

browser: ## Headless Chromium (Debian package) for the benchmark report's rendering test
	@$(call apt-install,$(BROWSER_DEBS))
