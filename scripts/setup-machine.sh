#!/usr/bin/env bash
# Installs what nohead's tests and demo need on a fresh Debian 12 machine (run as root):
# Bun (from npm), Debian's nix-bin, QEMU, a Debian cloud kernel and the guest tools of the test
# fixture, the OpenSSH client, and Chromium for the status-page test. Then the project's packages.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nix-bin qemu-system-x86 qemu-utils linux-image-cloud-amd64 busybox-static dropbear-bin
  qemu-guest-agent cpio openssh-client procps iproute2 chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v bun >/dev/null 2>&1; then
  echo "setup: installing bun from npm"
  npm install -g bun@1.4.5
fi

# Debian's nix-bin on a machine without Nix's build users: let root build without them, offline.
# A machine with a real Nix installation keeps its own configuration.
if [ ! -e /etc/nix/nix.conf ] && ! getent group nixbld >/dev/null; then
  mkdir -p /etc/nix
  printf 'build-users-group =\nsandbox = false\nexperimental-features = nix-command flakes\n' >/etc/nix/nix.conf
fi

bun install --frozen-lockfile
echo "setup: done (bun $(bun --version), $(nix --version), $(qemu-system-x86_64 --version | head -n1))"
