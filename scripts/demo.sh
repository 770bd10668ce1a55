#!/usr/bin/env bash
# Sets up, installs vlq into the project venv, and runs the main job on the embedded default:
# `vlq demo` (data -> eval -> sensitivity -> PTQ with the real Qwen2.5-VL-3B tokenizer and COCO
# captions from ../shared/data, on a random demo model unless --model DIR is passed). Reports go
# to ./vlq-demo (--out DIR); extra arguments are passed to `vlq demo`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
venv="${VLQ_VENV:-$HOME/.cache/vlq/venv}"
"$venv/bin/pip" install -q --no-build-isolation "$here"
cd "$here"
exec "$venv/bin/vlq" demo "$@"
