#!/usr/bin/env bash
# One package of moby's API integration suite, in the namespaces MobySuite::run made:
# the first daemon, the frozen images, then the tests (moby.rs says why each step is so).
set -euo pipefail
ip link set lo up
mount --bind "$DY_ROOT/run" /run
mount --bind "$DY_ROOT/varlib" /var/lib
mkdir -p /run/docker /run/tmp /var/lib/docker
# The test daemons' sockets are under the temporary folder: a short one.
export TMPDIR=/run/tmp
export DOCKER_HOST=unix:///run/docker/integration.sock
# As .integration-daemon-start starts it: its bogus descriptors, the native snapshotter, old
# API versions allowed (the suite tests them), the default firewall backend.
exec 41>&1 42>&2
export DOCKER_GRAPHDRIVER=native DOCKER_USERLANDPROXY=true
DOCKER_MIN_API_VERSION=1.24 dockerd --debug --host "$DOCKER_HOST" \
  --storage-driver "$DOCKER_GRAPHDRIVER" --pidfile /run/docker/integration.pid \
  --userland-proxy="$DOCKER_USERLANDPROXY" --firewall-backend= >"$DY_ROOT/docker.log" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true' EXIT
tries=60
until docker version >/dev/null 2>&1; do
  tries=$((tries - 1))
  if [ "$tries" -le 0 ]; then echo "dockerd did not start: see $DY_ROOT/docker.log" >&2; exit 3; fi
  sleep 1
done
docker load --quiet --input "$DY_FROZEN" >/dev/null
cd "$DY_PACKAGE_DIR"
"$DY_GO" tool test2json -t -p "$DY_PACKAGE" env -i \
  DEST="$DY_ROOT/dest" DOCKER_INTEGRATION_DAEMON_DEST="$DY_ROOT/dest" DOCKER_HOST="$DOCKER_HOST" \
  DOCKER_GRAPHDRIVER="$DOCKER_GRAPHDRIVER" DOCKER_USERLANDPROXY="$DOCKER_USERLANDPROXY" \
  GOTRACEBACK=all HOME="$DY_ROOT/home" PATH="$PATH" TMPDIR="$TMPDIR" \
  TEST_CLIENT_BINARY=docker "$MARKER_NAME=$MARKER_VALUE" \
  "$DY_TEST_BINARY" -test.v=test2json -test.timeout="$DY_TIMEOUT" ${DY_FILTER:+-test.run "$DY_FILTER"} \
  >"$DY_JSON" 2>&1 || true
