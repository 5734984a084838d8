#!/usr/bin/env bash
# What `make test` (and so .ci/run) needs from the machine beyond the .venv and node_modules
# that make installs itself. Missing system packages are installed when we can (root and
# apt-get; PREREQS_INSTALL=no never installs); otherwise this says exactly what to install and
# fails, before any test runs.
#
#   python3 3.11-3.13, node 20+ with npm, make   checked only (install them yourself)
#   chromium        the GraphiQL browser test (Playwright drives Debian's, never downloads one)
#   docker-compose  the deployment tests parse compose.yaml with it (no Docker engine needed)
#   rabbitmq-server the event tests: the machine's on :5672, else the tests start their own
#   redis-server    the shared rate-limit tests: the machine's on :6379, else the tests start their own
set -Eeuo pipefail

problems=()

version_ok() {  # version_ok ACTUAL MIN [BELOW]: MIN <= ACTUAL (< BELOW)
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ] || return 1
  [ -z "${3:-}" ] || [ "$(printf '%s\n%s\n' "$1" "$3" | sort -V | head -n1)" != "$3" ]
}

python=${PYTHON:-python3}
if py=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); then
  version_ok "$py" 3.11 3.14 || problems+=("Python 3.11-3.13 is needed ($python is $py): set PYTHON=python3.12, say")
else
  problems+=("no $python: install Python 3.11-3.13")
fi
if command -v node >/dev/null; then
  nv=$(node -p 'process.versions.node')
  version_ok "$nv" 20 || problems+=("Node 20 or newer is needed (node is $nv)")
  command -v npm >/dev/null || problems+=("npm is missing (it comes with Node)")
else
  problems+=("Node 20 or newer is needed (with npm) for the test oracles: https://nodejs.org")
fi

# Debian package -> the command it provides.
declare -A provides=([chromium]=chromium [docker-compose]=docker-compose [rabbitmq-server]=rabbitmq-server
                     [redis-server]=redis-server)
have() {  # rabbitmq-server lives in sbin, not on every user's PATH
  PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin" command -v "$1" >/dev/null
}
missing=()
for package in chromium docker-compose rabbitmq-server redis-server; do
  have "${provides[$package]}" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "${PREREQS_INSTALL:-auto}" != no ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "prereqs: installing ${missing[*]} (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    problems+=("missing: ${missing[*]}; install with: sudo apt-get install ${missing[*]}")
  fi
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo "make test cannot run on this machine yet:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi
