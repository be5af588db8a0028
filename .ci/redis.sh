#!/usr/bin/env bash
# Install Debian's redis-server when missing (the live tests start their own on a free port).
# Prints the path of redis-server. Safe to run twice.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "redis-server is missing: apt-get install redis-server" >&2
    exit 1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
fi
command -v redis-server
