#!/usr/bin/env bash
# Install everything govcloud and its tests need on a fresh Debian/Ubuntu machine:
# the system packages the network-namespace test hosts use, then a virtualenv with the package.
set -euo pipefail
cd "$(dirname "$0")/.."

# fonts-noto-cjk: the CJK font whose subset the HTML report embeds; chromium, fontconfig and fonts-dejavu-core:
# the report's screenshot tests (headless Chromium on a fontconfig that sees DejaVu Sans only)
SYSTEM_PACKAGES=(nftables iptables iputils-ping netcat-openbsd iproute2 util-linux git openssh-client
  fonts-noto-cjk fontconfig fonts-dejavu-core chromium)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js runs the validators generated from the Gateway API and cert-manager CRDs (govcloud render checks
# custom resources against them); Debian's nodejs and npm unless a Node.js with npm is already there
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
# the CRD schema packages, exactly as package-lock.json pins them (integrity-checked)
npm ci --prefix src/govcloud/cloud/edges/crd_validator --no-audit --no-fund --loglevel=error
echo "installed: $(.venv/bin/govcloud --version 2>/dev/null || echo govcloud)"
