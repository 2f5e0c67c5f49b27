#!/usr/bin/env bash
# The VM lane (issue #15): cgroup v2 and the routing mesh, which this machine's kernel cannot
# give, proven in a qemu guest that can. On the host:
#   1. the guest image, cached (scripts/vm/build-guest.sh);
#   2. the guest engine's data root with the project's images, the hub's storage and the nodes'
#      image caches (scripts/vm/build-docker-disk.sh; cached under the images' IDs);
#   3. the project itself (bin, dist, production node_modules, stack, chapters, images);
# then scripts/vm/run-job.sh runs scripts/vm/lane-job.sh in the guest, where the real CLI brings
# up a lab, runs doctor and deploys the VIP stack files. The guest's evidence lands in OUT_DIR
# (default: a new folder under the cache); test/integration/45-vm.test.ts asserts on it.
#
#   bash scripts/vm/lane.sh [OUT_DIR]
#
# Environment: DEVCOIN_VM_TIMEOUT (seconds the guest may run, default 900), DEVCOIN_VM_CACHE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf 'vm-lane: %s\n' "$*" >&2; }
die() { printf 'vm-lane: %s\n' "$*" >&2; exit 2; }
start=$SECONDS

[ "$(id -u)" = 0 ] || die "the VM lane needs root (debootstrap, chroot, apt): run it as root"
[ -f "$root/dist/src/cli/main.js" ] || die "the CLI is not built: run \`npm run build\` first"
command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1 || die "no Docker engine answers: run \`bash scripts/ensure-engine.sh\`"

guest=$(bash "$here/build-guest.sh")
cache=$(dirname "$guest")
out=${1:-}
if [ -z "$out" ]; then mkdir -p "$cache/runs"; out=$(mktemp -d "$cache/runs/lane.XXXXXX"); fi
mkdir -p "$out"
say "guest ready after $((SECONDS - start)) s"

# The images: the node and the hub for `lab up`, and what the hub serves (HUB_CONTENT), in the
# guest's engine; in each node's engine, the images the VIP stack files name.
LAB=vmlab
NODES="node1 node2"
mapfile -t images < <(cd "$root" && node --input-type=module -e "
  const { IMAGES } = await import('./dist/src/images/catalog.js');
  const { HUB_CONTENT } = await import('./dist/src/lab/dind/hub.js');
  for (const i of new Set([IMAGES.node, IMAGES.registry, ...HUB_CONTENT.map(([i]) => i)])) console.log(i);")
mapfile -t nested < <(cd "$root" && grep -ho 'devcoin/[a-z]*:latest' stack/swarm/*.vip.yml | sort -u)
ids=()
for i in "${images[@]}"; do
  id=$(docker image inspect -f '{{.Id}}' "$i" 2>/dev/null) || die "image $i is not built: run \`node bin/devcoin-workshop setup\` first"
  ids+=("$i=$id")
done
key=$( (printf '%s\n' "${ids[@]}" "${nested[@]}" "$LAB $NODES"; cat "$here/build-docker-disk.sh" "$root/images/node/entrypoint.sh") | sha256sum | cut -c1-16)

# one lane at a time per cache (the disks are shared)
exec 8>"$cache/.lane.lock"
flock 8
disk="$cache/docker-$key.img"
if [ ! -f "$disk" ]; then
  t=$SECONDS
  rm -f "$cache"/docker-*.img
  bash "$here/build-docker-disk.sh" "$disk" "$LAB" "$NODES" "${images[*]}" "${nested[*]}"
  say "engine disk built in $((SECONDS - t)) s"
else
  say "engine disk cached ($key)"
fi

# The job: the project as the guest runs it (production dependencies only) and the guest script
job=$(mktemp -d "${TMPDIR:-/tmp}/devcoin-vm-job.XXXXXX")
trap 'rm -rf --one-file-system "$job"' EXIT
mkdir -p "$job/project"
(cd "$root" && cp -a bin dist package.json package-lock.json node_modules stack chapters images "$job/project/")
rm -rf "$job/project/dist/bench"
# production dependencies, and esbuild: dist/src/images/bundles.js imports it at load time
# although package.json lists it for development only (without it the CLI does not start)
(cd "$job/project" && cp -a node_modules/esbuild node_modules/@esbuild "$job/" &&
  npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null &&
  rm -rf node_modules/esbuild node_modules/@esbuild && mv "$job/esbuild" "$job/@esbuild" node_modules/)
cp "$here/lane-job.sh" "$job/job.sh"
echo "devcoin-workshop VM lane" > "$job/NAME"
say "staged in $((SECONDS - start)) s; running the guest (at most ${DEVCOIN_VM_TIMEOUT:-900} s)"

set +e
bash "$here/run-job.sh" "$guest" "$job" "$out" "${DEVCOIN_VM_TIMEOUT:-900}" "rw:docker=$disk"
rc=$?
# The guest's own kernel faulting (an Oops or a panic on its console) is the emulator's fault, not
# the project's (see lane-job.sh): the job is run once more, from a fresh copy of its disks, and
# says so; the first console is kept beside the second. Any other failure is never retried.
if [ "$rc" != 0 ] && grep -qE '^\[ *[0-9.]+\] (Oops|Kernel panic|BUG:)' "$out/serial.log" 2>/dev/null; then
  say "the guest kernel faulted under emulation (exit $rc): $(grep -m1 -E 'Oops|Kernel panic|BUG:' "$out/serial.log"); running the job once more"
  mv "$out/serial.log" "$out/serial.first.log"
  rm -rf "$out/result" "$out/seconds"
  echo "guest kernel fault on the first boot: $(grep -m1 -E 'Oops|Kernel panic|BUG:' "$out/serial.first.log")" > "$out/retried"
  bash "$here/run-job.sh" "$guest" "$job" "$out" "${DEVCOIN_VM_TIMEOUT:-900}" "rw:docker=$disk"
  rc=$?
fi
set -e
echo "$((SECONDS - start))" > "$out/lane-seconds"
say "lane finished in $((SECONDS - start)) s with exit $rc; evidence in $out/result"
echo "$out"
exit "$rc"
