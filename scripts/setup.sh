#!/usr/bin/env bash
# Installs everything vlq needs, from Debian and PyPI only. Idempotent: when everything is
# present it only checks and returns in a few seconds.
#   C++:    Debian -dev packages (JSON, SQLite, utf8proc, JPEG, PNG, OpenBLAS, CLI11, GoogleTest,
#           Google Benchmark) + clang-format.
#   Python: a virtual environment at $VLQ_VENV (default ~/.cache/vlq/venv) with torch==2.13.0
#           (the CPU build on disk; never a plain `torch`), transformers, tokenizers, numpy<2
#           (INC 3.7.1, the last release with INC's 2.x API, needs numpy<2), pytest, INC.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VLQ_VENV:-$HOME/.cache/vlq/venv}"

apt_packages=(build-essential cmake ninja-build pkg-config nlohmann-json3-dev libsqlite3-dev
  libutf8proc-dev libssl-dev libjpeg62-turbo-dev libpng-dev libopenblas-dev libcli11-dev libgtest-dev
  libgmock-dev libbenchmark-dev clang-format sqlite3 ccache)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
fi
stamp="$venv/.vlq-requirements.sha256"
want="$(sha256sum "$here/scripts/requirements.txt" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages into $venv"
  "$venv/bin/pip" install -q -r "$here/scripts/requirements.txt"
  echo "$want" >"$stamp"
fi
echo "setup: ok (venv $venv)"
