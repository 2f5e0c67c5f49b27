#!/usr/bin/env bash
# What the tests need besides the engine: a real Redis server and a real Chromium (Debian's;
# never a browser a test tool downloads), and an ssh client. Idempotent.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# test 44: ssh, ssh-keygen and ssh-agent on the instructor's side
command -v ssh-agent >/dev/null 2>&1 || missing+=(openssh-client)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: install ${missing[*]} (Debian/Ubuntu: apt-get install ${missing[*]}), then run the tests again" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
