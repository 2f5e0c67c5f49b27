#!/bin/sh
# Writes redis.conf to a private tmpfs folder and starts redis-server with it. With
# REDIS_PASSWORD_FILE set, the password is read from that file (a Swarm secret under
# /run/secrets) into `requirepass`: it never appears in argv, the environment or a log.
set -eu
dir=/dev/shm/redis
mkdir -p "$dir" && chmod 700 "$dir" && chown redis:redis "$dir"
conf="$dir/redis.conf"
umask 077
{
  echo "port 6379"
  echo "bind 0.0.0.0 -::*"
  echo "dir /data"
  echo "appendonly yes"
  echo "appendfsync everysec"
  echo "save \"\""
  if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
    if [ ! -r "$REDIS_PASSWORD_FILE" ]; then
      echo "redis: cannot read the password file named by REDIS_PASSWORD_FILE ($REDIS_PASSWORD_FILE)" >&2
      exit 1
    fi
    # printf is a shell builtin: the password is never a process argument
    pw=$(cat "$REDIS_PASSWORD_FILE")
    pw=$(printf '%s' "$pw" | sed 's/\\/\\\\/g; s/"/\\"/g')
    printf 'requirepass "%s"\n' "$pw"
    echo "protected-mode yes"
  else
    # no password: only reachable on the stack's private network, as in chapters 1-7
    echo "protected-mode no"
  fi
} > "$conf"
chown redis:redis "$conf"
unset REDIS_PASSWORD_FILE
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$conf" "$@"
