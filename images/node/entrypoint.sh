#!/bin/sh
# Starts a nested dockerd. Arguments are passed to dockerd (the lab adds TLS flags).
set -eu

# cgroup v1: the hierarchies arrive read-only; nested containers need to create cgroups, so
# mount each hierarchy again read-write (within this container's private cgroup namespace).
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
  grep ' /sys/fs/cgroup/' /proc/mounts | while read -r _ path fstype opts _; do
    [ "$fstype" = cgroup ] || continue
    case ",$opts," in *,ro,*) ;; *) continue ;; esac
    subsys=$(echo "$opts" | tr ',' '\n' | grep -Ev '^(ro|rw|nosuid|nodev|noexec|relatime)$' | paste -sd, -)
    umount "$path" && mount -t cgroup -o "$subsys" cgroup "$path"
  done
else
  # cgroup v2: move ourselves out of the root so controllers can be delegated to children
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi

# a pid file left by an engine that was stopped with the node blocks the next start
rm -f /var/run/docker.pid /run/docker.pid

exec dockerd "$@"
