#!/usr/bin/env bash
# Make sure a Docker engine answers. Idempotent: if one already answers, do nothing; never
# restart an engine this script did not start. On Debian/Ubuntu as root it installs Debian's
# docker.io (plus iptables and debootstrap, which `setup` uses for the offline base image) and
# starts dockerd in the background; elsewhere it says how to get Docker and exits 1.
set -euo pipefail

LOG=${DEVCOIN_DOCKERD_LOG:-/var/log/devcoin-dockerd.log}
say() { printf 'ensure-engine: %s\n' "$*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

# a program in PATH or in the sbin folders, which a non-root user's PATH usually lacks
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }

need_tools() {
  local missing=()
  have dockerd || missing+=(docker.io)
  have iptables || missing+=(iptables)
  have debootstrap || missing+=(debootstrap)
  have openssl || missing+=(openssl)
  echo "${missing[@]:-}"
}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

install_with_apt() {
  local pkgs=($(need_tools))
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if ! can_apt; then
    say "no Docker engine answers, and I can install one only with apt-get (Debian/Ubuntu) — install Docker (https://docs.docker.com/engine/install/) and start it, then run this again"
    exit 1
  fi
  say "installing ${pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# Tools the workshop needs even when an engine already answers: openssl (the lab's
# certificates) and debootstrap (the base image, when no registry answers). Without root, or
# without apt, nothing is installed: what is missing is named in one line, and the run goes on
# (the images may be there already, e.g. made by root or loaded with `images load`).
if engine_answers; then
  missing=$(need_tools | sed -e 's/docker.io//' -e 's/iptables//' | xargs)
  if [ -n "$missing" ] && can_apt; then
    install_with_apt || true
  elif [ -n "$missing" ]; then
    why=""
    case " $missing " in *" openssl "*) why="openssl makes the lab's certificates (lab up fails without it)";; esac
    case " $missing " in *" debootstrap "*) why="${why:+$why; }debootstrap makes the base image only where no registry answers (else: devcoin-workshop images load FILE)";; esac
    say "not installing $missing ($( [ "$(id -u)" = 0 ] && echo 'no apt-get here' || echo 'not root')): $why — ask an admin to run: sudo apt-get install $missing"
  fi
  say "engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  say "DOCKER_HOST=$DOCKER_HOST does not answer; unset it or start that engine, then run this again."
  exit 1
fi

# Not root: nothing to install or start here; say in one line why no engine answers. (Before
# this, a user outside the docker group waited 60 s for the running dockerd and got its log.)
if [ "$(id -u)" != 0 ]; then
  if ! command -v docker >/dev/null 2>&1; then
    say "no docker command here, and as $(id -un) (not root) I install nothing — ask an admin to install Docker (sudo apt-get install docker.io docker-cli, or https://docs.docker.com/engine/install/), then run this again"
  elif [[ "$(timeout 10 docker info 2>&1 || true)" == *[Pp]ermission\ denied* ]]; then
    say "the Docker engine is there but not yours to use (permission denied on its socket) — ask an admin to add you to the docker group (sudo usermod -aG docker $(id -un)), log in again, then run this again"
  else
    say "no Docker engine answers, and as $(id -un) (not root) I cannot start one — start Docker (sudo systemctl start docker, or ask an admin), then run this again"
  fi
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
