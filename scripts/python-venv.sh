#!/usr/bin/env bash
# Create (if missing) a Python virtualenv and install pinned requirements into it.
#
#   scripts/python-venv.sh VENV_DIR REQUIREMENT...
#   scripts/python-venv.sh target/py-sdk-0.11 gitpod-sdk==0.11.0 pytest
#
# Idempotent: re-running reuses the venv; pip skips requirements already satisfied.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 VENV_DIR REQUIREMENT..." >&2
    exit 2
fi

venv_dir=$1
shift

python=${PYTHON:-python3}

if [ ! -x "$venv_dir/bin/python" ]; then
    "$python" -m venv "$venv_dir"
fi

"$venv_dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
