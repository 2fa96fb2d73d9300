#!/usr/bin/env bash
# Set-up for a fresh machine, run by `make demo` and `make test` (idempotent; quick once done):
#   1. Debian packages the local stack needs, when missing: PostgreSQL server, Java, Maven, promtool;
#   2. the Python environment in .venv: this project (editable) with its dev tools,
#      pinned by constraints.txt.
# Kafka and Apicurio Registry are fetched from Maven Central by `supplystream stack up`.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
# promtool checks deploy/monitoring/alerts.yml in the tests.
command -v promtool >/dev/null || missing+=(prometheus)
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "bootstrap: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]}) and re-run" >&2
    exit 1
  fi
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: $python is $("$python" -V 2>&1); SupplyStream needs Python 3.11 or newer (set PYTHON=...)" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv with $("$python" -V)"
  "$python" -m venv .venv
fi
stamp=.venv/.supplystream-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
  echo "$want" >"$stamp"
fi

# The AsyncAPI validator the tests run (tests/unit/test_asyncapi_validation.py): the official
# @asyncapi/parser with its Avro schema parser, on Node.js, in tools/asyncapi/node_modules exactly as
# package-lock.json pins it. Reinstalled when node_modules is missing or the manifest or lock changed.
# --ignore-scripts: nothing in it needs a build step (and one dependency's postinstall is telemetry).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  node_missing=()
  command -v node >/dev/null || node_missing+=(nodejs)
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${node_missing[*]:-npm}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${node_missing[@]:-npm}"
    # Some nodejs builds ship npm, Debian's does not.
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
  else
    echo "bootstrap: the AsyncAPI validator needs Node.js (18.18+ or 20.17+) and npm; install them (Debian: sudo apt-get install nodejs npm) and re-run" >&2
    exit 1
  fi
fi
asyncapi_stamp=tools/asyncapi/node_modules/.supplystream-installed
asyncapi_want=$(cat tools/asyncapi/package.json tools/asyncapi/package-lock.json | sha256sum | cut -d' ' -f1)
if [[ ! -f $asyncapi_stamp || $(cat "$asyncapi_stamp") != "$asyncapi_want" ]]; then
  echo "bootstrap: installing the AsyncAPI validator into tools/asyncapi/node_modules (npm ci)"
  (cd tools/asyncapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$asyncapi_want" >"$asyncapi_stamp"
fi
