#!/usr/bin/env bash
# Install entailkit for development: the package with every extra, the dev tools, and the
# integration distributions under integrations/, all editable, pinned by constraints.txt.
# Run it inside the virtual environment you want to use (see README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python}"

if [[ -z "${VIRTUAL_ENV:-}" && -z "${CONDA_PREFIX:-}" && "${ENTAILKIT_ALLOW_GLOBAL_INSTALL:-0}" != "1" ]]; then
    echo "scripts/install.sh: no virtual environment is active." >&2
    echo "  Create one first:  python -m venv .venv && . .venv/bin/activate" >&2
    echo "  (or set ENTAILKIT_ALLOW_GLOBAL_INSTALL=1 to install into $(command -v "$PY"))" >&2
    exit 2
fi

# --no-compile: byte-compiling every installed module (torch, transformers, ray, ...) takes minutes on
# a small machine; Python compiles the modules it actually imports on first use instead.
PIP_INSTALL=("$PY" -m pip install --no-compile -c constraints.txt)

# torch first and exactly pinned: a plain 'torch' requirement resolved later could pick another build.
"${PIP_INSTALL[@]}" "torch==2.13.0"

targets=(-e ".[all,dev]")
shopt -s nullglob
for project in integrations/*/pyproject.toml; do
    dir="$(dirname "$project")"
    extras=()
    for extra in test tests dev; do
        if grep -Eq "^[[:space:]]*\"?${extra}\"?[[:space:]]*=" "$project"; then
            extras+=("$extra")
        fi
    done
    if ((${#extras[@]})); then
        targets+=(-e "${dir}[$(IFS=,; echo "${extras[*]}")]")
    else
        targets+=(-e "$dir")
    fi
done

"${PIP_INSTALL[@]}" "${targets[@]}"

# The Cohere SDK 7 beside the venv's SDK 5 (langchain-cohere and llama-index's Cohere reranker need cohere<6):
# tests/contract/test_serve_clients.py runs it in a subprocess with this folder first on PYTHONPATH.
rm -rf .cache/cohere-sdk-7
"$PY" -m pip install --no-compile --no-deps --target .cache/cohere-sdk-7 "cohere==7.3.1"  # pinned here: constraints.txt pins 5
