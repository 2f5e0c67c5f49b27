#!/usr/bin/env bash
# Builds the VM lane's guest: a Debian trixie root file system (debootstrap, no network in the
# VM) with a stock Debian kernel, systemd, Debian's docker.io and Node.js, packed as a raw ext4
# image, plus the kernel and initrd to boot it with qemu. CACHED: the image lives in
# $DEVCOIN_VM_CACHE (default /var/cache/devcoin-vm as root, else $XDG_CACHE_HOME/devcoin-vm)
# under a key that hashes this recipe (this script and scripts/vm/guest/); a cached image whose
# key matches is used as it is. Prints the guest's directory on stdout, progress on stderr.
#
# Needs root (debootstrap, chroot) and, once, Debian's packages qemu-system-x86, qemu-utils and
# debootstrap, which it installs with apt when they are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf 'vm-guest: %s\n' "$*" >&2; }
die() { printf 'vm-guest: %s\n' "$*" >&2; exit 1; }

SUITE=trixie
# What the guest needs: a kernel with cgroup v2 and IPVS (Debian's stock one), systemd, the
# engine (in trixie the CLI is its own package), the tools the job uses, and Node.js to run the
# CLI itself in the guest. --no-install-recommends keeps it small.
PACKAGES=(
  linux-image-amd64 initramfs-tools systemd-sysv udev kmod
  docker.io docker-cli containerd runc tini iptables iproute2 ipvsadm
  busybox-static curl openssl procps ca-certificates nodejs
)
SIZE=16G # sparse: only what is written takes space; room for images, a hub and two nodes' pulls

cache_dir() {
  if [ -n "${DEVCOIN_VM_CACHE:-}" ]; then echo "$DEVCOIN_VM_CACHE"
  elif [ "$(id -u)" = 0 ]; then echo /var/cache/devcoin-vm
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/devcoin-vm"; fi
}

# The recipe: this script and the files put into the guest. Any change to them is a new key.
recipe_key() {
  (cd "$here" && cat build-guest.sh && find guest -type f | LC_ALL=C sort | while read -r f; do echo "== $f"; cat "$f"; done) |
    sha256sum | cut -c1-16
}

ensure_tools() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
  command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
  [ -x /usr/sbin/debootstrap ] || command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ -x /usr/sbin/mkfs.ext4 ] || missing+=(e2fsprogs)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "the VM lane needs ${missing[*]}: install them (Debian/Ubuntu: apt-get install ${missing[*]}), then run this again"
  fi
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian mirror this machine's apt uses, found by the CLI's own code (src/images/mirror.ts:
# DEVCOIN_DEBIAN_MIRROR, then /etc/apt/sources.list.d/*.sources, then sources.list).
mirror() {
  [ -f "$root/dist/src/images/mirror.js" ] || die "the CLI is not built (no dist/src/images/mirror.js): run \`npm run build\` first"
  node --input-type=module -e "
    const { detectMirror } = await import('$root/dist/src/images/mirror.js');
    const m = detectMirror();
    if (!m) process.exit(1);
    console.log(m.url);"
}

work=
rootfs=
main() {
  [ "$(id -u)" = 0 ] || die "building the guest needs root (debootstrap and chroot); run it as root"
  local cache key out
  cache=$(cache_dir)
  key=$(recipe_key)
  out="$cache/guest-$key"
  if [ -f "$out/ok" ] && [ -f "$out/base.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
    say "cached: $out"
    echo "$out"
    return 0
  fi
  ensure_tools
  mkdir -p "$cache"
  # one build at a time; a second caller waits, then finds the cache
  exec 9>"$cache/.build.lock"
  flock 9
  if [ -f "$out/ok" ]; then echo "$out"; return 0; fi

  local url
  url=$(mirror) || die "no Debian mirror found in /etc/apt sources: set DEVCOIN_DEBIAN_MIRROR to one"
  work="$cache/.build-$key.$$"
  rm -rf "$work"
  mkdir -p "$work"
  rootfs="$work/root"
  # whatever happens, nothing stays mounted and no half-built guest remains
  cleanup() {
    for m in dev/pts dev proc sys; do mountpoint -q "$rootfs/$m" 2>/dev/null && umount -l "$rootfs/$m"; done
    rm -rf --one-file-system "$work"
  }
  trap cleanup EXIT
  local t0=$SECONDS
  say "debootstrap $SUITE from $url"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs" "$url" > "$work/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -n 3 "$work/debootstrap.log" | tr '\n' ' ')"
  say "debootstrap done in $((SECONDS - t0)) s"

  mount --bind /dev "$rootfs/dev"
  mount --bind /dev/pts "$rootfs/dev/pts"
  mount -t proc proc "$rootfs/proc"
  mount -t sysfs sysfs "$rootfs/sys"
  # no service starts in the chroot
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  say "installing ${#PACKAGES[@]} packages in the guest"
  t0=$SECONDS
  chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PACKAGES[*]}" > "$work/apt.log" 2>&1 ||
    die "apt-get install in the guest failed: $(tail -n 3 "$work/apt.log" | tr '\n' ' ')"
  say "packages installed in $((SECONDS - t0)) s"

  # the guest: a batch job runner, no login, no network, no apt timers
  install -m 0755 "$here/guest/devcoin-vm-job" "$rootfs/usr/local/sbin/devcoin-vm-job"
  install -m 0644 "$here/guest/devcoin-vm-job.service" "$rootfs/etc/systemd/system/devcoin-vm-job.service"
  chroot "$rootfs" systemctl enable devcoin-vm-job.service >/dev/null 2>&1
  # what a batch job does not need costs seconds of emulated boot; ipvsadm.service must not
  # load ip_vs either (the job checks that nobody but Swarm does)
  chroot "$rootfs" systemctl mask serial-getty@ttyS0.service getty@tty1.service getty-static.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer ipvsadm.service \
    modprobe@drm.service modprobe@fuse.service modprobe@efi_pstore.service >/dev/null 2>&1 || true
  echo vmguest > "$rootfs/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 vmguest\n' > "$rootfs/etc/hosts"
  # the engine's data root is the lane's second disk (scripts/vm/build-docker-disk.sh), images
  # loaded on the host; without it the engine does not start and the job fails (no result)
  echo 'LABEL=vmdocker /var/lib/docker ext4 defaults,nofail,x-systemd.device-timeout=300s 0 0' > "$rootfs/etc/fstab"
  mkdir -p "$rootfs/etc/systemd/system/docker.service.d"
  printf '[Unit]\nRequiresMountsFor=/var/lib/docker\n' > "$rootfs/etc/systemd/system/docker.service.d/devcoin-vm.conf"
  rm -f "$rootfs/usr/sbin/policy-rc.d"
  chroot "$rootfs" apt-get clean
  for m in dev/pts dev proc sys; do umount -l "$rootfs/$m"; done

  local kernel initrd
  kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)
  initrd=$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n 1)
  [ -f "$kernel" ] && [ -f "$initrd" ] || die "no kernel or initrd in the guest's /boot"
  cp "$kernel" "$work/vmlinuz"
  cp "$initrd" "$work/initrd.img"
  say "packing the root file system (ext4, $SIZE sparse)"
  truncate -s "$SIZE" "$work/base.img"
  mkfs.ext4 -q -F -L vmroot -d "$rootfs" "$work/base.img"
  rm -rf --one-file-system "$rootfs"
  {
    echo "suite=$SUITE"
    echo "mirror=$url"
    echo "kernel=$(basename "$kernel")"
    echo "packages=${PACKAGES[*]}"
    echo "built=$(date -u +%FT%TZ)"
  } > "$work/ok"
  # older guests of this cache are replaced (only ours: guest-<key> folders)
  for old in "$cache"/guest-*; do [ "$old" != "$out" ] && [ -d "$old" ] && rm -rf --one-file-system "$old"; done
  rm -rf "$out"
  mv "$work" "$out"
  trap - EXIT
  say "guest ready: $out"
  echo "$out"
}

main "$@"
