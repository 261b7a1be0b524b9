#!/bin/bash
# Install Debian's inn2 (INN 2.7 on Debian 12) for the newswatch tests, without
# leaving a system innd running and without leaving dpkg half-configured.
#
# Why this is more than "apt-get install inn2":
#  * inn2's postinst runs innconfval, which fails ("hostname does not resolve
#    or domain not set in inn.conf" / "the FQDN of the server contains invalid
#    characters") when the host name has no domain part (containers and VMs
#    called "vm", "runsc"...).  The package then stays half-configured ("iF")
#    and EVERY later "apt-get install" exits non-zero while retrying it.
#    We then set "domain:" in /etc/news/inn.conf (the only change made to the
#    system's INN configuration; the test instance never reads /etc/news) and
#    rerun "dpkg --configure inn2".
#  * the postinst starts the system innd on port 119 with invoke-rc.d when
#    allowed.  Unless a policy-rc.d already exists, we install a temporary one
#    that denies it (and remove it afterwards).
#
# Needs root.  Quiet on success; idempotent.  INN_DOMAIN overrides the domain.
set -euo pipefail
me=${0##*/}
die() { echo "$me: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get/dpkg)"
domain=${INN_DOMAIN:-localdomain}

status() { dpkg-query -W -f='${db:Status-Abbrev}' inn2 2>/dev/null | tr -d ' ' || true; }
[ "$(status)" = ii ] && [ -x /usr/lib/news/bin/innd ] && exit 0

policy=/usr/sbin/policy-rc.d
tmp_policy=
cleanup() { [ -n "$tmp_policy" ] && rm -f "$policy"; true; }
trap cleanup EXIT
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from %s\nexit 101\n' "$me" > "$policy"
    chmod 755 "$policy"
    tmp_policy=1
fi

log=$(mktemp)
trap 'cleanup; rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q inn2 >"$log" 2>&1; then
    if [ ! -x /usr/lib/news/bin/innd ]; then
        tail -n 30 "$log" >&2
        die "apt-get install inn2 failed"
    fi
fi

if [ "$(status)" != ii ]; then
    conf=/etc/news/inn.conf
    if ! grep -Eq '^[[:space:]]*domain:[[:space:]]*[^[:space:]]' "$conf"; then
        if grep -Eq '^#domain:' "$conf"; then
            sed -i "s/^#domain:.*/domain:                      $domain/" "$conf"
        else
            printf 'domain:                      %s\n' "$domain" >> "$conf"
        fi
    fi
    if ! dpkg --configure inn2 >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "dpkg --configure inn2 failed even with domain: $domain in $conf"
    fi
fi
[ "$(status)" = ii ] || die "inn2 is not installed correctly (dpkg status: $(status))"
