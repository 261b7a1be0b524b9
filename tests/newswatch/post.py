#!/usr/bin/env python3
"""Post deterministic test articles to an NNTP server (INN on 127.0.0.1).

    post.py --port P --count N [--groups g1,g2,...] [--seed S] [--out posted.jsonl]

Speaks NNTP itself (RFC 3977): greeting, MODE READER (innd hands the
connection to nnrpd), then POST / 340 / article / "." / 240 for each article.

Article i (i = --start, --start + 1, ...) depends only on --seed, i and
--groups, so a run posted in several batches is the same as in one; except
the Date header, which is the current time shifted into a few different time
zones (a stock innd rejects articles older than artcutoff, 10 days, and
nnrpd those dated more than a day in the future).  About a third of the articles have a non-ASCII Subject
and a third a non-ASCII sender, as RFC 2047 encoded words (B and Q, UTF-8,
ISO-8859-1 and ISO-8859-15); some header lines are long and folded; about one
article in five is cross-posted to two groups.

For each accepted article one JSON line goes to --out:
    message_id, newsgroups (list), subject and from (decoded Unicode),
    from_name, from_addr, date (the Date header as sent), date_epoch,
    subject_raw, from_raw (as sent, unfolded), non_ascii_subject,
    non_ascii_from, crosspost, folded (header names that were folded),
    index, sent_at (time.time() before POST) and posted_at (time.time()
    right after the server's 240 answer).
Exit status: 0 when every article got 240, 1 otherwise, 2 on usage errors.
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import json
import random
import socket
import sys
import time

DOMAIN = "newswatch.test"

# (Unicode text, charsets that can encode it)
NON_ASCII_SUBJECTS = [
    ("Café au lait", ("utf-8", "iso-8859-1", "iso-8859-15")),
    ("Grüße aus Köln", ("iso-8859-1", "utf-8", "iso-8859-15")),
    ("Ça marche très bien", ("iso-8859-15", "utf-8", "iso-8859-1")),
    ("€ price: 42 € only", ("iso-8859-15", "utf-8")),
    ("Fête 🎉 with emoji 🚀", ("utf-8",)),
    ("Привет, мир", ("utf-8",)),
    ("日本語のテスト", ("utf-8",)),
    ("Déjà vu – encore une fois", ("utf-8",)),
    ("Œuvre complète de Zoë", ("iso-8859-15", "utf-8")),
    ("Señor Muñoz, año nuevo", ("iso-8859-1", "utf-8")),
]
ASCII_SUBJECTS = [
    "Kernel 6.1 build notes",
    "Re: tradspool layout question",
    "Weekly meeting agenda",
    "How do I free a linked list in C?",
    "Announcing newswatch 0.1",
    "Disk full on the news server",
    "Question about inotify vs fanotify",
    "Lunch on Friday?",
]
NON_ASCII_NAMES = [
    ("Jérôme Dupont", "jerome", ("iso-8859-1", "utf-8", "iso-8859-15")),
    ("Jürgen Groß", "juergen", ("utf-8", "iso-8859-1")),
    ("Françoise Ça-Va", "francoise", ("iso-8859-15", "utf-8")),
    ("Zoë Ørsted", "zoe", ("utf-8", "iso-8859-1")),
    ("李小龙", "li", ("utf-8",)),
    ("Renée 😀 Smile", "renee", ("utf-8",)),
    ("Œdipe Roi", "oedipe", ("iso-8859-15", "utf-8")),
]
ASCII_NAMES = [
    ("Alice Martin", "alice"),
    ("Bob Smith", "bob"),
    ("Carol Jones", "carol"),
    (None, "dave"),          # bare address, no display name
    ("Erin O Brien", "erin"),
]
LONG_WORDS = ("spool article header folding continuation line newsgroup "
              "crosspost tradspool webhook notification delivery latency "
              "kernel probe fanotify checkpoint queue retry").split()
TZ_OFFSETS = [0, 60, 120, -300, 330, -480, 345]   # minutes east of UTC

# RFC 2047 "Q": characters that may stay as they are in a phrase.
Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def q_encode_bytes(data):
    out = []
    for b in data:
        if b == 0x20:
            out.append("_")
        elif b in Q_SAFE:
            out.append(chr(b))
        else:
            out.append("=%02X" % b)
    return "".join(out)


def encoded_words(text, charset, enc, max_len=75):
    """Encode text as one or more RFC 2047 encoded words of at most max_len
    characters each, never splitting a character across words."""
    prefix = "=?%s?%s?" % (charset.upper(), enc)
    words, chunk = [], ""

    def encode(s):
        data = s.encode(charset)
        if enc == "B":
            return base64.b64encode(data).decode("ascii")
        return q_encode_bytes(data)

    for ch in text:
        candidate = chunk + ch
        if chunk and len(prefix) + len(encode(candidate)) + 2 > max_len:
            words.append(prefix + encode(chunk) + "?=")
            chunk = ch
        else:
            chunk = candidate
    if chunk:
        words.append(prefix + encode(chunk) + "?=")
    return words


def fold(name, value, width=76):
    """Fold a header field body at whitespace so that physical lines stay
    under width; unfolding (removing each CRLF) gives back value exactly."""
    line = name + ": "
    lines = []
    tokens = value.split(" ")
    cur = line + tokens[0]
    for tok in tokens[1:]:
        if len(cur) + 1 + len(tok) > width:
            lines.append(cur)
            cur = " " + tok
        else:
            cur += " " + tok
    lines.append(cur)
    return lines


class Article:
    pass


def make_article(rng, index, seed, groups, now):
    a = Article()
    a.index = index
    digest = hashlib.sha1(("%d:%d" % (seed, index)).encode()).hexdigest()[:10]
    a.message_id = "<nw.%d.%d.%s@%s>" % (seed, index, digest, DOMAIN)

    # Groups: one, or two for about one article in five.
    g1 = groups[index % len(groups)]
    a.crosspost = len(groups) > 1 and index % 5 == 2
    if a.crosspost:
        g2 = groups[(index + 1 + rng.randrange(len(groups) - 1)) % len(groups)]
        if g2 == g1:
            g2 = groups[(index + 1) % len(groups)]
        a.newsgroups = [g1, g2]
    else:
        a.newsgroups = [g1]

    folded = []

    # Subject: about a third non-ASCII (encoded words), some long and folded.
    a.non_ascii_subject = index % 3 == 1
    if a.non_ascii_subject:
        text, charsets = NON_ASCII_SUBJECTS[(index // 3) % len(NON_ASCII_SUBJECTS)]
        charset = charsets[(index // 3 // len(NON_ASCII_SUBJECTS) + index) % len(charsets)]
        enc = "BQ"[(index // 3) % 2]
        style = (index // 3) % 4
        if style == 1:
            # ASCII prefix + encoded text: the space between them is kept.
            subject = "Re: " + text
            raw = "Re: " + " ".join(encoded_words(text, charset, enc))
        elif style == 3:
            # A long subject made of several encoded words, folded.
            subject = "%s, %s, %s (#%d)" % (text, text, text, index)
            raw = " ".join(encoded_words(subject, charset, enc, max_len=40))
        else:
            subject = "%s #%d" % (text, index)
            raw = " ".join(encoded_words(subject, charset, enc))
        a.subject_charset, a.subject_encoding = charset, enc
    else:
        base = ASCII_SUBJECTS[index % len(ASCII_SUBJECTS)]
        if index % 4 == 0:
            extra = " ".join(rng.choice(LONG_WORDS) for _ in range(18))
            subject = "%s #%d: %s" % (base, index, extra)
        else:
            subject = "%s #%d" % (base, index)
        raw = subject
        a.subject_charset = a.subject_encoding = None
    a.subject, a.subject_raw = subject, raw
    subject_lines = fold("Subject", raw)
    if len(subject_lines) > 1:
        folded.append("Subject")

    # From: about a third non-ASCII display names.
    a.non_ascii_from = index % 3 == 2
    if a.non_ascii_from:
        name, local, charsets = NON_ASCII_NAMES[(index // 3) % len(NON_ASCII_NAMES)]
        charset = charsets[(index // 3) % len(charsets)]
        enc = "QB"[(index // 3) % 2]
        addr = "%s@example.org" % local
        raw_from = "%s <%s>" % (" ".join(encoded_words(name, charset, enc)), addr)
        from_name = name
    else:
        name, local = ASCII_NAMES[index % len(ASCII_NAMES)]
        addr = "%s@example.net" % local
        raw_from = "%s <%s>" % (name, addr) if name else addr
        from_name = name or ""
    a.from_name, a.from_addr, a.from_raw = from_name, addr, raw_from
    a.from_ = "%s <%s>" % (from_name, addr) if from_name else addr
    from_lines = fold("From", raw_from)
    if len(from_lines) > 1:
        folded.append("From")

    # Date: now, in one of a few time zones.
    off = TZ_OFFSETS[index % len(TZ_OFFSETS)]
    tz = datetime.timezone(datetime.timedelta(minutes=off))
    dt = datetime.datetime.fromtimestamp(int(now), tz)
    a.date = email.utils.format_datetime(dt)
    a.date_epoch = int(now)

    headers = []
    headers += from_lines
    headers.append("Newsgroups: " + ",".join(a.newsgroups))
    headers += subject_lines
    headers.append("Date: " + a.date)
    headers.append("Message-ID: " + a.message_id)
    headers.append("Organization: newswatch test harness")
    headers.append("MIME-Version: 1.0")
    headers.append("Content-Type: text/plain; charset=UTF-8")
    headers.append("Content-Transfer-Encoding: 8bit")
    if index % 3 == 0:
        kw = ", ".join(rng.choice(LONG_WORDS) for _ in range(25))
        headers += fold("Keywords", kw)
        folded.append("Keywords")
    if index % 7 == 3:
        refs = " ".join("<ref%d.%d@%s>" % (index, k, DOMAIN) for k in range(6))
        headers += fold("References", refs)
        folded.append("References")
    headers.append("User-Agent: newswatch-post.py/1")
    a.folded = folded

    body = [
        "Test article %d (seed %d) for the newswatch harness." % (index, seed),
        "Groups: %s" % ", ".join(a.newsgroups),
        "Non-ASCII body text: café, Grüße, € 5, 🎉.",
        ".A line starting with a dot (dot-stuffed on the wire).",
        "",
    ]
    for k in range(rng.randrange(1, 6)):
        body.append(" ".join(rng.choice(LONG_WORDS) for _ in range(10)))
    body.append("-- ")
    body.append("newswatch")
    a.lines = headers + [""] + body
    return a


class NNTPError(Exception):
    pass


class NNTP:
    """A minimal NNTP client: just what posting needs."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.greeting = self.response()
        if not self.greeting.startswith(("200", "201")):
            raise NNTPError("greeting: " + self.greeting)
        # innd (transit mode for its peers) hands the connection to nnrpd.
        self.send("MODE READER")
        self.reader = self.response()
        if not self.reader.startswith("200"):
            raise NNTPError("MODE READER: %s (greeting was %s)" % (self.reader, self.greeting))

    def send(self, line):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def response(self):
        line = self.file.readline()
        if not line:
            raise NNTPError("connection closed by the server")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def post(self, lines):
        self.send("POST")
        r = self.response()
        if not r.startswith("340"):
            return r
        data = []
        for line in lines:
            if line.startswith("."):
                line = "." + line
            data.append(line.encode("utf-8") + b"\r\n")
        data.append(b".\r\n")
        self.sock.sendall(b"".join(data))
        return self.response()

    def quit(self):
        try:
            self.send("QUIT")
            self.response()
        except (OSError, NNTPError):
            pass
        self.sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--groups", default="local.test,local.news.announce,comp.lang.c,fr.comp.os.linux",
                   help="comma-separated groups (default: %(default)s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=int, default=0,
                   help="index of the first article (to post a run in several batches)")
    p.add_argument("--out", help="append one JSON line per accepted article")
    p.add_argument("--interval", type=float, default=0.0,
                   help="seconds to sleep between posts (default 0)")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    args = p.parse_args()
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    if args.count < 0 or not groups:
        p.error("need --count >= 0 and at least one group")

    out = open(args.out, "a", encoding="utf-8") if args.out else None
    ok = failed = cross = na_subj = na_from = 0
    failures = []
    t_start = time.time()
    conn = None
    try:
        for n in range(args.count):
            index = args.start + n
            now = time.time()
            # One generator per article: its content depends only on (seed, index),
            # so a run posted in several batches (--start) is the same run.
            rng = random.Random("%d:%d" % (args.seed, index))
            art = make_article(rng, index, args.seed, groups, now)
            answer = None
            for attempt in (1, 2):   # reconnect once if the connection drops
                try:
                    if conn is None:
                        conn = NNTP(args.host, args.port, args.timeout)
                    sent_at = time.time()
                    answer = conn.post(art.lines)
                    posted_at = time.time()
                    break
                except (OSError, NNTPError) as e:
                    answer = "connection error: %s" % e
                    if conn is not None:
                        try:
                            conn.sock.close()
                        except OSError:
                            pass
                    conn = None
            if answer.startswith("240"):
                ok += 1
                cross += art.crosspost
                na_subj += art.non_ascii_subject
                na_from += art.non_ascii_from
                if out:
                    rec = {
                        "message_id": art.message_id,
                        "newsgroups": art.newsgroups,
                        "subject": art.subject,
                        "from": art.from_,
                        "from_name": art.from_name,
                        "from_addr": art.from_addr,
                        "date": art.date,
                        "date_epoch": art.date_epoch,
                        "subject_raw": art.subject_raw,
                        "from_raw": art.from_raw,
                        "subject_charset": art.subject_charset,
                        "subject_encoding": art.subject_encoding,
                        "non_ascii_subject": art.non_ascii_subject,
                        "non_ascii_from": art.non_ascii_from,
                        "crosspost": art.crosspost,
                        "folded": art.folded,
                        "index": index,
                        "sent_at": sent_at,
                        "posted_at": posted_at,
                    }
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    out.flush()
            else:
                failed += 1
                failures.append((art.message_id, ",".join(art.newsgroups), answer))
            if args.interval > 0 and n + 1 < args.count:
                time.sleep(args.interval)
    finally:
        if conn is not None:
            conn.quit()
        if out:
            out.close()

    elapsed = time.time() - t_start
    for mid, ng, answer in failures[:20]:
        print("post.py: %s to %s refused: %s" % (mid, ng, answer), file=sys.stderr)
    if len(failures) > 20:
        print("post.py: ... and %d more failures" % (len(failures) - 20), file=sys.stderr)
    if not args.quiet or failed:
        print("post.py: %d/%d articles accepted in %.2fs (%d cross-posted, %d non-ASCII subjects, "
              "%d non-ASCII senders) to %s%s"
              % (ok, args.count, elapsed, cross, na_subj, na_from, ",".join(groups),
                 ", %d FAILED" % failed if failed else ""),
              file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
