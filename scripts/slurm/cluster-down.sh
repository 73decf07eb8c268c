#!/usr/bin/env bash
# Stops the cluster cluster-up.sh started in DIR (slurmd, slurmctld by their pid files; munged when it was
# started for it) and removes DIR. Jobs still running are ended with the daemons.
#   scripts/slurm/cluster-down.sh [DIR]   DIR defaults to $LTH_SLURM_DIR, else /tmp/lth-slurm
set -uo pipefail
DIR="${1:-${LTH_SLURM_DIR:-/tmp/lth-slurm}}"
[ -d "$DIR" ] || { echo "cluster-down: no cluster in $DIR" >&2; exit 0; }
export SLURM_CONF="$DIR/slurm.conf"
# Running jobs first, so their processes do not outlive slurmd.
if [ -s "$DIR/run/slurmctld.pid" ] && kill -0 "$(cat "$DIR/run/slurmctld.pid")" 2>/dev/null; then
  timeout 5 scancel --quiet --user=root 2>/dev/null || true
fi
stop() {
  local pidfile="$1" name="$2"
  [ -s "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "cluster-down: $name ($pid) did not stop on SIGTERM: SIGKILL" >&2
  kill -9 "$pid" 2>/dev/null || true
}
stop "$DIR/run/slurmd.pid" slurmd
stop "$DIR/run/slurmctld.pid" slurmctld
# munged: only when no other cluster directory is still up (it is shared by the machine).
if [ -z "${LTH_SLURM_KEEP_MUNGE:-}" ] && [ -s /run/munge/munged.pid ]; then
  others=0
  for pf in /tmp/*/run/slurmctld.pid; do
    [ -e "$pf" ] || continue
    case "$pf" in "$DIR"/*) continue ;; esac
    kill -0 "$(cat "$pf")" 2>/dev/null && others=1
  done
  [ "$others" -eq 0 ] && stop /run/munge/munged.pid munged
fi
rm -rf "$DIR"
echo "cluster-down: stopped and removed $DIR" >&2
