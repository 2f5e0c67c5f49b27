#!/usr/bin/env bash
# Builds the VM lane's second disk: the guest engine's /var/lib/docker with the project's images
# already loaded, made on the host where loading takes seconds (in the emulated guest, `docker
# load` of the same 1.2 GB took 653 s). It holds:
#   - every image the lab and its hub need (GUEST_IMAGES), as the guest's engine would load them;
#   - the hub's storage, seeded from the host engine by the CLI's own seedHub, in the volume
#     `devcoin-hub-cache` (the way a second `lab up` finds it on any machine);
#   - for each lane node, its engine's /var/lib/docker with the images of the VIP stack files
#     (NESTED_IMAGES), in the volume `lab up` gives that node (name and labels from the CLI's
#     own src/lab/names.ts), so no node pulls 500 MB through the hub at a twentieth of the speed.
# The node image gets this checkout's images/node/entrypoint.sh (a layer added in the private
# engine), so the lane tests the entrypoint of the code it runs, whatever the shared engine has.
# The loading is done by a private dockerd on the host (this machine's own Debian engine binary,
# its own data root, socket and exec root, in a network namespace of its own with no bridge and
# no iptables): never the shared engine, and nothing of its network.
#
#   build-docker-disk.sh OUT.img LAB NODES "GUEST_IMAGES" "NESTED_IMAGES"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf 'vm-disk: %s\n' "$*" >&2; }
die() { printf 'vm-disk: %s\n' "$*" >&2; exit 2; }
[ $# = 5 ] || die "usage: build-docker-disk.sh OUT.img LAB NODES GUEST_IMAGES NESTED_IMAGES"
out=$1 lab=$2 nodes=$3 guest_images=$4 nested_images=$5
command -v dockerd >/dev/null 2>&1 || die "dockerd is missing: run \`bash scripts/ensure-engine.sh\`"

work=$(mktemp -d "$(dirname "$out")/.dockerdisk.XXXXXX")
exec_root=$(mktemp -d /run/dvm.XXXX) # short: it holds unix sockets
pid=
seeder=
cleanup() {
  [ -n "$seeder" ] && docker rm -f "$seeder" >/dev/null 2>&1
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf --one-file-system "$work" "$exec_root"
}
trap cleanup EXIT
sock="$exec_root/docker.sock"

# a private engine on DATA_ROOT, for loading only
prep_up() {
  # in a network namespace of its own: a dockerd with --bridge=none deletes any interface named
  # docker0 it sees (the shared engine's, on this machine's namespace); there it sees none
  unshare --net dockerd --data-root "$1" --exec-root "$exec_root" --pidfile "$exec_root/docker.pid" -H "unix://$sock" \
    --bridge=none --iptables=false --ip-masq=false --ip-forward=false >"$work/dockerd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do docker -H "unix://$sock" version >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "the private dockerd did not start: $(tail -n 3 "$work/dockerd.log" | tr '\n' ' ')"
}
had_docker0=$(ip link show docker0 >/dev/null 2>&1 && echo yes || echo no)
prep_down() {
  kill "$pid" && wait "$pid" 2>/dev/null || true
  pid=
  # a guard: the private engine must have left the shared engine's bridge alone
  if [ "$had_docker0" = yes ] && ! ip link show docker0 >/dev/null 2>&1; then die "docker0 disappeared while the private engine ran"; fi
  # its network state was made with no bridge; the guest's engine makes its own
  rm -rf "$1/network" "$1/containers" "$1/swarm"
}
# host images into the private engine (never through a file: save | load)
load() {
  local t=$SECONDS
  # shellcheck disable=SC2086
  docker save $1 | docker -H "unix://$sock" load -q >/dev/null || die "loading $1 into the private engine failed"
  say "loaded $(echo $1 | wc -w) images in $((SECONDS - t)) s"
}

# the nodes' volumes as `lab up` makes them (src/lab/names.ts, src/labels.ts; src/lab/dind/provision.ts labUp)
volumes=$(cd "$root" && node --input-type=module -e "
  const n = await import('./dist/src/lab/names.js');
  const { LABELS } = await import('./dist/src/labels.js');
  for (const node of '$nodes'.split(' ')) {
    const labels = { ...n.labLabels('$lab'), [LABELS.kind]: 'node', [LABELS.node]: node };
    console.log([n.volumeName('$lab', node), ...Object.entries(labels).map(([k, v]) => k + '=' + v)].join(' '));
  }")

disk="$work/disk"
mkdir -p "$disk" "$work/nested"
say "the nodes' engines: $nested_images"
prep_up "$work/nested"
load "$nested_images"
prep_down "$work/nested"

say "the guest's engine: $guest_images"
prep_up "$disk"
load "$guest_images"
d() { docker -H "unix://$sock" "$@"; }
# the node image with this checkout's entrypoint (images/node/entrypoint.sh), built in the
# private engine only: the shared engine's devcoin/node stays as setup made it
mkdir -p "$work/nodectx"
cp "$root/images/node/entrypoint.sh" "$work/nodectx/"
printf 'FROM devcoin/node:latest\nCOPY entrypoint.sh /usr/local/bin/node-entrypoint\n' > "$work/nodectx/Dockerfile"
DOCKER_BUILDKIT=0 d build -q -t devcoin/node:latest "$work/nodectx" >/dev/null || die "layering the checkout's node entrypoint failed"
d volume create --label io.devcoin.workshop.cache=hub devcoin-hub-cache >/dev/null
while read -r name labels; do
  args=()
  for l in $labels; do args+=(--label "$l"); done
  d volume create "${args[@]}" "$name" >/dev/null
done <<<"$volumes"
prep_down "$disk"

# the hub storage: a writable registry of the host engine's (our own, removed after), seeded
# by the CLI's seedHub with exactly what a lab's hub serves
t=$SECONDS
hub="$disk/volumes/devcoin-hub-cache/_data"
seeder=$(docker run -d --name "vm-hubseed-$$" -v "$hub:/var/lib/registry" -p 127.0.0.1::5000 devcoin/registry:latest)
port=$(docker port "$seeder" 5000/tcp | head -n 1 | sed 's/.*://')
(cd "$root" && node --input-type=module -e "
  const { hostEngine } = await import('./dist/src/docker/engine.js');
  const { waitForHub, seedHub } = await import('./dist/src/lab/dind/hub.js');
  await waitForHub($port);
  const host = await hostEngine();
  const r = await seedHub(host.docker, $port);
  if (r.missing.length) { console.error('not built: ' + r.missing.join(', ')); process.exit(1); }
  console.error('vm-disk: hub seeded with ' + r.pushed.length + ' names');") || die "seeding the hub storage failed"
docker rm -f "$seeder" >/dev/null
seeder=
say "hub storage seeded in $((SECONDS - t)) s"

while read -r name _; do
  cp -a "$work/nested/." "$disk/volumes/$name/_data/"
done <<<"$volumes"

t=$SECONDS
truncate -s 24G "$work/docker.img"
mkfs.ext4 -q -F -L vmdocker -d "$disk" "$work/docker.img"
mv "$work/docker.img" "$out"
say "packed $(du -h "$out" | cut -f1) into $out in $((SECONDS - t)) s"
