#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds, and runs every test:
#   1. C++ unit tests (GoogleTest via CTest), Release build.
#   2. The same C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (skip: --no-asan).
#   3. `pip install .` of the Python package (nanobind bridge + the `vlq` CLI), then pytest:
#      oracle tests against HF tokenizers/transformers, INC integration tests.
# Real data is read from ../shared/data (override: VLQ_DATA_ROOT).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
asan=1
for arg in "$@"; do
  case "$arg" in
    --no-asan) asan=0 ;;
    *) echo "usage: scripts/test.sh [--no-asan]" >&2; exit 2 ;;
  esac
done

"$here/scripts/setup.sh"
venv="${VLQ_VENV:-$HOME/.cache/vlq/venv}"
export VLQ_DATA_ROOT="${VLQ_DATA_ROOT:-$(cd "$here/.." && pwd)/shared/data}"
jobs="$(nproc)"
# ccache keys on relative paths below the checkout, so clean clones (CI) reuse earlier objects.
export CCACHE_BASEDIR="$here"

echo "== C++ build (Release) + tests"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

if [ "$asan" = 1 ]; then
  echo "== C++ build (ASan+UBSan) + tests"
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVLQ_SANITIZE=ON -DVLQ_BUILD_BENCH=OFF >/dev/null
  cmake --build build/asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
fi

echo "== Python package + tests"
"$venv/bin/pip" install -q --no-build-isolation "$here"
export VLQ_BUILD_DIR="$here/build/release"
PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest -q tests/python
