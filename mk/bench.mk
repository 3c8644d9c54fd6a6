# make bench (issue 6): measurements and report, never part of `make test`.
# Uses the release zips of `make build`, builds the lambda_http hello-world
# baseline with the same profile, installs the reference stacks' packages
# (npm ci, pip --target) and runs bench/bench.py, which starts and stops its
# own moto_server on 127.0.0.1 and a TLS terminator in front of it. The power
# tuning limits each function's CPU through a cgroup (root, cgroup v1 `cpu` or
# v2 `cpu.max`); without one it says so in the report and runs at a full core.
# Writes bench/report.md and bench/report.json.

BENCH_NODE := bench/reference/node
BENCH_PYTHON := bench/reference/python

bench: build $(VENV)/.installed $(BENCH_NODE)/node_modules/.installed $(BENCH_PYTHON)/.deps/.installed ## Cold start, memory, size, latency, read cost, cost, power tuning (CPU share, TLS): bench/report.md
	@[[ "$(ARCH)" == "$$(uname -m | sed 's/aarch64/arm64/')" ]] || { echo "make bench runs the $(ARCH) build on this $$(uname -m) machine: use ARCH=$$(uname -m)" >&2; exit 2; }
	PATH="$(VENV)/bin:$$PATH" cargo lambda build --release --output-format zip $(LAMBDA_ARCH_FLAG) --bin hello
	LAMBDA_DIR="$(LAMBDA_DIR)" $(VENV)/bin/python bench/bench.py

$(BENCH_NODE)/node_modules/.installed: $(BENCH_NODE)/package.json $(BENCH_NODE)/package-lock.json
	cd $(BENCH_NODE) && npm ci --no-audit --no-fund --prefer-offline --loglevel=error
	touch $@

$(BENCH_PYTHON)/.deps/.installed: $(BENCH_PYTHON)/requirements.txt $(VENV)/.installed
	rm -rf $(BENCH_PYTHON)/.deps
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --target $(BENCH_PYTHON)/.deps -r $<
	touch $@
