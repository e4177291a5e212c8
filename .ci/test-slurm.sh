#!/usr/bin/env bash
# `make test-slurm`: the smoke profile's Table 2 through a real Slurm (see `make slurm-up`), end to end:
#   1. submit the sweep, wait for every array task, merge the shards, render the table;
#   2. scancel one task mid-run, check --status calls it failed, submit again: only that cell runs;
#   3. submit once more: nothing is submitted and nothing runs.
# Everything goes beside a scratch --db in a temporary folder (its shards/ and runs/), so
# results/ is untouched. Exit 0: passed. Exit 3: Slurm is not usable here (SKIPPED, never passed).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.build/release/metalora}
SPEC=experiments/table2.yaml
PROFILE=smoke
skip() { echo "test-slurm: SKIPPED — $*" >&2; exit 3; }
fail() { echo "test-slurm: FAILED — $*" >&2; exit 1; }
step() { echo "test-slurm: $*"; }

command -v sbatch >/dev/null || skip "sbatch is not on PATH (run make slurm-up)"
state=$(sinfo -h -N -o %T 2>&1 | head -n 1)
case "$state" in idle*|mixed*|allocated*) ;; *) skip "no usable Slurm node (sinfo: ${state:-nothing})";; esac
[ -x "$BIN" ] || fail "$BIN is missing (make build)"

WORK=$(mktemp -d /tmp/metalora-test-slurm.XXXXXX)
DB=$WORK/store.sqlite
SHARDS=$WORK/shards/table2-$PROFILE
export METALORA_DATA=${METALORA_DATA:-$ROOT/data}
sweep() { "$BIN" sweep "$SPEC" --profile $PROFILE --backend slurm --db "$DB" --time 00:10:00 "$@"; }
jobid() { sed -n 's/^submitted job \([0-9]*\).*/\1/p'; }
wait_job() {  # until squeue no longer lists job $1 (at most $2 s)
  for _ in $(seq 1 "$2"); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 1
  done
  fail "job $1 still queued after $2 s: $(squeue -j "$1" 2>&1)"
}

step "1. submit the smoke sweep of $SPEC"
out=$(sweep 2>&1) || fail "sweep: $out"
echo "$out"
job=$(echo "$out" | jobid); [ -n "$job" ] || fail "no job id in: $out"
cells=$(grep -c '"config_hash"' "$SHARDS/sweep.json")
wait_job "$job" 240
status=$(sweep --status 2>&1); echo "$status"
echo "$status" | grep -q "^$cells done" || fail "not every cell is done after job $job: $status"
merged=$("$BIN" results merge --shards "$SHARDS" --db "$DB" 2>&1) || fail "merge: $merged"
echo "$merged"
echo "$merged" | grep -q "$cells run(s) copied" || fail "merge did not copy $cells runs: $merged"
again=$("$BIN" results merge --shards "$SHARDS" --db "$DB" 2>&1) || fail "second merge: $again"
echo "$again" | grep -q "0 run(s) copied, $cells already present" || fail "merge is not idempotent: $again"
version=$(python3 -c "import json; print(json.load(open('$SHARDS/sweep.json'))['code_version'])")
recorded=$(python3 -c "import sqlite3; print(','.join(r[0] for r in sqlite3.connect('$DB').execute('SELECT DISTINCT code_version FROM runs')))")
[ "$recorded" = "$version" ] || fail "the tasks recorded code version '$recorded', the sweep '$version'"
step "code version of the sweep and of every task: $version"
table=$("$BIN" table 2 --profile $PROFILE --db "$DB" --format md 2>&1) || fail "table: $table"
echo "$table" | head -n 8
echo "$table" | grep -q "MeTA-LoRA" || fail "the table has no MeTA-LoRA row"

step "2. cancel one task mid-run, then resubmit it alone"
victim=$(python3 -c "import json,sys; m=json.load(open('$SHARDS/sweep.json')); print(m['cells'][-1]['config_hash'])")
# Forget the cell (store row and shard) so that it has to run again.
python3 -c "import sqlite3; c=sqlite3.connect('$DB'); c.execute('PRAGMA foreign_keys=ON'); c.execute(\"DELETE FROM runs WHERE config_hash = '$victim'\"); c.commit()"
rm -f "$SHARDS/$victim.sqlite"*
out=$(sweep 2>&1) || fail "resubmit: $out"; echo "$out"
job=$(echo "$out" | jobid); [ -n "$job" ] || fail "no job id in: $out"
echo "$out" | grep -q "1 array task(s)" || fail "expected exactly the removed cell to be submitted: $out"
for _ in $(seq 1 120); do [ "$(squeue -h -j "$job" -o %T 2>/dev/null)" = RUNNING ] && break; sleep 0.5; done
sleep 2
scancel "$job" || fail "scancel $job"
wait_job "$job" 60
status=$(sweep --status 2>&1); echo "$status"
echo "$status" | grep -q "1 failed" || fail "the cancelled cell is not reported failed: $status"
out=$(sweep 2>&1) || fail "resubmit after cancel: $out"; echo "$out"
job=$(echo "$out" | jobid); [ -n "$job" ] || fail "no job id in: $out"
echo "$out" | grep -q "1 array task(s)" || fail "expected only the cancelled cell: $out"
wait_job "$job" 240
merged=$("$BIN" results merge --shards "$SHARDS" --db "$DB" 2>&1) || fail "merge: $merged"; echo "$merged"
echo "$merged" | grep -q "1 run(s) copied" || fail "the resubmitted cell was not merged: $merged"

step "3. submit again: nothing to run"
out=$(sweep 2>&1) || fail "third submit: $out"; echo "$out"
echo "$out" | grep -q "^nothing to submit: $cells of $cells cells done" || fail "a finished sweep submitted work: $out"
done_runs=$("$BIN" results ls done --db "$DB" | tail -n +2 | wc -l)
[ "$done_runs" = "$cells" ] || fail "the store holds $done_runs done runs, expected $cells"

step "4. a shard run by other code: merge refused, naming both versions, the store unchanged"
before=$(python3 -c "import sqlite3; c=sqlite3.connect('$DB'); print(c.execute('SELECT count(*) FROM runs').fetchone()[0], c.execute('SELECT count(*) FROM metrics').fetchone()[0])")
python3 -c "import sqlite3; c=sqlite3.connect('$SHARDS/$victim.sqlite'); c.execute(\"UPDATE runs SET code_version = 'other-code'\"); c.commit()"
if refused=$("$BIN" results merge --shards "$SHARDS" --db "$DB" 2>&1); then fail "a shard of other code was merged: $refused"; fi
echo "$refused"
echo "$refused" | grep -q "other-code" && echo "$refused" | grep -q -- "$version" || fail "the refusal does not name both versions: $refused"
after=$(python3 -c "import sqlite3; c=sqlite3.connect('$DB'); print(c.execute('SELECT count(*) FROM runs').fetchone()[0], c.execute('SELECT count(*) FROM metrics').fetchone()[0])")
[ "$before" = "$after" ] || fail "a refused merge changed the store (runs, metrics: $before → $after)"
rm -rf "$WORK"
step "PASSED ($cells cells; submit, merge, table, cancel + resubmit, no-op resubmit, foreign-code merge refused)"
