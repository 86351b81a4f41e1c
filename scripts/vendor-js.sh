#!/usr/bin/env bash
# Vendor the console's front-end libraries from the npm registry, one pinned version each.
# Writes printstation/console/static/vendor/{htmx.min.js,sse.js,VERSIONS.toml,*-LICENSE}.
# Usage: bash scripts/vendor-js.sh   (needs npm, sha256sum and tar)
set -euo pipefail

HTMX_VERSION="2.0.11"    # the newest htmx 2.0 release; the SSE extension targets htmx 2
SSE_VERSION="2.2.4"

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/printstation/console/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# pack NAME VERSION: downloads the tarball into $work/NAME and prints its npm integrity
pack() {
    local name="$1" version="$2"
    mkdir -p "$work/$name"
    (cd "$work/$name" && npm pack --silent --json "$name@$version" >pack.json)
    python3 - "$work/$name/pack.json" "$name" "$version" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
entry = entries[0]
if entry["name"] != sys.argv[2] or entry["version"] != sys.argv[3]:
    sys.exit(f"npm packed {entry['name']} {entry['version']}, not {sys.argv[2]} {sys.argv[3]}")
print(entry["integrity"])
PY
    tar xzf "$work/$name/"*.tgz -C "$work/$name"
}

htmx_integrity="$(pack htmx.org "$HTMX_VERSION")"
sse_integrity="$(pack htmx-ext-sse "$SSE_VERSION")"

cp "$work/htmx.org/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$work/htmx-ext-sse/package/dist/sse.min.js" "$out/sse.js"
cp "$work/htmx.org/package/LICENSE" "$out/htmx.org-LICENSE"
cp "$work/htmx-ext-sse/package/LICENSE" "$out/htmx-ext-sse-LICENSE"

sha() { sha256sum "$1" | cut -d' ' -f1; }

cat >"$out/VERSIONS.toml" <<TOML
# Front-end libraries shipped inside the package (no CDN). Written by scripts/vendor-js.sh;
# tests/console/test_vendor.py checks each file against its sha256.

[[package]]
name = "htmx.org"
version = "$HTMX_VERSION"
integrity = "$htmx_integrity"
source = "dist/htmx.min.js"
file = "htmx.min.js"
sha256 = "$(sha "$out/htmx.min.js")"
licence = "htmx.org-LICENSE"
licence_sha256 = "$(sha "$out/htmx.org-LICENSE")"

[[package]]
name = "htmx-ext-sse"
version = "$SSE_VERSION"
integrity = "$sse_integrity"
source = "dist/sse.min.js"
file = "sse.js"
sha256 = "$(sha "$out/sse.js")"
licence = "htmx-ext-sse-LICENSE"
licence_sha256 = "$(sha "$out/htmx-ext-sse-LICENSE")"
TOML

echo "vendored htmx.org $HTMX_VERSION and htmx-ext-sse $SSE_VERSION into $out"
