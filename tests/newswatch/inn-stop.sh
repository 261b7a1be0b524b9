#!/bin/bash
# inn-stop.sh DIR [--rm] -- stop the private innd started by inn-setup.sh DIR
# and every process it spawned (nnrpd for reader/POST connections), then
# check that none is left.  --rm also deletes the INN tree under DIR.
#
# Order: "ctlinnd shutdown" (innd flushes history/active and exits), then
# SIGTERM, then SIGKILL if it is still there.  innd was started in a session
# of its own (setsid), so its children are found by session id: the nnrpd
# processes of connections still open would otherwise outlive innd.
# Quiet on success; exit status 1 if a process could not be stopped.
set -uo pipefail
me=${0##*/}

[ $# -ge 1 ] && [ -n "$1" ] || { echo "usage: $me DIR [--rm]" >&2; exit 2; }
DIR=$1
remove=
[ "${2:-}" = --rm ] && remove=1
[ -d "$DIR" ] || { echo "$me: $DIR: no such directory" >&2; exit 1; }
DIR=$(cd -- "$DIR" && pwd -P)

INN_BIN=${INN_BIN:-/usr/lib/news/bin}
export INNCONF=$DIR/etc/inn.conf

pid=
if [ -s "$DIR/env" ]; then
    pid=$(sed -n 's/^INN_PID=//p' "$DIR/env")
fi
if [ -z "$pid" ] && [ -s "$DIR/run/innd.pid" ]; then
    pid=$(cat "$DIR/run/innd.pid")
fi

# Is $1 an innd/nnrpd of this instance?  Yes when INNCONF=<our inn.conf> is
# in its environment, or when it is in the session of the innd we started
# (setsid made innd a session leader; the session id cannot be reused while
# the session has members).  So a recycled pid is never signalled.
ours() {
    local p=$1 sid
    if { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qxF "INNCONF=$INNCONF"; then
        return 0
    fi
    [ -n "$pid" ] || return 1
    sid=$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')
    [ "$sid" = "$pid" ]
}

session_members() {  # live processes of innd's session that belong to this instance
    local p
    for p in $(ps -o pid= -s "$1" 2>/dev/null); do
        running "$p" && ours "$p" && echo "$p"
    done
}

# A process that has exited is gone even while it is a zombie: on this
# machine pid 1 reaps orphans only about once a second.
running() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

wait_gone() {  # wait_gone SECONDS PID...: 0 when all are gone
    local deadline=$((SECONDS + $1)) p alive
    shift
    while :; do
        alive=
        for p in "$@"; do
            if running "$p" && ours "$p"; then alive=1; break; fi
        done
        [ -z "$alive" ] && return 0
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

as_news() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=news --regid=news --init-groups -- "$@"
    else
        "$@"
    fi
}

status=0
if [ -n "$pid" ] && running "$pid" && ours "$pid"; then
    children=$(session_members "$pid" | grep -vx "$pid" || true)
    grace=0
    if [ -S "$DIR/run/control" ] &&
       as_news "$INN_BIN/ctlinnd" -s -t 10 shutdown "newswatch tests done" >/dev/null 2>&1; then
        grace=10   # innd sleeps 1s before exiting
    fi
    if ! wait_gone "$grace" "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        if ! wait_gone 5 "$pid"; then
            echo "$me: innd (pid $pid) ignored SIGTERM, killing it" >&2
            kill -KILL "$pid" 2>/dev/null
            wait_gone 5 "$pid" || { echo "$me: innd (pid $pid) is still running" >&2; status=1; }
        fi
    fi
    # nnrpd processes left (open client connections); they are in innd's
    # session even after innd has exited.
    left="$children $(session_members "$pid")"
    left=$(echo $left | tr ' ' '\n' | sort -u | while read -r p; do
        [ -n "$p" ] && running "$p" && ours "$p" && echo "$p"; done)
    if [ -n "$left" ]; then
        kill -TERM $left 2>/dev/null
        if ! wait_gone 5 $left; then
            kill -KILL $left 2>/dev/null
            wait_gone 5 $left || { echo "$me: processes still running: $left" >&2; status=1; }
        fi
    fi
fi

# Last check: no innd/nnrpd/ctlinnd left that belongs to this instance.
while read -r p c _; do
    if running "$p" && ours "$p"; then
        echo "$me: still running for $DIR: pid $p ($c)" >&2
        status=1
    fi
done < <(ps -e -o pid=,comm=,stat= | awk '($2 == "innd" || $2 == "nnrpd" || $2 == "ctlinnd") && $3 !~ /^Z/')

if [ "$status" = 0 ]; then
    rm -f "$DIR/run/innd.pid"
    if [ -n "$remove" ]; then
        if [ -e "$DIR/.newswatch-inn-setup" ]; then
            rm -rf -- "${DIR:?}/etc" "$DIR/db" "$DIR/spool" "$DIR/run" "$DIR/log" "$DIR/tmp" \
                      "$DIR/http" "$DIR/filter" "$DIR/env" "$DIR/.newswatch-inn-setup"
            rmdir -- "$DIR" 2>/dev/null || true
        else
            echo "$me: $DIR was not made by inn-setup.sh, not removing it" >&2
        fi
    fi
fi
exit $status
