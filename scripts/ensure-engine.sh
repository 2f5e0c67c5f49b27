#!/usr/bin/env bash
# Make sure a Docker engine answers. Idempotent: if one already answers, do nothing; never
# restart an engine this script did not start. On Debian/Ubuntu as root it installs Debian's
# docker.io (plus iptables and debootstrap, which `setup` uses for the offline base image) and
# starts dockerd in the background; elsewhere it says how to get Docker and exits 1.
set -euo pipefail

LOG=${DEVCOIN_DOCKERD_LOG:-/var/log/devcoin-dockerd.log}
say() { printf 'ensure-engine: %s\n' "$*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

need_tools() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  echo "${missing[@]:-}"
}

install_with_apt() {
  local pkgs=($(need_tools))
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "no Docker engine here and I can only install one on Debian/Ubuntu as root."
    say "install Docker (https://docs.docker.com/engine/install/) and start it, then run this again."
    exit 1
  fi
  say "installing ${pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# Tools setup needs even when an engine already answers (debootstrap for the base image).
if engine_answers; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -n "$(need_tools | sed 's/docker.io//')" ]; then
    install_with_apt || true
  fi
  say "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  say "DOCKER_HOST=$DOCKER_HOST does not answer; unset it or start that engine, then run this again."
  exit 1
fi

install_with_apt

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running but does not answer yet; waiting"
else
  say "starting dockerd (log: $LOG)"
  # /run/docker.pid left over from a dead engine blocks the start
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  nohup dockerd >"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if engine_answers; then say "engine answers ($(docker version --format '{{.Server.Version}}'))"; exit 0; fi
  sleep 1
done
say "dockerd did not answer within 60 s; last lines of $LOG:"
tail -n 15 "$LOG" >&2 || true
exit 1
