#!/usr/bin/env bash
# Install everything (scripts/install.sh --dev), then run the checks CI runs:
# ruff, the import-linter contract (core imports no Qt), and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
export QT_QPA_PLATFORM=offscreen
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== import contracts"
.venv/bin/lint-imports
echo "== tests"
.venv/bin/python -m pytest -q "$@"
