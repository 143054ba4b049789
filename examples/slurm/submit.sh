#!/usr/bin/env bash
# Plans a sharded audit and hands it to Slurm: one array task per shard, then a merge job that starts
# once every shard has succeeded. The shards and the results travel as plain files under WORK_DIR.
#
#   examples/slurm/submit.sh <task.json> <shards> <work dir>
#
# UNLEARNING_AUDIT is the command that runs the app headless on the cluster's nodes; by default the
# checkout this script sits in (npm run audit). Every node must see WORK_DIR and have the dataset.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 <task.json> <shards> <work dir>" >&2
  exit 2
fi
task=$1
shards=$2
mkdir -p "$3"
work=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export UNLEARNING_AUDIT="${UNLEARNING_AUDIT:-npm run --silent --prefix $(cd "$here/../.." && pwd) audit --}"
export AUDIT_WORK="$work"
read -r -a audit <<< "$UNLEARNING_AUDIT"

"${audit[@]}" plan "$task" --shards "$shards" --out "$work/plan" --db "$work/plan.db"
# The plan may hold fewer shards than asked: groups that share an original stay together.
count=$(find "$work/plan" -maxdepth 1 -name 'shard-*.json' | wc -l)

array=$(sbatch --parsable --array="1-$count" --export=ALL "$here/run-shard.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" --export=ALL "$here/merge.sbatch")
echo "submitted: shards as array job ${array%%;*} (1-$count), merge as job ${merge%%;*}"
echo "results: $work/results/<shard>/, merged audit: $work/merged/"
