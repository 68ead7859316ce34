#!/usr/bin/env bash
# Idempotent set-up on Debian 12: missing system packages (apt-get), a .venv at the
# repository root, and the project installed into it. A second run only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# What the kiosk needs from the system: zbar for pyzbar, PulseAudio client for
# QtMultimedia, the X/EGL/xkb libraries Qt loads even offscreen, poppler for
# pdftotext/pdftoppm in tests, CUPS + cups-pdf for the real print tests.
# QtMultimedia's FFmpeg backend dlopen()s libva, libva-drm and libva-x11 (hardware video
# decoding; `strings` on PySide6's libavutil/libavcodec lists them) and PipeWire (screen
# capture); without them it logs a warning at every first video. The VA driver for the
# kiosk's GPU (intel-media-va-driver, mesa-va-drivers) is a deployment choice:
# docs/deployment.md. libcuda/libnvcuvid (NVIDIA) are not in Debian main and not needed.
APT_PACKAGES=(
  libva2 libva-drm2 libva-x11-2 libdrm2 libpipewire-0.3-0
  libzbar0 libpulse0 libegl1 libgl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0
  libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libxcb-xkb1
  fonts-noto-core poppler-utils cups cups-client cups-bsd printer-driver-cups-pdf cups-ipp-utils
  # the tests open the ticket's follow page in a real browser: Debian's Chromium and its driver, so Selenium
  # drives them by path and never downloads a browser (tests/e2e/test_follow_page.py)
  chromium chromium-driver
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last successful install.
stamp=".venv/.kiosk-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the kiosk and its Python dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" > "$stamp"
fi
