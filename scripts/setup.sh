#!/usr/bin/env bash
# Set up a print station on this Debian machine (as root) and run it.
#
#   scripts/setup.sh demo [demo options]   install, start services, run the demo
#   scripts/setup.sh test [pytest options] install, start services, run the tests
#
# Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pcscd vsmartcard-vpcd libpcsclite-dev swig libusb-1.0-0 fonts-dejavu-core
  python3 python3-venv python3-dev gcc make pkg-config tzdata iproute2 procps
)
# chromium: Debian's, at /usr/bin/chromium, drives the console's browser tests through
# Playwright (which downloads no browser of its own).
TEST_APT_PACKAGES=(postgresql openssl opensc poppler-utils chromium)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
VENV=.venv
READER_CONF=/etc/reader.conf.d/printstation-vpcd

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "run as root: system packages and the smart-card service are set up here" >&2
    exit 1
  fi
}

install_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

# Eight virtual readers (two per entry) so up to eight simulated printers each have one.
# vpcd keeps its sockets in the library's static memory indexed by slot, so entries that
# share one library file overwrite each other and only the last one answers: each extra
# entry gets its own copy of the library.
VPCD_LIB=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
configure_readers() {
  local wanted="# printstation: extra virtual readers for simulated printers (two per entry)."
  wanted+=$'\n# Debian\'s vpcd entry gives "Virtual PCD 00 00/01" on ports 35963/35964.'
  local letter channel
  for entry in "B 0x8C7D" "C 0x8C7F" "D 0x8C81"; do
    read -r letter channel <<<"$entry"
    if ! cmp -s "$VPCD_LIB" "${VPCD_LIB%.so}-$letter.so"; then
      cp "$VPCD_LIB" "${VPCD_LIB%.so}-$letter.so"
    fi
    wanted+=$'\n\n'"FRIENDLYNAME \"Virtual PCD $letter\""
    wanted+=$'\n'"DEVICENAME   /dev/null:$channel"
    wanted+=$'\n'"LIBPATH      ${VPCD_LIB%.so}-$letter.so"
    wanted+=$'\n'"CHANNELID    $channel"
  done
  if [ ! -f "$READER_CONF" ] || [ "$(cat "$READER_CONF")" != "$wanted" ]; then
    say "configuring virtual readers in $READER_CONF"
    printf '%s\n' "$wanted" > "$READER_CONF"
    pkill -x pcscd 2>/dev/null || true
    sleep 1
  fi
}

start_pcscd() {
  if ! pgrep -x pcscd >/dev/null; then
    say "starting pcscd"
    pcscd
  fi
  for _ in $(seq 1 50); do
    if ss -ltn 2>/dev/null | grep -q ':35970 '; then return 0; fi
    sleep 0.2
  done
  echo "pcscd did not open the virtual reader ports (35963-35970)" >&2
  exit 1
}

make_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment $VENV"
    python3 -m venv "$VENV"
  fi
  # setuptools.command.bdist_wheel (setuptools >= 70.1): the wheel test builds the
  # package's wheel offline, without build isolation.
  if ! "$VENV/bin/python" -c "import printstation, smartcard, usb, pytest" 2>/dev/null \
     || ! "$VENV/bin/python" -c "import setuptools.command.bdist_wheel" 2>/dev/null \
     || [ pyproject.toml -nt "$VENV/.installed" ]; then
    say "installing printstation and its libraries"
    "$VENV/bin/pip" install -q --upgrade pip "setuptools>=70.1"
    "$VENV/bin/pip" install -q -e ".[dev]"
    touch "$VENV/.installed"
  fi
}

start_postgres() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "PostgreSQL is installed but has no cluster in /etc/postgresql" >&2
    exit 1
  fi
  if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    say "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start
  fi
  for _ in $(seq 1 50); do
    if pg_isready -q -h 127.0.0.1; then break; fi
    sleep 0.2
  done
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='printstation'\"" \
    | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE printstation LOGIN CREATEDB PASSWORD 'printstation'\""
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='printstation_test'\"" \
    | grep -q 1 \
    || su postgres -c "createdb -O printstation printstation_test"
  # The test database only: a commit does not wait for its WAL to reach the disk (a crash
  # of this machine may lose the tests' last commits, never corrupt them).
  su postgres -c "psql -qc \"ALTER DATABASE printstation_test SET synchronous_commit = off\""
  export PRINTSTATION_TEST_PG_URL="postgresql://printstation:printstation@127.0.0.1:5432/printstation_test"
}

main() {
  local what=${1:-}
  shift || true
  case "$what" in
    demo)
      need_root
      install_packages "${APT_PACKAGES[@]}"
      configure_readers
      start_pcscd
      make_venv
      say "running the demo"
      exec "$VENV/bin/printstation" demo "$@"
      ;;
    test)
      need_root
      install_packages "${APT_PACKAGES[@]}" "${TEST_APT_PACKAGES[@]}"
      configure_readers
      start_pcscd
      make_venv
      start_postgres
      say "running the tests"
      "$VENV/bin/ruff" check printstation tests
      "$VENV/bin/ruff" format --check printstation tests
      "$VENV/bin/mypy" printstation
      "$VENV/bin/lint-imports"
      exec "$VENV/bin/pytest" -q --durations=15 "$@"
      ;;
    *)
      echo "usage: $0 demo|test [options]" >&2
      exit 2
      ;;
  esac
}

main "$@"
