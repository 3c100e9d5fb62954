#!/usr/bin/env bash
# The GPU checks, in one call on a lent device machine (the device tool's `run`):
#
#   make device-bundle                                # here, once (bundle.sh, about 2 minutes)
#   run(command="bash bench/device/check.sh", carry=[".device"], timeout_s=600)
#
# Stages (STAGES, a space-separated list, runs a subset, in its order; each has its own time
# limit so one that hangs cannot take the whole call):
#   env      the GPU, Python, torch and CUDA as the machine has them
#   tests    pytest -m gpu: search-all, topk-by-token, cosine, dashboards and steering on CUDA
#   bench    bench/inference.py --device cuda: the default model and short prompts (16 tokens)
#   gpt2     bench/inference.py at gpt2-small's size (768 x 12 layers, 8192 features, 128 tokens)
#   profile  one bench round (16 tokens) with py-spy sampling the web and worker processes into
#            $OUT/web.txt.gz and worker.txt.gz (read them with bench/device/profile_top.py)
# Each stage's log goes to $OUT/<stage>.log; the summary of every stage is printed last, since
# the tool's reply keeps the end of the output.
#
# Here, on the CPU, the same script runs against a bundle built for this Python, which shows
# that the bundle lacks nothing (the GPU tests skip themselves without CUDA):
#   PYVER=3.11.7 BUNDLE=/tmp/b/site.tar.xz bash bench/device/bundle.sh
#   PY=<a venv with torch and SKIP_IMAGE's packages only>/bin/python BUNDLE=/tmp/b/site.tar.xz \
#       DEVICE=cpu STAGES="env tests bench" bash bench/device/check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-/tmp/np-device-out}
STAGES=${STAGES:-env bench tests gpt2} # the goals first: a stage that runs out of time goes last
# The device tool stops a command at 600 s and returns nothing after: stages are cut to what is
# left of BUDGET seconds, and skipped when under 20 s remain.
DEADLINE=$((SECONDS + ${BUDGET:-570}))
PY=${PY:-python3} # on the device, the image's Python, which holds its CUDA build of torch
DEVICE=${DEVICE:-cuda}
BUNDLE=${BUNDLE:-.device/site.tar.xz}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
tar -C "$site" -xJf "$BUNDLE" || { echo "no $BUNDLE: build it with bundle.sh, carry it"; exit 2; }
export PYTHONPATH="$site/site:$PWD"
export PATH="$site/site/bin:$PATH"

BENCH=(bench/inference.py --device "$DEVICE" --web-workers 4 --torch-threads 4)
summary=()
VERSIONS='
import sys
from importlib.metadata import version
import torch
cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA"
names = ["transformer-lens", "sae-lens", "transformers", "django", "celery"]
print(f"python {sys.version.split()[0]}, torch {torch.__version__} ({cuda}),",
      ", ".join(f"{name} {version(name)}" for name in names))
'

stage() { # name, time limit in seconds, command...
    local name=$1 limit=$2 left=$((DEADLINE - SECONDS))
    shift 2
    if ((left < 20)); then
        summary+=("== $name: skipped, ${left} s of BUDGET left")
        : >"$OUT/$name.log"
        return 0
    fi
    ((left < limit)) && limit=$left
    echo "== $name: $*"
    local started=$SECONDS
    # SIGINT, so the bench and pytest stop their worker and web processes on the way out
    timeout -s INT -k 30 "$limit" "$@" 2>&1 | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    summary+=("== $name: exit $rc in $((SECONDS - started)) s")
    return 0
}

bench_lines() { # the lines of a bench log that carry its results
    grep -E "^(search-all:|bare call|API|  where|  web|  CPU|  machine|  worker|worker batches)" "$1" ||
        echo "(no results)"
}

for name in $STAGES; do
    case $name in
    env)
        stage env 60 "$PY" -c "$VERSIONS"
        if command -v nvidia-smi >/dev/null; then nvidia-smi -L >>"$OUT/env.log"; fi
        # The kernel tells the sandbox (4.4.0: gVisor, whose system calls cost far more than
        # Firecracker's); the fixed cost of a request is mostly system calls.
        echo "kernel $(uname -r), $(nproc) CPUs" >>"$OUT/env.log"
        summary+=("$(cat "$OUT/env.log")")
        ;;
    tests)
        stage tests 240 "$PY" -m pytest -m gpu -q \
            tests/inference/test_gpu.py tests/workers/dashboards/test_gpu.py tests/steering/test_gpu.py
        summary+=("$(tail -n 1 "$OUT/tests.log")")
        ;;
    bench)
        stage bench 150 "$PY" "${BENCH[@]}"
        stage bench16 120 "$PY" "${BENCH[@]}" --tokens 16
        for log in bench bench16; do summary+=("-- $log" "$(bench_lines "$OUT/$log.log")"); done
        ;;
    gpt2)
        stage gpt2 240 "$PY" "${BENCH[@]}" --d-model 768 --layers 12 --d-sae 8192 --tokens 128
        summary+=("-- gpt2" "$(bench_lines "$OUT/gpt2.log")")
        ;;
    profile)
        if ! command -v py-spy >/dev/null; then
            summary+=("== profile: skipped, no py-spy")
            continue
        fi
        stage profile 150 "$PY" "${BENCH[@]}" --tokens 16 --rounds 1 --profile "$OUT"
        gzip -f "$OUT/web.txt" "$OUT/worker.txt" # folded stacks; 16 MiB a file comes back
        ;;
    *) summary+=("== $name: no such stage") ;;
    esac
done

echo
printf '%s\n' "${summary[@]}"
