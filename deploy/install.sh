#!/usr/bin/env bash
# deploy/install.sh: builds and installs aiwire as a systemd service (binary, unit, default
# config; systemd creates the state folder /var/lib/aiwire on first start, owned by the
# unit's dynamic user). Idempotent: re-running upgrades the binary and the unit and never
# overwrites an edited config (the shipped one lands beside it as aiwire.toml.dist).
#
#   sudo deploy/install.sh                         # build (release) and install under /usr/local
#   sudo BIN=path/to/aiwire deploy/install.sh      # install a binary built elsewhere
#   DESTDIR=/tmp/pkg BIN=... deploy/install.sh     # stage into a folder (no systemctl calls)
#
# Environment: PREFIX (/usr/local), DESTDIR (empty), BIN (build one), UNIT_DIR
# (/etc/systemd/system), CONFIG_DIR (/etc/aiwire), NO_START=1 to install without starting.
# Uninstall: see deploy/README.md.
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
UNIT_DIR=${UNIT_DIR:-/etc/systemd/system}
CONFIG_DIR=${CONFIG_DIR:-/etc/aiwire}
BIN=${BIN:-}
NO_START=${NO_START:-}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ -z "$BIN" ]; then
    (cd "$repo" && cargo build --release --locked)
    BIN="$repo/target/release/aiwire"
fi
[ -x "$BIN" ] || { echo "install.sh: $BIN is not an executable" >&2; exit 1; }

bin_path="$PREFIX/bin/aiwire"
install -D -m 0755 "$BIN" "$DESTDIR$bin_path"

unit_tmp=$(mktemp)
trap 'rm -f "$unit_tmp"' EXIT
sed -e "s|/usr/local/bin/aiwire|$bin_path|" -e "s|/etc/aiwire/aiwire.toml|$CONFIG_DIR/aiwire.toml|" \
    "$repo/deploy/aiwire.service" >"$unit_tmp"
install -D -m 0644 "$unit_tmp" "$DESTDIR$UNIT_DIR/aiwire.service"

# The config is read by the unit's dynamic user: world-readable, so keep secrets out of it
# (use LoadCredential=, see the unit).
install -d -m 0755 "$DESTDIR$CONFIG_DIR"
if [ -e "$DESTDIR$CONFIG_DIR/aiwire.toml" ]; then
    install -m 0644 "$repo/config/aiwire.toml" "$DESTDIR$CONFIG_DIR/aiwire.toml.dist"
    echo "kept $DESTDIR$CONFIG_DIR/aiwire.toml; the shipped default is aiwire.toml.dist"
else
    install -m 0644 "$repo/config/aiwire.toml" "$DESTDIR$CONFIG_DIR/aiwire.toml"
    echo "installed $DESTDIR$CONFIG_DIR/aiwire.toml: edit [[digest]] to and [mail], then restart"
fi

if [ -n "$DESTDIR" ] || [ ! -d /run/systemd/system ]; then
    echo "staged (no running systemd here): enable with 'systemctl daemon-reload && systemctl enable --now aiwire'"
    exit 0
fi

systemctl daemon-reload
if [ -n "$NO_START" ]; then
    systemctl enable aiwire.service
elif systemctl is-active --quiet aiwire.service; then
    systemctl restart aiwire.service
else
    systemctl enable --now aiwire.service
fi
systemctl --no-pager status aiwire.service || true
