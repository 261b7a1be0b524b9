#!/usr/bin/env python3
"""Check that the articles recorded by post.py are in INN's tradspool.

    spool-check.py --spool DIR/spool/articles --posted posted.jsonl
                   [--wireformat | --no-wireformat] [--map out.jsonl] [-v]

For every posted article (one JSON line of post.py):
  * it is stored under <spool>/<group, dots turned into slashes>/<number>
    for each of its newsgroups, with a numeric file name, and the Xref
    header of the stored article names exactly those group:number pairs;
  * a cross-posted article is one inode linked into each group (hard links;
    a symlink is accepted, as tradspool falls back to one when link() fails);
  * the stored Subject and From header lines, unfolded, are the ones posted
    (the RFC 2047 encoded words unchanged), and Python's RFC 5322 parser
    decodes them to the Unicode subject and sender post.py recorded;
  * with --wireformat (INN's default), the file has CRLF line ends and ends
    with ".\\r\\n", and body lines starting with "." are doubled.
Also checks that the spool holds nothing else (no temporary files).

--map writes one JSON line per article: message_id, paths (group -> path),
inode, links, mtime_ns and ctime_ns of the file (when innd wrote it).
Exit status 0 when everything matches, 1 otherwise (each problem printed).
"""

import argparse
import email
import email.policy
import json
import os
import re
import sys


def header_block(raw):
    """Raw header block (bytes) and the list of unfolded header lines."""
    end = raw.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = raw.find(b"\n\n"), 2
    if end < 0:
        return None, []
    block = raw[:end].decode("utf-8", "replace")
    unfolded = []
    for line in re.split(r"\r?\n", block):
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += line
        else:
            unfolded.append(line)
    return raw[:end + sep], unfolded


def get(unfolded, name):
    name = name.lower() + ":"
    return [l[len(name):].lstrip(" \t") for l in unfolded if l.lower().startswith(name)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spool", required=True, help="patharticles (INN_SPOOL)")
    p.add_argument("--posted", required=True, help="post.py --out file")
    wf = p.add_mutually_exclusive_group()
    wf.add_argument("--wireformat", dest="wireformat", action="store_true", default=True)
    wf.add_argument("--no-wireformat", dest="wireformat", action="store_false")
    p.add_argument("--map", help="write message_id -> paths, inode, times")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()

    posted = [json.loads(l) for l in open(args.posted, encoding="utf-8") if l.strip()]
    problems = []

    def bad(msg):
        problems.append(msg)

    # Every file and symlink in the spool.
    files = {}
    for root, dirs, names in os.walk(args.spool):
        for n in names:
            path = os.path.join(root, n)
            rel = os.path.relpath(path, args.spool)
            files[rel] = path
    # Message-ID of every file (the header block only).
    by_mid = {}
    for rel, path in files.items():
        with open(path, "rb") as f:
            head = f.read(262144)
        _, unfolded = header_block(head)
        for v in get(unfolded, "Message-ID"):
            by_mid.setdefault(v.strip(), []).append((rel, path))
    seen = set()
    mapping = []
    n_links = n_symlinks = 0

    for rec in posted:
        mid = rec["message_id"]
        paths = {}
        inodes = set()
        for g in rec["newsgroups"]:
            gdir = g.replace(".", "/")
            found = [(rel, path) for rel, path in by_mid.get(mid, ())
                     if os.path.dirname(rel) == gdir]
            if len(found) != 1:
                bad("%s: %d copies under %s/%s" % (mid, len(found), args.spool, gdir))
                continue
            rel, path = found[0]
            if not os.path.basename(rel).isdigit():
                bad("%s: %s: file name is not an article number" % (mid, rel))
            seen.add(rel)
            paths[g] = path
            st = os.lstat(path)
            if os.path.islink(path):
                n_symlinks += 1
                inodes.add(os.stat(path).st_ino)
            else:
                inodes.add(st.st_ino)

        if not paths:
            continue
        if len(inodes) != 1:
            bad("%s: cross-posted copies are different files: %s" % (mid, paths))
        elif len(paths) > 1 and not any(os.path.islink(x) for x in paths.values()):
            n_links += 1
            nl = os.stat(next(iter(paths.values()))).st_nlink
            if nl != len(paths):
                bad("%s: %d hard links, expected %d" % (mid, nl, len(paths)))

        path = next(iter(paths.values()))
        raw = open(path, "rb").read()
        block, unfolded = header_block(raw)
        if block is None:
            bad("%s: %s has no blank line after the headers" % (mid, path))
            continue

        # Xref: <server> group:number ...
        xref = get(unfolded, "Xref")
        if len(xref) != 1:
            bad("%s: %d Xref headers in %s" % (mid, len(xref), path))
        else:
            pairs = {}
            for tok in xref[0].split()[1:]:
                g, _, n = tok.rpartition(":")
                pairs[g] = n
            for g, gp in paths.items():
                if pairs.get(g) != os.path.basename(gp):
                    bad("%s: Xref %r does not match %s" % (mid, xref[0], gp))
            if set(pairs) != set(rec["newsgroups"]):
                bad("%s: Xref groups %s != posted %s" % (mid, sorted(pairs), rec["newsgroups"]))

        # Headers as posted, and their decoding.
        for name, key in (("Subject", "subject_raw"), ("From", "from_raw")):
            vals = get(unfolded, name)
            if vals != [rec[key]]:
                bad("%s: stored %s %r != posted %r" % (mid, name, vals, rec[key]))
        ng = get(unfolded, "Newsgroups")
        if ng != [",".join(rec["newsgroups"])]:
            bad("%s: stored Newsgroups %r" % (mid, ng))
        text = raw.replace(b"\r\n", b"\n")
        msg = email.message_from_bytes(text, policy=email.policy.default)
        if str(msg["Subject"]) != rec["subject"]:
            bad("%s: Subject decodes to %r, posted %r" % (mid, str(msg["Subject"]), rec["subject"]))
        if str(msg["From"]) != rec["from"]:
            bad("%s: From decodes to %r, posted %r" % (mid, str(msg["From"]), rec["from"]))

        if args.wireformat:
            if not raw.endswith(b"\r\n.\r\n"):
                bad("%s: %s does not end with CRLF.CRLF (wire format)" % (mid, path))
            if re.search(rb"(?<!\r)\n", raw):
                bad("%s: %s has bare LF line ends (wire format expected)" % (mid, path))
            if b"\r\n..A line starting with a dot" not in raw:
                bad("%s: %s: dot-stuffed body line not found" % (mid, path))
        else:
            if b"\r\n" in raw:
                bad("%s: %s has CRLF line ends (native format expected)" % (mid, path))

        st = os.stat(path)
        mapping.append({"message_id": mid, "paths": paths, "inode": st.st_ino,
                        "links": st.st_nlink, "mtime_ns": st.st_mtime_ns,
                        "ctime_ns": st.st_ctime_ns})

    extra = sorted(set(files) - seen)
    for rel in extra:
        bad("unexpected file in the spool: %s" % rel)

    if args.map:
        with open(args.map, "w", encoding="utf-8") as f:
            for m in mapping:
                f.write(json.dumps(m, ensure_ascii=False) + "\n")

    for msg in problems[:50]:
        print("spool-check.py: " + msg, file=sys.stderr)
    if len(problems) > 50:
        print("spool-check.py: ... %d more problems" % (len(problems) - 50), file=sys.stderr)
    if args.verbose or problems:
        print("spool-check.py: %d articles, %d files in the spool, %d cross-posts as hard links, "
              "%d symlinks, %d problems"
              % (len(posted), len(files), n_links, n_symlinks, len(problems)),
              file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
