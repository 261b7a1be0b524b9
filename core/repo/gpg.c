#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe-builder/alloc.h"
#include "repo/gpg.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/str.h"

/* gpgv reads binary keyrings only: an armored key block (apt's *.asc)
 * is decoded into workdir first. */
static int dearmor(const char *path, const char *out, struct pb_err *err)
{
	char *text = NULL, *p, *bin = NULL;
	size_t len, o = 0;
	unsigned acc = 0;
	int bits = 0, ret;

	ret = pb_read_file(path, &text, &len, err);
	if (ret)
		return ret;
	p = strstr(text, "-----BEGIN PGP PUBLIC KEY BLOCK-----");
	if (!p) {
		free(text);
		return pb_err_set(err, -EINVAL, "%s: not an armored key", path);
	}
	/* the headers end at the first empty line */
	p = strstr(p, "\n\n") ? strstr(p, "\n\n") + 2 : strstr(p, "\r\n\r\n");
	if (!p) {
		free(text);
		return pb_err_set(err, -EINVAL, "%s: bad armor", path);
	}
	bin = pb_malloc(len, 1, err);
	if (!bin) {
		free(text);
		return -ENOMEM;
	}
	for (; *p && *p != '='; p++) {
		int v;

		if (*p == '-')
			break;
		v = pb_b64_value((unsigned char)*p);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bin[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	ret = pb_write_file_atomic(out, bin, o, err);
	free(text);
	free(bin);
	return ret;
}

static int is_armored(const char *path)
{
	char head[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(head, sizeof(head), f))
		head[0] = '\0';
	fclose(f);
	return strncmp(head, "-----BEGIN PGP", 14) == 0;
}

/* keyrings[i] as gpgv takes it, in kr: armored ones dearmored into home,
 * relative names made absolute (gpgv looks for those in its home). */
static int keyring_arg(const char *keyring, const char *home, size_t i,
		       char kr[PATH_MAX], struct pb_err *err)
{
	int ret;

	if (access(keyring, R_OK) < 0)
		return pb_err_set(err, -errno, "keyring %s: %s", keyring,
				  strerror(errno));
	if (is_armored(keyring)) {
		ret = pb_path_fmt(kr, PATH_MAX, err, "%s/keyring-%zu.gpg", home,
				  i);
		return ret ? ret : dearmor(keyring, kr, err);
	}
	if (keyring[0] != '/') {
		if (!realpath(keyring, kr))
			return pb_err_set(err, -errno, "%s: %s", keyring,
					  strerror(errno));
		return 0;
	}
	return pb_path_fmt(kr, PATH_MAX, err, "%s", keyring);
}

/* What gpgv's status lines say of a signature it did not accept. */
static int status_error(const char *signature, const char *status,
			struct pb_err *err)
{
	const char *k = strstr(status, "[GNUPG:] NO_PUBKEY");

	if (k) {
		k += 19;
		return pb_err_set(err, PB_ENOKEY,
				  "%s: signed by key %.*s, which is not in the "
				  "keyrings given",
				  signature, (int)strcspn(k, "\n"), k);
	}
	if (strstr(status, "[GNUPG:] BADSIG"))
		return pb_err_set(err, PB_EBADSIG,
				  "%s: BAD signature: the file was changed "
				  "after it was signed",
				  signature);
	if (strstr(status, "[GNUPG:] EXPKEYSIG") ||
	    strstr(status, "[GNUPG:] REVKEYSIG"))
		return pb_err_set(err, PB_EBADSIG,
				  "%s: signed by an expired or revoked key",
				  signature);
	return pb_err_set(err, PB_EBADSIG,
			  "%s: no valid signature (gpgv: %.200s)", signature,
			  status[0] ? status : "no output");
}

int pb_gpg_verify(const char *signature, const char *data,
		  const char *const *keyrings, size_t n_keyrings,
		  const char *workdir, const char *out, struct pb_err *err)
{
	char home[PATH_MAX], status[8192], (*kr)[PATH_MAX] = NULL;
	const char **argv = NULL;
	size_t i, a = 0;
	int ret;

	if (n_keyrings == 0)
		return pb_err_set(err, PB_ENOKEY,
				  "%s: no keyring to check it with", signature);
	ret = pb_path_join(home, sizeof(home), err, workdir, "gnupg", NULL);
	if (!ret)
		ret = pb_mkdir_p(home, err);
	if (ret)
		return ret;
	kr = pb_calloc(n_keyrings, sizeof(*kr), err);
	argv = pb_calloc(2 * n_keyrings + 12, sizeof(*argv), err);
	if (!kr || !argv) {
		ret = -ENOMEM;
		goto out;
	}
	argv[a++] = "gpgv";
	argv[a++] = "--homedir";
	argv[a++] = home;
	argv[a++] = "--status-fd";
	argv[a++] = "1";
	for (i = 0; i < n_keyrings; i++) {
		ret = keyring_arg(keyrings[i], home, i, kr[i], err);
		if (ret)
			goto out;
		argv[a++] = "--keyring";
		argv[a++] = kr[i];
	}
	if (out) {
		unlink(out);
		argv[a++] = "--output";
		argv[a++] = out;
	}
	argv[a++] = signature;
	if (data)
		argv[a++] = data;
	argv[a] = NULL;
	status[0] = '\0';
	ret = pb_run_capture(argv, status, sizeof(status), err);
	if (ret < 0 && !status[0] && err && err->code == ret) {
		/* gpgv did not run, or said nothing: nothing was checked */
		pb_err_prefix(
			err, "%s: cannot check the signature%s", signature,
			ret == -ENOENT ? " (install the gpgv package)" : "");
		goto out;
	}
	if (ret == 0 && strstr(status, "[GNUPG:] VALIDSIG"))
		goto out;
	ret = status_error(signature, status, err);
	if (out)
		unlink(out);
out:
	free(kr);
	free(argv);
	return ret;
}

const char *pb_keyring_package(const char *path)
{
	static const struct {
		const char *prefix, *package;
	} table[] = {
		{"/usr/share/keyrings/debian-archive-",
		 "debian-archive-keyring"},
		{"/usr/share/keyrings/ubuntu-archive-", "ubuntu-keyring"},
		{"/usr/share/keyrings/ubuntu-cloudimage-",
		 "ubuntu-cloudimage-keyring"},
		{"/usr/share/distribution-gpg-keys/", "distribution-gpg-keys"},
	};
	size_t i;

	for (i = 0; path && i < PB_ARRAY_SIZE(table); i++)
		if (!strncmp(path, table[i].prefix, strlen(table[i].prefix)))
			return table[i].package;
	return NULL;
}
