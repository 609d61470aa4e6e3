#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (npm packages from
# the lockfiles, Debian's chromium for the browser tests and postgresql for the PostgreSQL
# store), starts a private PostgreSQL, then runs the Rust tests, the stock-Yjs interop tests
# and the browser tests against the real server binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

npm_ci() { (cd "$1" && npm ci --no-audit --no-fund --loglevel=error); }

echo "== installing test dependencies"
npm_ci tests/js
if [ -f tests/browser/package.json ]; then
  npm_ci tests/browser
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
fi

# etherdump needs Python >= 3.12; pyenv on this kind of machine has one.
python312=""
for candidate in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python python3.13 python3.12 python3; do
  if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    python312=$candidate
    break
  fi
done
if [ -z "$python312" ]; then
  echo "the Python client tests need Python >= 3.12 (python3.12 on PATH or under ~/.pyenv)" >&2
  exit 1
fi
if [ ! -x tests/py/.venv/bin/python ]; then
  "$python312" -m venv tests/py/.venv
fi
tests/py/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt

echo "== web bundle matches its sources"
if [ -f web/package.json ]; then
  npm_ci web
  (cd web && npm run --silent check && npm run --silent lint && npm run --silent build)
  # Changed, deleted and new untracked files all count: the bundle must be exactly what is
  # committed.
  stale=$(git status --porcelain --untracked-files=all -- web/dist)
  if [ -n "$stale" ]; then
    echo "$stale" >&2
    echo "web/dist is stale: run 'npm run build' in web/ and commit web/dist" >&2
    exit 1
  fi
fi

echo "== private PostgreSQL (stopped on exit)"
source tests/pg.sh

echo "== Rust tests"
cargo build -p ypad
cargo test --workspace

export YPAD_BIN="$root/target/debug/ypad"
echo "== stock Yjs clients (Node)"
(cd tests/js && npm test)
echo "== Etherpad's Python clients"
(cd tests/py && .venv/bin/python -m pytest -q -p no:cacheprovider .)
if [ -f tests/browser/package.json ]; then
  echo "== browser (headless Chromium)"
  (cd tests/browser && npm test)
fi
