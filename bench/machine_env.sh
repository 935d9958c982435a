#!/usr/bin/env bash
# bench/machine_env.sh: the lines every bench result starts with (date, cores, CPU, kernel,
# memory, load average), so runs can be compared. Used by bench/run.sh and bench/hostile/run.sh.
set -euo pipefail
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "kernel: $(uname -r)"
echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
