#!/usr/bin/env bash
# Debian packages finelabel needs beyond Python: WordNet 3.0 (offline, for nltk) and, for the
# tests, Chromium with its driver and docker-compose (to validate docker-compose.yml; no Docker
# engine is needed for that). Installs only what is missing.
set -euo pipefail
want=(wordnet-base wordnet-sense-index)
[ "${1:-}" = "--test" ] && want+=(chromium chromium-driver docker-compose)
[ "${1:-}" = "--venv" ] && want=(python3-venv)  # Python's venv module on Debian's python3
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "warning: not a Debian system; install these yourself: ${missing[*]}" >&2
  exit 0
fi
run() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq "${missing[@]}" >/dev/null
