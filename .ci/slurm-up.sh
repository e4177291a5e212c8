#!/usr/bin/env bash
# `make slurm-up`: a one-node Slurm on this machine for `make test-slurm`. Installs Debian's
# slurm-wlm and munge, writes /etc/slurm/slurm.conf from `slurmd -C` (this machine's CPUs and
# memory), starts munged, slurmctld and slurmd directly (no systemd needed) and waits until the
# node is idle. Idempotent: daemons already running are left alone.
# Exit 0: Slurm is up. Exit 3: it cannot be started here; the reason is on stderr.
set -uo pipefail
cannot() { echo "slurm-up: cannot start Slurm: $*" >&2; exit 3; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

missing=""
for pkg in slurm-wlm munge; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
if [ -n "$missing" ]; then
  echo "slurm-up: installing$missing"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null; } \
    || cannot "apt-get install$missing failed"
fi
command -v slurmd >/dev/null || cannot "slurmd is not on PATH after installing slurm-wlm"

# munge: a key readable only by the munge user, and its socket folder.
$SUDO mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
$SUDO chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
$SUDO chmod 0700 /etc/munge /var/lib/munge /var/log/munge; $SUDO chmod 0755 /run/munge; $SUDO chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  $SUDO runuser -u munge -- munged --force 2>/dev/null || $SUDO runuser -u munge -- munged || cannot "munged did not start"
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n | unmunge >/dev/null 2>&1 || cannot "munged started but a credential does not round-trip"
fi

# slurm.conf: one node, this host, its CPUs and memory as slurmd sees them.
host=$(hostname -s)
node=$(slurmd -C 2>/dev/null | head -n 1)
[ -n "$node" ] || cannot "slurmd -C printed nothing"
$SUDO mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf=$(cat <<EOF
# Written by make slurm-up (.ci/slurm-up.sh): a one-node cluster for make test-slurm.
ClusterName=metalora
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
KillWait=5
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$conf" ]; then
  echo "$conf" | $SUDO tee /etc/slurm/slurm.conf >/dev/null
  echo "slurm-up: wrote /etc/slurm/slurm.conf ($node)"
  restart=1
else restart=0; fi

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ "$restart" = 1 ]; then
  running /run/slurmd.pid && $SUDO kill "$(cat /run/slurmd.pid)"
  running /run/slurmctld.pid && $SUDO kill "$(cat /run/slurmctld.pid)"
  sleep 1
fi
running /run/slurmctld.pid || $SUDO slurmctld || cannot "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
running /run/slurmd.pid || $SUDO slurmd || cannot "slurmd did not start (see /var/log/slurm/slurmd.log)"

for i in $(seq 1 90); do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1)
  case "$state" in
    idle|mixed|allocated) echo "slurm-up: node $host is $state after ${i}s"; exit 0 ;;
    down*|drain*) $SUDO scontrol update nodename="$host" state=resume 2>/dev/null ;;
  esac
  sleep 1
done
cannot "node $host did not become idle within 90 s (state '${state:-none}'; see /var/log/slurm/)"
