#!/bin/bash
# Run sweep workers as a Slurm job array: each array task is one worker on one node.
# Create the study once first (starts no worker):
#   gptlab sweep spec.json --storage "$GPTLAB_STORAGE" --study lr-grid --artifacts /shared/sweeps/lr-grid --workers 0
# then:  sbatch --array=1-32 examples/slurm-sweep-workers.sh
#SBATCH --job-name=gptlab-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --output=logs/worker-%A-%a.out
set -euo pipefail
# The password is not on any command line: put it in ~/.pgpass (host:port:db:user:password, mode 600) or export
# PGPASSWORD in your environment; GPTLAB_STORAGE holds the URL without it.
export GPTLAB_STORAGE="${GPTLAB_STORAGE:-postgresql://gptlab@db.cluster.local:5432/studies}"
exec gptlab sweep worker --study lr-grid --artifacts /shared/sweeps/lr-grid \
  --worker-id "slurm-${SLURM_ARRAY_JOB_ID}-${SLURM_ARRAY_TASK_ID}" --threads "${SLURM_CPUS_PER_TASK}"
