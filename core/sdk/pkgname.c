#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/pkgname.h"

const char *pb_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int copy_span(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n == 0 || n >= dstlen)
		return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int pb_pkgname_parse_deb(const char *path, struct pb_pkgname *out)
{
	const char *base = pb_basename(path);
	const char *u1, *u2, *end;
	size_t i, o;

	memset(out, 0, sizeof(*out));
	if (!has_suffix(base, ".deb") && !has_suffix(base, ".udeb"))
		return -EINVAL;
	end = strrchr(base, '.');
	u1 = memchr(base, '_', (size_t)(end - base));
	if (!u1)
		return -EINVAL;
	u2 = memchr(u1 + 1, '_', (size_t)(end - u1 - 1));
	if (!u2 || memchr(u2 + 1, '_', (size_t)(end - u2 - 1)))
		return -EINVAL;
	if (copy_span(out->name, sizeof(out->name), base,
		      (size_t)(u1 - base)) ||
	    copy_span(out->arch, sizeof(out->arch), u2 + 1,
		      (size_t)(end - u2 - 1)))
		return -EINVAL;
	/* apt-get download writes the epoch colon as %3a */
	for (i = 0, o = 0; u1 + 1 + i < u2; i++) {
		const char *c = u1 + 1 + i;

		if (o + 1 >= sizeof(out->version))
			return -EINVAL;
		if (c + 2 < u2 && c[0] == '%' && c[1] == '3' &&
		    (c[2] == 'a' || c[2] == 'A')) {
			out->version[o++] = ':';
			i += 2;
		} else {
			out->version[o++] = *c;
		}
	}
	out->version[o] = '\0';
	return o ? 0 : -EINVAL;
}

int pb_pkgname_parse_rpm(const char *path, struct pb_pkgname *out)
{
	const char *base = pb_basename(path);
	const char *end, *dot, *d2, *d1;

	memset(out, 0, sizeof(*out));
	if (!has_suffix(base, ".rpm") || has_suffix(base, ".src.rpm"))
		return -EINVAL;
	end = base + strlen(base) - 4;
	/* arch after the last dot, release after the last dash, version
	 * after the one before; the name keeps the rest, dashes included */
	for (dot = end - 1; dot > base && *dot != '.'; dot--)
		;
	for (d2 = dot - 1; d2 > base && *d2 != '-'; d2--)
		;
	for (d1 = d2 - 1; d1 > base && *d1 != '-'; d1--)
		;
	if (dot <= base || d2 <= base || d1 <= base ||
	    memchr(dot, '-', (size_t)(end - dot)))
		return -EINVAL;
	if (copy_span(out->name, sizeof(out->name), base,
		      (size_t)(d1 - base)) ||
	    copy_span(out->version, sizeof(out->version), d1 + 1,
		      (size_t)(d2 - d1 - 1)) ||
	    copy_span(out->release, sizeof(out->release), d2 + 1,
		      (size_t)(dot - d2 - 1)) ||
	    copy_span(out->arch, sizeof(out->arch), dot + 1,
		      (size_t)(end - dot - 1)))
		return -EINVAL;
	return 0;
}

/* The one architecture table: Debian's names (dpkg --print-architecture)
 * and the kernel's (uname -m, which RPM uses too). */
static const struct {
	const char *deb, *uname;
} arch_names[] = {
	{"amd64", "x86_64"}, {"arm64", "aarch64"},   {"i386", "i686"},
	{"armhf", "armv7l"}, {"ppc64el", "ppc64le"},
};

const char *pb_arch_canonical(const char *pkg_arch)
{
	size_t i;

	for (i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (strcmp(pkg_arch, arch_names[i].deb) == 0)
			return arch_names[i].uname;
	return pkg_arch;
}

const char *pb_arch_deb(const char *machine)
{
	size_t i;

	for (i = 0; i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (strcmp(machine, arch_names[i].uname) == 0)
			return arch_names[i].deb;
	return machine;
}

/* dpkg's ordering: '~' sorts before everything, even the end of the string,
 * letters before non-letters. */
static int deb_order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int deb_verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !isdigit((unsigned char)*a)) ||
		       (*b && !isdigit((unsigned char)*b))) {
			int ac = deb_order((unsigned char)*a);
			int bc = deb_order((unsigned char)*b);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) &&
		       isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

static void deb_split(const char *v, long *epoch, char *up, size_t uplen,
		      const char **rev)
{
	const char *colon = strchr(v, ':');
	const char *dash;
	size_t n;

	*epoch = 0;
	if (colon) {
		*epoch = strtol(v, NULL, 10);
		v = colon + 1;
	}
	dash = strrchr(v, '-');
	n = dash ? (size_t)(dash - v) : strlen(v);
	if (n >= uplen)
		n = uplen - 1;
	memcpy(up, v, n);
	up[n] = '\0';
	*rev = dash ? dash + 1 : "";
}

int pb_deb_version_cmp(const char *a, const char *b)
{
	char ua[128], ub[128];
	const char *ra, *rb;
	long ea, eb;
	int r;

	deb_split(a, &ea, ua, sizeof(ua), &ra);
	deb_split(b, &eb, ub, sizeof(ub), &rb);
	if (ea != eb)
		return ea < eb ? -1 : 1;
	r = deb_verrevcmp(ua, ub);
	if (r)
		return r;
	return deb_verrevcmp(ra, rb);
}
