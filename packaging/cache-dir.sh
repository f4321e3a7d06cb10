#!/bin/sh
# cache-dir.sh - prints the directory where built static dependencies and
# downloaded sources are kept across clones: $AG_CACHE_DIR, else
# /var/cache/attestgate when writable (root), else $XDG_CACHE_HOME/attestgate.
set -eu
if [ -n "${AG_CACHE_DIR:-}" ]; then d=$AG_CACHE_DIR
elif mkdir -p /var/cache/attestgate 2>/dev/null && [ -w /var/cache/attestgate ]; then d=/var/cache/attestgate
else d=${XDG_CACHE_HOME:-$HOME/.cache}/attestgate
fi
mkdir -p "$d"
echo "$d"
