#!/bin/bash
# inn-setup.sh DIR -- set up and start a private, throwaway INN (innd) for the
# newswatch tests, entirely under DIR, listening on 127.0.0.1 only.
#
# Nothing under /etc/news, /var/lib/news, /var/spool/news or /run/news is read
# or written: every INN program finds its inn.conf through the INNCONF
# environment variable (see inn.conf(5)), and that inn.conf points every path
# (pathetc, pathdb, pathrun, pathlog, pathspool, ...) under DIR.  Only the
# binaries come from the package (pathnews=/usr/lib/news).
#
# Layout:
#   DIR/etc/      inn.conf newsfeeds incoming.conf readers.conf storage.conf ...
#   DIR/db/       active newsgroups history* active.times
#   DIR/spool/articles/<group/with/slashes>/<number>    (tradspool)
#   DIR/spool/{overview,incoming,outgoing,archive,innfeed}
#   DIR/run/      innd.pid, control and nntpin sockets (ctlinnd, nnrpd)
#   DIR/log/      innd.out: innd's stdout and stderr (innd -d), i.e. its
#                 article log ("+ localhost <msgid> size" per accepted
#                 article) and its warnings and fatal errors; setup.log
#   DIR/spool/tradspool.map (tradspool's group-number table), and the
#                 overview under DIR/spool/overview (not under articles/)
#   DIR/env       INN_PORT=... INN_SPOOL=... INN_PID=... (also on stdout)
#
# Environment (all optional):
#   INN_GROUPS      groups to create, space or comma separated
#                   (default: local.test local.general local.news.announce
#                    comp.lang.c comp.os.linux.misc fr.comp.os.linux)
#   INN_PORT        TCP port (default: a free one picked on 127.0.0.1)
#   INN_WIREFORMAT  true|false, stored articles in wire format (CRLF, dots
#                   doubled, ending with ".\r\n"); default true = Debian's
#   INN_TIMEOUT     seconds to wait for the NNTP greeting (default 20)
#   INN_FLUSH       innd -t: seconds of inactivity before innd flushes and
#                   checks for signals (default 1; innd's own default, 300,
#                   makes SIGTERM take up to 5 minutes on an idle server)
#   INN_BIN         INN binaries (default /usr/lib/news/bin)
#
# innd must run as user and group "news" (it checks): when started as root,
# it is started through setpriv; as the news user, directly.
set -euo pipefail
me=${0##*/}
die() { echo "$me: error: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $me DIR" >&2; exit 2; }
mkdir -p -- "$1"
DIR=$(cd -- "$1" && pwd -P)
# DIR must be new, empty, or an earlier inn-setup.sh DIR (marker file): the
# INN subdirectories (etc, db, spool...) of DIR are deleted and rebuilt.
marker=.newswatch-inn-setup
[ "$DIR" != / ] || die "DIR must not be /"
case $DIR in
*[[:space:]\"\\#]*) die "DIR must not contain blanks, quotes, backslashes or '#' (inn.conf cannot hold them): $DIR" ;;
esac
if [ ! -e "$DIR/$marker" ] && [ -n "$(ls -A -- "$DIR")" ]; then
    die "$DIR is not empty and was not made by $me; give a new or empty directory"
fi

INN_BIN=${INN_BIN:-/usr/lib/news/bin}
INN_NEWS=$(dirname "$INN_BIN")
PY=${PYTHON:-python3}
timeout=${INN_TIMEOUT:-20}
flush=${INN_FLUSH:-1}
wireformat=${INN_WIREFORMAT:-true}
groups=${INN_GROUPS:-local.test local.general local.news.announce comp.lang.c comp.os.linux.misc fr.comp.os.linux}
groups=${groups//,/ }

for b in innd ctlinnd makedbz makehistory nnrpd; do
    [ -x "$INN_BIN/$b" ] || die "$INN_BIN/$b not found: install INN first (tests/newswatch/install-inn2.sh, or apt-get install inn2)"
done
command -v "$PY" >/dev/null || die "$PY not found"
getent passwd news >/dev/null || die "no 'news' user (it comes with the inn2 package)"

if [ -e "$DIR/run/innd.pid" ] && kill -0 "$(cat "$DIR/run/innd.pid" 2>/dev/null)" 2>/dev/null; then
    die "an innd is already running for $DIR (pid $(cat "$DIR/run/innd.pid")); run inn-stop.sh $DIR first"
fi

# Run a command as news:news (innd, makedbz and makehistory must own their files).
uid=$(id -u)
if [ "$uid" = 0 ]; then
    as_news() { setpriv --reuid=news --regid=news --init-groups -- "$@"; }
elif [ "$(id -un)" = news ]; then
    as_news() { "$@"; }
else
    die "must run as root or as the news user (innd refuses to run as anyone but news)"
fi

# Start from a clean INN tree.
rm -rf -- "${DIR:?}/etc" "$DIR/db" "$DIR/spool" "$DIR/run" "$DIR/log" "$DIR/tmp" "$DIR/http" "$DIR/filter" "$DIR/env"
echo "INN test instance made by tests/newswatch/$me; inn-stop.sh DIR --rm deletes it" > "$DIR/$marker"
mkdir -p "$DIR"/{etc,db,run,log,http,filter,tmp} \
         "$DIR"/spool/{articles,overview,incoming/bad,incoming/tmp,outgoing,archive,innfeed}
# innd (user news) must be able to reach DIR; mktemp -d makes it 0700.
chmod 755 "$DIR"
chmod 770 "$DIR/run"
if ! as_news test -x "$DIR/etc"; then
    d=$DIR
    while [ "$d" != / ]; do
        as_news test -x "$d" || bad=$d
        d=$(dirname "$d")
    done
    die "user news cannot reach $DIR (${bad:+$bad is not searchable by news; }chmod o+x it or use another DIR)"
fi

free_port() {
    "$PY" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

write_conf() {
    local port=$1
    cat > "$DIR/etc/inn.conf" <<EOF
# Private inn.conf written by $me for the newswatch tests.
# Read by every INN program through INNCONF=$DIR/etc/inn.conf.
organization:       "newswatch test harness"
# A domain is required: innd and nnrpd refuse to start, and Message-IDs
# cannot be generated, when the host name has no domain part.
domain:             newswatch.test
pathhost:           inn.newswatch.test
fromhost:           newswatch.test
server:             127.0.0.1
mta:                "/bin/true %s"
mailcmd:            /bin/true

# Listen on 127.0.0.1 only, on a free unprivileged port (no innbind needed).
port:               $port
bindaddress:        127.0.0.1
nnrpdpostport:      $port
runasuser:          news
runasgroup:         news

hismethod:          hisv6
ovmethod:           tradindexed
enableoverview:     true
useoverchan:        false
wireformat:         $wireformat
storeonxref:        true
# Accept whatever Date the tests put in (innd's default artcutoff is 10 days).
artcutoff:          0
maxartsize:         1000000
localmaxartsize:    1000000
maxconnections:     50
docancels:          "require-auth"
remembertrash:      true
verifygroups:       false
wanttrash:          false
wipcheck:           5
wipexpire:          10
# The harness runs innd without innwatch, control feed or cron jobs.
doinnwatch:         false
pgpverify:          false
logipaddr:          true
logartsize:         true
logsitename:        true
logstatus:          false
logtrash:           true
status:             0
timer:              0
htmlstatus:         false
noreader:           false
readerswhenstopped: false
allownewnews:       true
addinjectiondate:   true
addinjectionpostinghost: true
nnrpdcheckart:      true
nnrpdloadlimit:     0
checkincludedtext:  false
spoolfirst:         false
articlemmap:        true
tradindexedmmap:    true
keywords:           false
nicekids:           0
nicennrpd:          0
initialtimeout:     10
clienttimeout:      1800
peertimeout:        3600
chaninacttime:      600

# Paths: everything under $DIR except the binaries.
pathnews:           $INN_NEWS
pathbin:            $INN_BIN
pathcontrol:        $INN_BIN/control
pathfilter:         $DIR/filter
pathetc:            $DIR/etc
pathdb:             $DIR/db
pathrun:            $DIR/run
pathlog:            $DIR/log
pathhttp:           $DIR/http
pathspool:          $DIR/spool
patharticles:       $DIR/spool/articles
pathoverview:       $DIR/spool/overview
pathincoming:       $DIR/spool/incoming
pathtmp:            $DIR/tmp
pathoutgoing:       $DIR/spool/outgoing
patharchive:        $DIR/spool/archive
EOF
}

write_conf 0   # port filled in just before starting innd

cat > "$DIR/etc/storage.conf" <<'EOF'
# Every group in the traditional spool: one file per article, named by its
# article number, under articles/<group with dots turned into slashes>/.
method tradspool {
    newsgroups: *
    class: 0
}
EOF

cat > "$DIR/etc/newsfeeds" <<'EOF'
# No outgoing feeds, no controlchan, no overchan: innd stores and indexes.
ME:*::
EOF

cat > "$DIR/etc/incoming.conf" <<'EOF'
# 127.0.0.1 is a peer: it may feed with IHAVE/CHECK/TAKETHIS directly to
# innd.  Readers (and POST) go through "MODE READER", which makes innd hand the
# connection to nnrpd; hosts not listed here are handed to nnrpd at once.
streaming:          true
max-connections:    0
peer ME {
    hostname:       "localhost, 127.0.0.1"
}
EOF

cat > "$DIR/etc/readers.conf" <<'EOF'
# Read and post everything from the loopback, no authentication.
auth "loopback" {
    hosts:          "localhost, 127.0.0.1, ::1, stdin"
    default:        "<tester>"
}
access "loopback" {
    users:          "<tester>"
    newsgroups:     "*"
    access:         RP
    addcanlockuser: none
}
EOF

cat > "$DIR/etc/inn-secrets.conf" <<'EOF'
cancels {
    canlockuser:  [ ]
    canlockadmin: [ ]
}
EOF

cat > "$DIR/etc/expire.ctl" <<'EOF'
/remember/:11
*:A:never:never:never
EOF

: > "$DIR/etc/moderators"
: > "$DIR/etc/distrib.pats"
: > "$DIR/etc/localgroups"
cat > "$DIR/etc/motd.nnrpd" <<'EOF'
newswatch test server
EOF

# active: "<group> <high> <low> <flag>"; newsgroups: "<group>\t<description>".
{
    for g in control control.cancel control.checkgroups control.newgroup control.rmgroup junk; do
        printf '%s 0000000000 0000000001 n\n' "$g"
    done
    for g in $groups; do
        [[ $g =~ ^[a-z0-9+_-]+(\.[a-z0-9+_-]+)*$ ]] || die "bad group name: $g"
        printf '%s 0000000000 0000000001 y\n' "$g"
    done
} | sort -u > "$DIR/db/active"
{
    printf 'control\tVarious control messages (no posting).\n'
    printf 'control.cancel\tCancel messages (no posting).\n'
    printf 'junk\tUnfiled articles (no posting).\n'
    for g in $groups; do printf '%s\tnewswatch test group %s.\n' "$g" "$g"; done
} > "$DIR/db/newsgroups"
: > "$DIR/db/active.times"

chown -R news:news "$DIR/etc" "$DIR/db" "$DIR/spool" "$DIR/run" "$DIR/log" "$DIR/http" "$DIR/filter" "$DIR/tmp"
chmod 640 "$DIR/etc/incoming.conf" "$DIR/etc/inn-secrets.conf"

export INNCONF=$DIR/etc/inn.conf
# Leave syslog-less INN programs' stderr in the logs too.
: > "$DIR/log/setup.log"
chown news:news "$DIR/log/setup.log"

run_logged() {  # run a step as news, its output in setup.log, fail loudly
    if ! as_news "$@" >>"$DIR/log/setup.log" 2>&1; then
        tail -n 20 "$DIR/log/setup.log" >&2
        die "failed: $*"
    fi
}

# History database: an empty history text file, then its dbz index.
(cd "$DIR/db" && run_logged touch history)
(cd "$DIR/db" && run_logged "$INN_BIN/makedbz" -i -o -s 10000)
[ -e "$DIR/db/history.dir" ] || die "makedbz did not create $DIR/db/history.dir"

# innd -d: no fork, and stdout (article log) and stderr (warnings, fatal
# errors) stay on the file we give instead of pathlog/news and errlog.  With
# no syslog daemon here (no /dev/log), innd's and nnrpd's syslog notices are
# lost; the NNTP answers carry nnrpd's reasons for refusing a post.
log_tail() {
    echo "---- tail of $DIR/log/innd.out ----" >&2
    tail -n 40 "$DIR/log/innd.out" >&2 2>/dev/null || true
    for f in errlog news news.err news.crit setup.log; do
        if [ -s "$DIR/log/$f" ]; then
            echo "---- tail of $DIR/log/$f ----" >&2
            tail -n 20 "$DIR/log/$f" >&2
        fi
    done
}

nntp_greeting() {  # print the first line the server sends, or nothing
    "$PY" - "$1" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    f = s.makefile("rb")
    line = f.readline().decode("ascii", "replace").strip()
    s.sendall(b"QUIT\r\n")
    s.close()
    print(line)
except OSError:
    pass
EOF
}

start_innd() {  # start innd on $1; 0 when it answers 200/201, 1 otherwise
    local port=$1 pid="" t0 greet
    write_conf "$port"
    chown news:news "$DIR/etc/inn.conf"
    rm -f "$DIR/run/innd.pid"
    : > "$DIR/log/innd.out"; chown news:news "$DIR/log/innd.out"
    # setsid: own session, so the caller's terminal signals do not reach it.
    if [ "$uid" = 0 ]; then
        setsid setpriv --reuid=news --regid=news --init-groups -- \
            "$INN_BIN/innd" -d -u -t "$flush" >>"$DIR/log/innd.out" 2>&1 </dev/null &
    else
        setsid "$INN_BIN/innd" -d -u -t "$flush" >>"$DIR/log/innd.out" 2>&1 </dev/null &
    fi
    pid=$!
    t0=$SECONDS
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        greet=$(nntp_greeting "$port")
        case $greet in
        20[01]*InterNetNews*) INN_PID=$pid; return 0 ;;
        esac
        if [ $((SECONDS - t0)) -ge "$timeout" ]; then
            echo "$me: innd (pid $pid) did not greet on 127.0.0.1:$port within ${timeout}s (last answer: '${greet}')" >&2
            kill -TERM "$pid" 2>/dev/null || true
            sleep 1; kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 2
        fi
        sleep 0.1
    done
}

INN_PID=
if [ -n "${INN_PORT:-}" ]; then
    tries=1
else
    tries=3   # a free port can be taken between the probe and innd's bind
fi
ok=
for ((i = 1; i <= tries; i++)); do
    port=${INN_PORT:-$(free_port)}
    if start_innd "$port"; then ok=1; break; else rc=$?; fi
    [ "$rc" = 2 ] && break
    grep -qi 'address already in use\|cant bind\|can.t bind' "$DIR/log/innd.out" || break
done
if [ -z "$ok" ]; then
    log_tail
    die "innd did not start (INNCONF=$INNCONF)"
fi

# The pid file innd writes should agree with the process we started.
for _ in $(seq 50); do [ -s "$DIR/run/innd.pid" ] && break; sleep 0.1; done
if [ -s "$DIR/run/innd.pid" ] && [ "$(cat "$DIR/run/innd.pid")" != "$INN_PID" ]; then
    echo "$me: warning: $DIR/run/innd.pid says $(cat "$DIR/run/innd.pid"), started pid $INN_PID" >&2
fi

# Shell assignments (values quoted for the shell): eval or source them.
printf 'INN_DIR=%q\nINN_PORT=%s\nINN_SPOOL=%q\nINN_PID=%s\nINNCONF=%q\nINN_LOG=%q\n' \
    "$DIR" "$port" "$DIR/spool/articles" "$INN_PID" "$INNCONF" "$DIR/log/innd.out" > "$DIR/env"
cat "$DIR/env"
