# The README's two commands: `make run` starts Tocsin, `make test` passes the suite.
.PHONY: run test bench

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

bench:
	@bash scripts/bootstrap.sh dev && .venv/bin/python -m benchmarks
