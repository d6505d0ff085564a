#!/usr/bin/env bash
# Installs what nohead's tests and demo need on a fresh Debian 12 machine (run as root):
# Bun (from npm, exactly the version package.json pins), Debian's nix-bin, QEMU, a Debian cloud
# kernel and the guest tools of the test fixture, the OpenSSH client and server (tests start their
# own sshd on a loopback port; the system's sshd is not needed), Chromium for the status-page
# test, and Slurm with munge (the Slurm test starts its own single-node cluster; the system's
# daemons are not needed). Then the project's packages.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nix-bin qemu-system-x86 qemu-utils linux-image-cloud-amd64 busybox-static dropbear-bin
  qemu-guest-agent cpio openssh-client openssh-server procps iproute2 chromium
  slurmctld slurmd slurm-client munge)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Installed here only for the tests: do not leave the system's sshd listening on port 22.
  if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    elif [ -x /etc/init.d/ssh ]; then
      /etc/init.d/ssh stop >/dev/null 2>&1 || true
    fi
  fi
  # Likewise the system's munged and Slurm daemons (tests run their own, on their own key and ports).
  for daemon in slurmd slurmctld munge; do
    if [[ " ${missing[*]} " == *" ${daemon} "* ]]; then
      if [ -d /run/systemd/system ]; then
        systemctl disable --now "${daemon}.service" >/dev/null 2>&1 || true
      elif [ -x "/etc/init.d/${daemon}" ]; then
        "/etc/init.d/${daemon}" stop >/dev/null 2>&1 || true
      fi
    fi
  done
fi

# Exactly the Bun users get (package.json's packageManager, the same as nix/package/pins.nix), so
# the suite proves the code on it: a Bun of another version is replaced.
bun_version=$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' package.json)
if [ "$(bun --version 2>/dev/null || true)" != "$bun_version" ]; then
  echo "setup: installing bun $bun_version from npm (found: $(bun --version 2>/dev/null || echo none))"
  npm install -g "bun@$bun_version"
  hash -r
  if [ "$(bun --version)" != "$bun_version" ]; then
    echo "setup: bun on PATH is $(command -v bun) $(bun --version), not $bun_version; put npm's global bin first" >&2
    exit 1
  fi
fi

# Debian's nix-bin on a machine without Nix's build users: let root build without them, offline.
# A machine with a real Nix installation keeps its own configuration.
if [ ! -e /etc/nix/nix.conf ] && ! getent group nixbld >/dev/null; then
  mkdir -p /etc/nix
  printf 'build-users-group =\nsandbox = false\nexperimental-features = nix-command flakes\n' >/etc/nix/nix.conf
fi

bun install --frozen-lockfile
echo "setup: done (bun $(bun --version), $(nix --version), $(qemu-system-x86_64 --version | head -n1))"
