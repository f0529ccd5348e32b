#!/usr/bin/env bash
# One attempt at containerd's integration/client tests, in the namespaces ContainerdSuite::run
# made: the loopback registry, then the test binary, whose TestMain starts containerd from PATH
# at its fixed paths under /run and /var/lib (containerd.rs says why each step is so).
set -euo pipefail
ip link set lo up
mount --bind "$DY_ROOT/run" /run
mount --bind "$DY_ROOT/varlib" /var/lib
mkdir -p /run/tmp
export TMPDIR=/run/tmp
"$DY_REGISTRY" serve "$DY_REGISTRY_CONFIG" >"$DY_ROOT/registry.log" 2>&1 &
registry=$!
trap 'kill "$registry" 2>/dev/null; wait "$registry" 2>/dev/null || true' EXIT
tries=100
until (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; do
  tries=$((tries - 1))
  if [ "$tries" -le 0 ]; then echo "the registry did not start: see $DY_ROOT/registry.log" >&2; exit 3; fi
  sleep 0.1
done
cd "$DY_PACKAGE_DIR"
"$DY_GO" tool test2json -t -p "$DY_PACKAGE" env -i \
  GOTRACEBACK=all HOME="$DY_ROOT/home" PATH="$PATH" TMPDIR="$TMPDIR" \
  TEST_RUNTIME=io.containerd.runc.v2 "$MARKER_NAME=$MARKER_VALUE" \
  "$DY_TEST_BINARY" -test.root -test.v=test2json -test.parallel 8 -no-criu \
  -test.timeout="$DY_TIMEOUT" ${DY_FILTER:+-test.run "$DY_FILTER"} ${DY_SKIP:+-test.skip "$DY_SKIP"} \
  >"$DY_JSON" 2>&1 || true
