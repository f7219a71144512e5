# Jiceng: `make run` sets up and serves the demo; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := jiceng.settings

.PHONY: run test setup lint typecheck migrations-check pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error

setup: $(VENV)/.installed node_modules/.package-lock.json

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "Jiceng is at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn jiceng.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --timeout 300 --access-logfile -

lint: setup
	$(BIN)/ruff check jiceng
	$(BIN)/ruff format --check jiceng

typecheck: setup
	$(BIN)/mypy jiceng

migrations-check: setup
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: setup
	$(BIN)/pytest

test: lint typecheck migrations-check pytest

# Needs DATABASE_URL pointing at a PostgreSQL database filled by `manage.py generate_scale` (docs/performance.md).
# BENCH_ARGS passes the runner's options, e.g. make bench BENCH_ARGS="--only floor,decisions --no-doc".
bench: setup
	$(BIN)/python -m jiceng.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles
