#!/usr/bin/env bash
# Brings up a real single-node Slurm cluster on localhost (munged, slurmctld, slurmd) without systemd, for the
# tests in test/slurm and for trying `lth run --on slurm` on one machine. Needs root (it starts munged as the
# munge user and slurmd as root, as a real node does). Installs the Debian packages when missing.
#
#   scripts/slurm/cluster-up.sh [DIR]     DIR defaults to $LTH_SLURM_DIR, else /tmp/lth-slurm
#
# Everything the cluster writes (slurm.conf, state, spool, logs, pid files) lives under DIR. On success it
# prints the line to source, and DIR/env.sh sets SLURM_CONF for sbatch/squeue/scontrol:
#   . DIR/env.sh && sbatch --wrap 'hostname'
# Idempotent: when the cluster in DIR already answers, it only re-checks it. Stop it with cluster-down.sh DIR.
set -euo pipefail

DIR="${1:-${LTH_SLURM_DIR:-/tmp/lth-slurm}}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/slurm.conf"
export SLURM_CONF="$CONF"
log() { printf 'cluster-up: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (slurmd runs jobs as their users; munged runs as munge)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurmctld slurmd slurm-client munge (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; } \
    || die "cannot install the Slurm packages"
fi

started=$(date +%s.%N)

# --- munge: one key per machine; the daemon runs as munge with its socket in /run/munge.
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key --force >/dev/null
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- munged --force
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munged does not answer"
fi

# --- slurm.conf: this host is controller and the only node.
HOST="$(hostname -s)"
CPUS="$(nproc)"
FREE_MB="$(awk '/MemAvailable/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
MEM_MB=$(( FREE_MB * 8 / 10 ))
[ "$MEM_MB" -ge 512 ] || MEM_MB=512
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
chmod 755 "$DIR" "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
cat > "$CONF.new" <<CONF
# Written by scripts/slurm/cluster-up.sh: a one-node cluster on $HOST for LTH Lab's tests.
ClusterName=lthlab
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
MaxArraySize=10001
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
KillWait=5
InactiveLimit=0
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
mv "$CONF.new" "$CONF"
printf 'export SLURM_CONF=%q\n' "$CONF" > "$DIR/env.sh"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if ! alive "$DIR/run/slurmctld.pid"; then
  log "starting slurmctld"
  slurmctld -f "$CONF" -i || die "slurmctld did not start: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
fi
if ! alive "$DIR/run/slurmd.pid"; then
  log "starting slurmd"
  slurmd -f "$CONF" || die "slurmd did not start: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"
fi

# --- wait until the node is idle and a trivial batch job runs to completion.
ok=""
for _ in $(seq 100); do
  state="$(timeout 5 sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
  case "$state" in idle*|mix*|alloc*) ok=1; break ;; esac
  sleep 0.2
done
[ -n "$ok" ] || die "node $HOST never became idle (sinfo: '${state:-no answer}'); see $DIR/log/slurmd.log"
out="$DIR/log/probe.out"
rm -f "$out"
job="$(timeout 10 sbatch --parsable -o "$out" --wrap 'echo probe-ok' 2>&1)" || die "sbatch failed: $job"
job="${job%%;*}"
for _ in $(seq 300); do
  grep -q probe-ok "$out" 2>/dev/null && break
  sleep 0.1
done
grep -q probe-ok "$out" 2>/dev/null || die "probe job $job did not run within 30 s; see $DIR/log/slurmctld.log"

took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "cluster up in ${took}s: node $HOST, $CPUS CPUs, ${MEM_MB} MB, partition debug; probe job $job ran"
echo ". $DIR/env.sh"
