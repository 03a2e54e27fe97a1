#!/usr/bin/env bash
# Create .venv with the tested stack and prepare the data folder the configs use.
#
# Idempotent: a stamp file records what was installed; when nothing changed a
# second run only checks the imports. The mmcv wheel (built from its source
# distribution with ops, which takes minutes) is cached under pip's cache
# directory, keyed by the mmcv, torch and Python versions.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${DDAS_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
CACHE_ROOT=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}
DATA_DIR=$ROOT/data/fashion-mnist
DEBIAN_FASHION_MNIST=/usr/share/datasets/fashion-mnist
# Compiler flags of the mmcv build (see below); MMCV_CFLAGS=" " builds with
# Python's own flags.
MMCV_CFLAGS=${MMCV_CFLAGS:-"-g0 -O1"}

say() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

stamp_of() {
    cat "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" "$ROOT"/requirements/*.txt | sha256sum | cut -c1-16
}

prepare_data() {
    if [ ! -d "$DEBIAN_FASHION_MNIST" ]; then
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            say "installing the Debian package dataset-fashion-mnist"
            apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || {
                apt-get update -qq >/dev/null 2>&1
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
            }
        else
            say "WARNING: $DEBIAN_FASHION_MNIST is missing and apt-get is not available as root."
            say "         Install the Debian package dataset-fashion-mnist, or put the four"
            say "         un-gzipped Fashion-MNIST idx files into $DATA_DIR yourself."
            return 0
        fi
    fi
    mkdir -p "$DATA_DIR"
    for gz in "$DEBIAN_FASHION_MNIST"/*-ubyte.gz; do
        out=$DATA_DIR/$(basename "${gz%.gz}")
        [ -s "$out" ] || { say "un-gzipping $(basename "$gz") into data/fashion-mnist"; gunzip -c "$gz" > "$out.tmp" && mv "$out.tmp" "$out"; }
    done
}

STAMP=$VENV/.ddas_mm-setup-$(stamp_of)
if [ -f "$STAMP" ] && "$VENV/bin/python" -c 'import mmcv.ops, mmdet, mmpretrain, ddas_mm' 2>/dev/null; then
    say "environment up to date ($VENV)"
    prepare_data
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip --disable-pip-version-check"

# pip install, quiet on success (but for real warnings), whole log on failure.
pip_install() {
    local log
    log=$(mktemp)
    if ! $PIP install -q "$@" >"$log" 2>&1; then
        cat "$log"; rm -f "$log"; return 1
    fi
    # Show pip's warnings, except two that do not matter: torch declares
    # setuptools>=77 (see below), and a machine's pip configuration may name
    # local indexes that do not exist.
    grep "^WARNING\|^ERROR" "$log" | grep -v "^WARNING: Location\|dependency resolver\|requires setuptools" || true
    rm -f "$log"
}

say "installing torch $TORCH_VERSION and torchvision $TORCHVISION_VERSION"
pip_install wheel ninja "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
# setuptools >= 70 has no pkg_resources, which the mmcv build and mmengine's
# `mmdet::` / `mmpretrain::` config look-ups import. torch declares a newer
# setuptools only for building its own extensions, which we do not use.
pin_setuptools() {
    say "pinning setuptools < 70 (pkg_resources)"
    pip_install --no-deps 'setuptools<70'
}
pin_setuptools

PY_TAG=$("$VENV/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
TORCH_TAG=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.replace("+", "_"))')
WHEEL_DIR=$CACHE_ROOT/ddas_mm-wheels/mmcv-$MMCV_VERSION-torch$TORCH_TAG-$PY_TAG
mkdir -p "$WHEEL_DIR"
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    say "building mmcv $MMCV_VERSION with ops from its source distribution"
    say "(about 6 minutes on 2 cores; the wheel is cached in $WHEEL_DIR)"
    BUILD=$(mktemp -d)
    $PIP download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
    # torch >= 2.10 headers need C++20; mmcv 2.1.0 asks for C++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    (
        cd "$BUILD/mmcv-$MMCV_VERSION"
        # Python's own CFLAGS ask for -g -O3. Debug information for every
        # template of torch's headers is most of the compile time, and -O1
        # halves what remains (benchmarks/mmcv_build_flags.py measures both);
        # the ops run only in detection post-processing here. Flags given
        # later win, so the caller's CFLAGS still apply.
        export CFLAGS="$MMCV_CFLAGS ${CFLAGS:-}"
        export MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
        # -v shows ninja's "[done/total]" lines, turned into progress.
        $PIP wheel -v --no-build-isolation --no-deps . -w "$BUILD/wheel" 2>&1 |
            while IFS= read -r line; do
                line=${line#"${line%%[![:space:]]*}"}  # pip indents it
                case "$line" in
                    "["[0-9]*/[0-9]*"]"*)
                        progress=${line%%]*}; progress=${progress#[}
                        say "mmcv: compiled ${progress%/*} of ${progress#*/} files";;
                    *" error"*|*"Error"*|*"Successfully"*) say "mmcv: $line";;
                esac
            done
    )
    mv "$BUILD"/wheel/mmcv-*.whl "$WHEEL_DIR"/
    rm -rf "$BUILD"
else
    say "reusing the cached mmcv wheel $(ls "$WHEEL_DIR"/mmcv-*.whl)"
fi

say "installing mmcv, mmengine, mmdet, mmpretrain and ddas_mm (editable)"
pip_install "$WHEEL_DIR"/mmcv-*.whl -c "$ROOT/requirements/tested.txt"
pip_install --no-build-isolation -e "$ROOT[tests]" -c "$ROOT/requirements/tested.txt"
pin_setuptools  # in case a dependency above pulled a newer one
"$VENV/bin/python" -c 'import mmcv.ops, mmdet, mmpretrain, ddas_mm' || { say "ERROR: the installed stack does not import"; exit 1; }

rm -f "$VENV"/.ddas_mm-setup-*
touch "$STAMP"
prepare_data
say "done: $("$VENV/bin/python" -c 'import torch, mmcv, mmdet, mmpretrain, mmengine; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmengine", mmengine.__version__, "mmdet", mmdet.__version__, "mmpretrain", mmpretrain.__version__)')"
