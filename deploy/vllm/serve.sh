#!/usr/bin/env bash
# Serve Wegwijs' LLM with vLLM's OpenAI-compatible server (one GPU; see README.md).
#
# The weights must already be on local disk (MODEL_PATH): nothing is downloaded at run time.
# Every setting can be overridden from the environment; extra arguments go to `vllm serve`.
#
#   MODEL_PATH=/models/Qwen3-30B-A3B-Instruct-2507-FP8 ./serve.sh
#   MODEL_PATH=/models/... MAX_MODEL_LEN=16384 ./serve.sh --tensor-parallel-size 2
set -euo pipefail

MODEL_PATH="${MODEL_PATH:-/models/Qwen3-30B-A3B-Instruct-2507-FP8}"
SERVED_MODEL_NAME="${SERVED_MODEL_NAME:-wegwijs-llm}"  # = WEGWIJS_LLM__MODEL in the app
HOST="${HOST:-0.0.0.0}"
PORT="${PORT:-8000}"
MAX_MODEL_LEN="${MAX_MODEL_LEN:-8192}"               # >= WEGWIJS_LLM__CONTEXT_TOKENS
GPU_MEMORY_UTILIZATION="${GPU_MEMORY_UTILIZATION:-0.90}"
MAX_NUM_SEQS="${MAX_NUM_SEQS:-32}"                   # concurrent conversations per replica
TENSOR_PARALLEL_SIZE="${TENSOR_PARALLEL_SIZE:-1}"

if [[ ! -d "$MODEL_PATH" ]]; then
  echo "serve.sh: no model at MODEL_PATH=$MODEL_PATH; download it first (README.md, step 1)" >&2
  exit 2
fi

# Offline: the weights are local, and the server must never reach out to a model hub.
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

args=(
  "$MODEL_PATH"
  --served-model-name "$SERVED_MODEL_NAME"
  --host "$HOST"
  --port "$PORT"
  --max-model-len "$MAX_MODEL_LEN"
  --gpu-memory-utilization "$GPU_MEMORY_UTILIZATION"
  --max-num-seqs "$MAX_NUM_SEQS"
  --tensor-parallel-size "$TENSOR_PARALLEL_SIZE"
  --enable-prefix-caching        # every request starts with the same system prompt
  --disable-log-requests         # prompts hold (redacted) questions: keep them out of logs
)
# Same key as WEGWIJS_LLM__API_KEY in the app; without it the server is open to its network.
if [[ -n "${VLLM_API_KEY:-}" ]]; then
  args+=(--api-key "$VLLM_API_KEY")
fi

exec vllm serve "${args[@]}" "$@"
