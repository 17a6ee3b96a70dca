#!/usr/bin/env bash
# A Docker engine for `infra: docker` and its tests, on a machine that may have none.
#
#   scripts/docker-engine.sh start   # uses an engine that answers; else starts a private one
#   scripts/docker-engine.sh stop    # stops the private engine, only if this script started it
#   scripts/docker-engine.sh status  # which engine answers, if any
#
# The private engine never meets a system one: its own socket, pid file, exec root and data root
# (below). It runs as `dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none`,
# which works inside a container or VM without overlayfs or netfilter; containers then use host
# networking, so every service binds 127.0.0.1 itself. The harness finds this engine's socket on
# its own (harness/infra/docker_engine.py) when DOCKER_HOST is unset and no default engine answers.
# Its data root is kept between runs: images built once (scripts/docker-images.sh) are reused.
set -euo pipefail

readonly PRIVATE_DIR=/run/loom-bench-docker
readonly SOCKET=$PRIVATE_DIR/docker.sock
readonly PIDFILE=$PRIVATE_DIR/dockerd.pid
readonly EXEC_ROOT=$PRIVATE_DIR/exec
readonly DATA_ROOT=/var/lib/loom-bench-docker
readonly LOG=/var/log/loom-bench-dockerd.log
readonly START_TIMEOUT_S=60

answers() {  # answers [HOST]: true when an engine replies on HOST (default: DOCKER_HOST or the CLI's default)
    if [[ -n ${1:-} ]]; then
        DOCKER_HOST=$1 timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    else
        timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    fi
}

private_pid() {  # the private dockerd's pid, if it runs
    [[ -f $PIDFILE ]] || return 1
    local pid
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

need_root() {
    if ((EUID != 0)); then
        echo "error: starting a private Docker engine needs root (dockerd); run this script as root" >&2
        exit 1
    fi
}

install_engine() {
    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
    need_root
    echo "installing docker.io (dockerd, containerd, runc)"
    # policy-rc.d (exit 101) keeps the package's postinst from starting a system engine.
    local policy=/usr/sbin/policy-rc.d
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, from docker-engine.sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io
}

start() {
    if answers; then
        echo "ok: a Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null)); not starting another"
        return 0
    fi
    if answers "unix://$SOCKET"; then
        echo "ok: the private engine already runs; DOCKER_HOST=unix://$SOCKET"
        return 0
    fi
    install_engine
    need_root
    mkdir -p "$PRIVATE_DIR" "$EXEC_ROOT" "$DATA_ROOT"
    rm -f "$SOCKET" "$PIDFILE"
    local began=$SECONDS
    # setsid: the engine outlives this script (the caller stops it with `stop`), and no terminal's
    # Ctrl-C reaches it mid-run.
    setsid dockerd \
        --host "unix://$SOCKET" --pidfile "$PIDFILE" --exec-root "$EXEC_ROOT" --data-root "$DATA_ROOT" \
        --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
        >>"$LOG" 2>&1 </dev/null &
    local pid=$!
    while ! answers "unix://$SOCKET"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "error: dockerd exited during start-up; last lines of $LOG:" >&2
            tail -n 30 "$LOG" >&2
            exit 1
        fi
        if ((SECONDS - began > START_TIMEOUT_S)); then
            echo "error: dockerd did not answer on $SOCKET within ${START_TIMEOUT_S}s; last lines of $LOG:" >&2
            tail -n 30 "$LOG" >&2
            kill "$pid" 2>/dev/null || true
            exit 1
        fi
        sleep 0.2
    done
    echo "ok: private engine started in $((SECONDS - began))s (pid $pid); DOCKER_HOST=unix://$SOCKET"
}

stop() {
    local pid
    if ! pid=$(private_pid); then
        echo "ok: no private engine runs (an engine this script did not start is left alone)"
        return 0
    fi
    # SIGTERM: dockerd stops its containers and its containerd, then exits.
    kill -TERM "$pid"
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= 300)); then
            echo "warning: dockerd $pid still runs after 30s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$SOCKET" "$PIDFILE"
    echo "ok: private engine (pid $pid) stopped"
}

status() {
    if answers; then
        echo "default engine answers: ${DOCKER_HOST:-the default socket}"
    elif answers "unix://$SOCKET"; then
        echo "private engine answers: DOCKER_HOST=unix://$SOCKET (pid $(private_pid || echo '?'))"
    else
        echo "no engine answers"
        return 1
    fi
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
