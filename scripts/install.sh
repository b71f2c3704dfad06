#!/usr/bin/env bash
# Install LabelLoop and everything it needs on Debian or Ubuntu, into ./.venv.
#   bash scripts/install.sh         the app
#   bash scripts/install.sh --dev   the app and the test tools
# System packages (Qt's libraries, fonts, Xvfb for tests) come from apt-get, run only when
# something is missing. Python packages come from PyPI into a virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# Qt needs these even offscreen (ENVIRONMENT.md); the xcb ones draw a real window.
packages=(libglib2.0-0 libgl1 libegl1 libfontconfig1 fonts-dejavu-core libxkbcommon0
  libdbus-1-3 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1)
[ "$dev" = 1 ] && packages+=(xvfb xauth)
command -v "$python" >/dev/null || packages+=(python3 python3-venv python3-pip)
"$python" -c "import ensurepip, venv" 2>/dev/null || packages+=(python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "LabelLoop needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip

# Without an NVIDIA GPU, take the CPU build of torch that these machines keep on disk
# (an unpinned torch pulls a multi-gigabyte CUDA build). With a GPU, let pip choose.
constraints=()
command -v nvidia-smi >/dev/null 2>&1 || constraints=(-c packaging/constraints-cpu.txt)
target="."
[ "$dev" = 1 ] && target=".[dev]"
.venv/bin/python -m pip install -q "${constraints[@]}" -e "$target"
echo "LabelLoop is installed: .venv/bin/labelloop"
