#!/usr/bin/env bash
# The whole test suite: lint, types, import layers, Ansible lint, then every test (real SQLite, real .xlsx,
# Pulumi's mock runtime, real network-namespace test hosts).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"; ruff check src tests benchmarks stacks scripts; ruff format --check src tests benchmarks stacks scripts
echo "== mypy (strict)"; mypy
echo "== import layers"; lint-imports
if [ -d playbooks ] && ls playbooks/*.yml >/dev/null 2>&1; then
  echo "== ansible-lint (production profile)"; (cd playbooks && ansible-lint --profile production --offline -q .)
fi
echo "== pytest"
pytest -n auto -q "$@"
