#!/usr/bin/env bash
# Installs the Debian packages the harness needs, only those missing; a fast no-op otherwise.
#
#   PostgreSQL server (>= 15) and client  -> postgresql, postgresql-client
#   Maven                                  -> maven
#   RabbitMQ (private nodes; Erlang, epmd) -> rabbitmq-server (Debian 12: 3.10.x)
#   erl_call (reads a node's queue depth)  -> erlang-base (a dependency of rabbitmq-server)
#   Kafka                                  -> nothing here: its jars come from Maven Central (needs
#                                             maven and the JDK below), the Python client from PyPI
#   a JDK >= 21 with javac in /usr/lib/jvm -> checked only (Debian 12 packages stop at 17)
#   Docker engine for `infra: docker`      -> docker.io (dockerd, containerd, runc; never started here:
#                                             scripts/docker-engine.sh starts a private one when needed)
#   images from Debian packages (no hub)   -> mmdebstrap
#   wrk (harness calibrate's capacity reference) -> wrk
#   Go >= 1.22 (builds vegeta)             -> nothing here: Debian 12 has 1.19; bootstrap.sh uses the machine's
#                                             Go or fetches a pinned toolchain from the Go module proxy
#
# It never removes or upgrades anything. Presence is judged by the programs themselves, not by
# package names, so a machine that got them another way (e.g. postgresql-15 without the
# 'postgresql' metapackage) is left alone.
set -euo pipefail

readonly MIN_POSTGRES=15
readonly MIN_JDK=21

missing=()

has_postgres_server() {
    local bindir version
    for bindir in /usr/lib/postgresql/*/bin; do
        version=$(basename "$(dirname "$bindir")")
        if [[ $version =~ ^[0-9]+$ ]] && ((version >= MIN_POSTGRES)) \
            && [[ -x $bindir/initdb && -x $bindir/postgres ]]; then
            return 0
        fi
    done
    return 1
}

# The harness runs /usr/lib/rabbitmq/bin/rabbitmq-server directly and starts its own epmd.
has_rabbitmq() {
    [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server && -x /usr/lib/rabbitmq/bin/rabbitmqctl ]] \
        && command -v epmd >/dev/null 2>&1
}

# Stops and disables the system RabbitMQ node, in case it started anyway or would at boot: the
# harness runs private nodes only, and a system node would hold port 5672 and epmd's 4369.
disable_system_rabbitmq() {
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${sudo[@]}" systemctl disable --now rabbitmq-server.service >/dev/null 2>&1 || true
    else
        "${sudo[@]}" service rabbitmq-server stop >/dev/null 2>&1 || true
        "${sudo[@]}" update-rc.d rabbitmq-server disable >/dev/null 2>&1 || true
    fi
    # Without systemd, the package's start left an epmd daemon behind: end only that one.
    if [[ -n $(pidof epmd 2>/dev/null) ]]; then
        "${sudo[@]}" epmd -kill >/dev/null 2>&1 || true
    fi
}

has_postgres_client() {
    command -v psql >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1
}

# Prints the home of the newest JDK >= MIN_JDK with javac, from each home's 'release' file.
find_build_jdk() {
    local home version feature best="" best_feature=0
    for home in /usr/lib/jvm/*/; do
        home=${home%/}
        [[ -x $home/bin/javac && -f $home/release ]] || continue
        version=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release")
        feature=${version%%[.+-]*}
        [[ $feature =~ ^[0-9]+$ ]] || continue
        if ((feature >= MIN_JDK && feature > best_feature)); then
            best=$home
            best_feature=$feature
        fi
    done
    [[ -n $best ]] && echo "$best"
}

has_postgres_server || missing+=(postgresql)
has_postgres_client || missing+=(postgresql-client)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
has_rabbitmq || missing+=(rabbitmq-server)
# Normally installed with rabbitmq-server; checked apart so a machine that lost it gets it back.
[[ -x /usr/bin/erl_call ]] || missing+=(erlang-base)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
# The capacity reference of `harness calibrate` (and scripts/generator_capacity.py).
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if ((${#missing[@]} > 0)); then
    if ((EUID == 0)); then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "error: missing ${missing[*]}; run this script as root (or install sudo)." >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update
    # Note: the 'postgresql' package may create a 'main' cluster on port 5432 (not started, see
    # below); the harness never uses it (it runs private servers on free loopback ports).
    # Services must not start from the packages' postinst scripts: invoke-rc.d and
    # deb-systemd-invoke ask /usr/sbin/policy-rc.d first, and exit code 101 means "refused"
    # (install still succeeds). Containers usually have one already; otherwise one is put in
    # place for the install only. (RUNLEVEL=1 does not help: Debian 12's invoke-rc.d asks
    # /sbin/runlevel, not the environment.)
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\n# temporary, from install-system-deps.sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        trap '"${sudo[@]}" rm -f "$policy"' EXIT
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
        disable_system_rabbitmq
    fi
fi

if ! jdk=$(find_build_jdk); then
    cat >&2 <<EOF
error: no JDK >= ${MIN_JDK} with javac under /usr/lib/jvm (Debian 12 packages only JDK 17).
Install one, for example Eclipse Temurin 25 from Adoptium's apt repository
(https://adoptium.net/installation/linux/: add packages.adoptium.net, then
apt-get install temurin-25-jdk), or unpack a JDK tarball into /usr/lib/jvm/.
EOF
    exit 1
fi

echo "ok: PostgreSQL server, client, Maven, RabbitMQ, dockerd, mmdebstrap, wrk and a build JDK ($jdk) are present."
