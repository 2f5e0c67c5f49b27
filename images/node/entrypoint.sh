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
  # cgroup v2: /sys/fs/cgroup is this container's own cgroup (private cgroup namespace), mounted
  # read-only as in every container that is not --privileged: make it writable, move our
  # processes out of its root into /init (a cgroup with processes cannot delegate controllers),
  # then delegate every controller it has to the children the nested engine creates.
  if awk '$5 == "/sys/fs/cgroup" { print $6 }' /proc/self/mountinfo | grep -Eq '(^|,)ro(,|$)'; then
    mount -o remount,rw /sys/fs/cgroup || { echo "node-entrypoint: cannot make /sys/fs/cgroup writable (cgroup v2): the nested engine could not create cgroups" >&2; exit 1; }
  fi
  mkdir -p /sys/fs/cgroup/init
  controllers=$(sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers)
  # a `docker exec` that starts meanwhile (doctor's trial asks `docker version` every 300 ms)
  # joins the root again, and delegating fails while any process is there: move, try, repeat
  tries=0
  until xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null;
    [ "$controllers" = "+" ] || echo "$controllers" 2>/dev/null > /sys/fs/cgroup/cgroup.subtree_control; do
    tries=$((tries + 1))
    if [ "$tries" -ge 50 ]; then
      echo "node-entrypoint: could not delegate the cgroup controllers ($controllers) to the nested engine: $(echo "$controllers" 2>&1 > /sys/fs/cgroup/cgroup.subtree_control)" >&2
      exit 1
    fi
    sleep 0.1
  done
fi

# a pid file left by an engine that was stopped with the node blocks the next start
rm -f /var/run/docker.pid /run/docker.pid

exec dockerd "$@"
