#!/usr/bin/env python3
"""Writes a synthetic RPM primary.xml of N packages to stdout, shaped like
Fedora's (summary, description, provides and requires, a few files), with a
kernel, kernel-core and kernel-devel every 10,000 packages (a distro's
repository holds a few dozen kernels among tens of thousands of packages). Deterministic: the
same N gives the same bytes."""
import hashlib
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
rnd = random.Random(7)
letters = "abcdefghijklmnopqrstuvwxyz"
words = ["".join(rnd.choice(letters) for _ in range(rnd.randint(3, 9)))
         for _ in range(2500)]
caps = ["lib%s.so.%d()(64bit)" % (w, rnd.randint(0, 9)) for w in words[:300]]
out = sys.stdout
out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
          '<metadata xmlns="http://linux.duke.edu/metadata/common" '
          'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n' % n)
for i in range(n):
    k = i % 10000
    if k < 3:
        name = ("kernel", "kernel-core", "kernel-devel")[k]
        ver, rel, arch = "6.%d.%d" % (i // 100000, i // 10000 % 10), "200.fc40", "x86_64"
    else:
        name = "%s-%s" % (rnd.choice(words), rnd.choice(words))
        ver = "%d.%d.%d" % (rnd.randint(0, 9), rnd.randint(0, 30), rnd.randint(0, 99))
        rel, arch = "%d.fc40" % rnd.randint(1, 9), rnd.choice(("x86_64", "noarch"))
    sha = hashlib.sha256(b"%d" % i).hexdigest()
    out.write('<package type="rpm">\n  <name>%s</name>\n  <arch>%s</arch>\n'
              '  <version epoch="0" ver="%s" rel="%s"/>\n'
              '  <checksum type="sha256" pkgid="YES">%s</checksum>\n'
              '  <summary>%s</summary>\n  <description>%s</description>\n'
              '  <packager>Fedora Project</packager>\n'
              '  <url>https://%s.example.org/</url>\n'
              '  <time file="%d" build="%d"/>\n'
              '  <size package="%d" installed="%d" archive="%d"/>\n'
              '  <location href="Packages/%s/%s-%s-%s.%s.rpm"/>\n'
              '  <format>\n    <rpm:license>MIT</rpm:license>\n'
              '    <rpm:sourcerpm>%s-%s-%s.src.rpm</rpm:sourcerpm>\n'
              '    <rpm:provides>\n'
              % (name, arch, ver, rel, sha,
                 " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 8))),
                 " ".join(rnd.choice(words) for _ in range(rnd.randint(15, 90))),
                 rnd.choice(words), 1700000000 + i, 1700000000 + i,
                 rnd.randint(10000, 9000000), rnd.randint(10000, 30000000),
                 rnd.randint(10000, 30000000),
                 name[0], name, ver, rel, arch, name, ver, rel))
    for _ in range(rnd.randint(1, 4)):
        out.write('      <rpm:entry name="%s"/>\n' % rnd.choice(caps))
    out.write('    </rpm:provides>\n    <rpm:requires>\n')
    for _ in range(rnd.randint(2, 18)):
        out.write('      <rpm:entry name="%s"/>\n' % rnd.choice(caps))
    out.write('    </rpm:requires>\n')
    for _ in range(rnd.randint(0, 3)):
        out.write('    <file>/usr/bin/%s</file>\n' % rnd.choice(words))
    out.write('  </format>\n</package>\n')
out.write('</metadata>\n')
