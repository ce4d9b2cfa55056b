# Sourced by run.sh and test.sh: installs what the project needs on a fresh Debian machine
# (apt packages, a venv with the pinned requirements) and starts Redis when none answers.
# Usage: source scripts/setup.sh app|test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PROJECT_DIR=$(pwd)
MODE=${1:-app}
mkdir -p .run

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_install() {
  local runner=()
  [ "$(id -u)" -eq 0 ] || runner=(sudo)
  log "installing system packages: $*"
  "${runner[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || missing+=(fonts-dejavu-core)
# Narration (espeak-ng) and subtitle fonts: WenQuanYi Micro Hei covers Chinese, Japanese and
# Korean in 5 MB (Noto CJK is 90 MB); Noto's UI set covers Arabic and the Indic scripts.
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -f /usr/share/fonts/truetype/noto/NotoSansArabicUI-Regular.ttf ] || missing+=(fonts-noto-ui-core)
if [ "$MODE" = test ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
fi

# The pictures the offline providers draw a prompt's subjects with: an Iconify JSON set and
# emoji keyword lists from the npm registry, pinned by scripts/icons/package-lock.json.
icons_stamp="var/icons/.installed-$(cat scripts/icons/package.json scripts/icons/package-lock.json | sha256sum | cut -c1-16)"
if [ ! -f "$icons_stamp" ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  log "installing the subject pictures into var/icons"
  rm -rf var/icons && mkdir -p var/icons
  cp scripts/icons/package.json scripts/icons/package-lock.json var/icons/
  npm ci --prefix var/icons --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
  touch "$icons_stamp"
fi

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
requirements=requirements.txt
[ "$MODE" = test ] && requirements=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)-$MODE"
if [ ! -f "$stamp" ]; then
  log "installing Python requirements from $requirements"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$requirements"
  touch "$stamp"
fi
export PATH="$PROJECT_DIR/.venv/bin:$PATH"

# Redis: use the one at REDIS_URL if it answers, else start a local one for that port.
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export REDIS_URL
if ! python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$REDIS_URL" 2>/dev/null; then
  port=$(python -c "import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 6379)" "$REDIS_URL")
  log "no Redis answered at $REDIS_URL; starting redis-server on 127.0.0.1:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$PROJECT_DIR/.run" --logfile "$PROJECT_DIR/.run/redis.log" --pidfile "$PROJECT_DIR/.run/redis.pid"
  for _ in $(seq 50); do
    python -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" "$REDIS_URL" 2>/dev/null && break
    sleep 0.1
  done
fi
