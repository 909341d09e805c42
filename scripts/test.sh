#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it.
# Independent readers (PyPI iphone-backup-decrypt, pyiosbackup, osxphotos) cross-check the fixture
# builder's backups and the photo metadata; they live in a private virtual environment so the
# machine's Python stays untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt
export UNBACK_PYTHON="$PWD/$venv/bin/python"
cargo test --locked "$@"
# The vendored heic-rs's own tests hold its patches against the code they replaced
# (vendor/heic-rs/UNBACK-PATCHES.md); the root's `cargo test` does not run another package's.
if [ "$#" -eq 0 ]; then
    cargo test --locked -p heic-rs --lib
fi
