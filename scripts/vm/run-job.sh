#!/usr/bin/env bash
# Runs one batch job in the VM lane's guest (scripts/vm/build-guest.sh) under qemu's software
# emulation, and brings its result back. Fails closed: the job's result is an archive the guest
# writes to a disk of its own; no archive, or no `rc` file in it, is a failure, and so is qemu
# still running at the time limit (it is killed).
#
#   run-job.sh GUEST_DIR JOB_DIR OUT_DIR SECONDS [[rw:]SERIAL=FILE ...]
#
# JOB_DIR holds job.sh (run in the guest as `sh job.sh OUTDIR`, after its engine is up) and what
# it needs; it reaches the guest as a tar archive on the disk with serial "job". Each
# SERIAL=FILE is attached read-only as /dev/disk/by-id/virtio-SERIAL; rw:SERIAL=FILE is
# writable through a throw-away qcow2 overlay (the guest's fstab mounts such disks by label). The root file system is a throw-away qcow2
# overlay over the cached base image, removed afterwards. OUT_DIR receives what the job wrote,
# and serial.log (the guest's console). Exit status: the job's own, or 124 for the time limit,
# 125 for no result.
set -euo pipefail
say() { printf 'vm-run: %s\n' "$*" >&2; }
die() { printf 'vm-run: %s\n' "$*" >&2; exit 2; }

[ $# -ge 4 ] || die "usage: run-job.sh GUEST_DIR JOB_DIR OUT_DIR SECONDS [SERIAL=FILE ...]"
guest=$1 job=$2 out=$3 limit=$4
shift 4
[ -f "$guest/ok" ] && [ -f "$guest/base.img" ] || die "no built guest in $guest: run scripts/vm/build-guest.sh"
[ -f "$job/job.sh" ] || die "no job.sh in $job"
[[ "$limit" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, got $limit"
command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 is missing: run scripts/vm/build-guest.sh (it installs it)"

mkdir -p "$out"
run=$(mktemp -d "${TMPDIR:-/tmp}/devcoin-vm-run.XXXXXX")
qpid=
tailpid=
cleanup() {
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null || true
  [ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null || true
  rm -rf --one-file-system "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tar -C "$job" -cf "$run/job.tar" .
# the guest stops the job a little before the limit, so a slow job still brings back its evidence
mkdir -p "$run/extra" && echo "$limit" > "$run/extra/DEADLINE"
tar -C "$run/extra" -rf "$run/job.tar" DEADLINE
# the guest writes its result archive here; all zeros reads as an empty archive (no rc: failure)
truncate -s 256M "$run/result.img"
qemu-img create -q -f qcow2 -b "$(cd "$guest" && pwd)/base.img" -F raw "$run/root.qcow2"

drives=(
  -drive "file=$run/root.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap"
  -drive "file=$run/job.tar,if=none,id=job,format=raw,readonly=on" -device virtio-blk-pci,drive=job,serial=job
  -drive "file=$run/result.img,if=none,id=result,format=raw,cache=unsafe" -device virtio-blk-pci,drive=result,serial=result
)
for spec in "$@"; do
  rw=
  case "$spec" in rw:*) rw=1 spec=${spec#rw:} ;; esac
  name=${spec%%=*} file=${spec#*=}
  [[ "$name" =~ ^[a-z0-9-]+$ ]] && [ -f "$file" ] || die "bad disk $spec (want [rw:]SERIAL=FILE, an existing file)"
  if [ -n "$rw" ]; then
    # writable for the guest, through a throw-away overlay: FILE itself never changes
    qemu-img create -q -f qcow2 -b "$(cd "$(dirname "$file")" && pwd)/$(basename "$file")" -F raw "$run/$name.qcow2"
    drives+=(-drive "file=$run/$name.qcow2,if=none,id=$name,format=qcow2,cache=unsafe,discard=unmap" -device "virtio-blk-pci,drive=$name,serial=$name")
  else
    drives+=(-drive "file=$file,if=none,id=$name,format=raw,readonly=on" -device "virtio-blk-pci,drive=$name,serial=$name")
  fi
done

: > "$out/serial.log"
tail -n +1 -F "$out/serial.log" 2>/dev/null | sed -u 's/^/  vm| /' >&2 &
tailpid=$!

say "booting the guest (qemu TCG, -smp ${DEVCOIN_VM_SMP:-2}, ${DEVCOIN_VM_MEM:-4096} MiB), at most $limit s"
start=$SECONDS
set +e
# TCG: this machine's KVM cannot run a stock Debian kernel (shared/LAB-NOTES); emulation can.
timeout --kill-after=10 "$limit" qemu-system-x86_64 \
  -accel tcg,thread=multi,tb-size=512 -cpu max -m "${DEVCOIN_VM_MEM:-4096}" -smp "${DEVCOIN_VM_SMP:-2}" \
  -nodefaults -display none -no-reboot -nic none \
  -chardev "file,id=ser0,path=$out/serial.log" -serial chardev:ser0 \
  "${drives[@]}" \
  -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
  -append "console=ttyS0 root=LABEL=vmroot rw panic=-1 quiet systemd.unified_cgroup_hierarchy=1 apparmor=0" \
  </dev/null >"$run/qemu.log" 2>&1 &
qpid=$!
wait "$qpid"
qrc=$?
qpid=
set -e
took=$((SECONDS - start))
sleep 0.5

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  say "the guest did not finish within $limit s (killed after $took s); last console lines:"
  tail -n 15 "$out/serial.log" >&2
  exit 124
fi
[ "$qrc" = 0 ] || say "qemu exited with $qrc: $(tail -n 3 "$run/qemu.log" | tr '\n' ' ')"
mkdir -p "$out/result"
tar -x -C "$out/result" -f "$run/result.img" 2>/dev/null || true
if [ ! -f "$out/result/rc" ]; then
  say "no result from the guest after $took s (no rc on the result disk); last console lines:"
  tail -n 15 "$out/serial.log" >&2
  exit 125
fi
rc=$(cat "$out/result/rc")
echo "$took" > "$out/seconds"
say "guest job finished in $took s with exit $rc; result in $out/result"
[[ "$rc" =~ ^[0-9]+$ ]] || exit 125
exit "$rc"
