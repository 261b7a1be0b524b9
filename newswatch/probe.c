/* The probe for this kernel (see probe.h): named as probe-builder names
 * it, found in probe_dir or fetched from probe_url with the manifest.json
 * (and its signature) published beside it, and used only when it
 * verifies. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "log.h"
#include "probe-builder/alloc.h"
#include "probe.h"
#include "util/path.h"
#include "util/sign.h"

/* MD5 of the config this kernel runs with, as probe-builder names it:
 * /proc/config.gz when the kernel has it, else /boot/config-<release>. */
static int config_md5(const char *release, char *hex, struct pb_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char boot[PATH_MAX];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	gzFile gz;
	int n;

	/* gzread reads a plain file as it is, too */
	gz = gzopen("/proc/config.gz", "rb");
	if (!gz) {
		if (!pb_path_fmt(boot, sizeof(boot), NULL, "/boot/config-%s",
				 release))
			gz = gzopen(boot, "rb");
	}
	if (!gz) {
		pb_err_set(err, -ENOENT,
			   "no /proc/config.gz and no /boot/config-%s: the "
			   "probe's name needs the kernel config",
			   release);
		return err->code;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL)) {
		gzclose(gz);
		EVP_MD_CTX_free(ctx);
		pb_err_set(err, -ENOSYS, "MD5 unavailable");
		return err->code;
	}
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	gzclose(gz);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0) {
		pb_err_set(err, -EIO, "reading the kernel config failed");
		return err->code;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int nw_bpf_object_name(const struct nw_config *c, char *out, size_t len,
		       struct pb_err *err)
{
	struct utsname u;
	char md5[33];

	if (uname(&u) < 0) {
		pb_err_set(err, nw_neg_errno(), "uname: %s", strerror(errno));
		return err->code;
	}
	if (config_md5(u.release, md5, err) < 0)
		return err->code;
	snprintf(out, len, "%s-bpf-%s-%s-%s-%s.o", c->probe_name,
		 c->probe_version, u.machine, u.release, md5);
	return 0;
}

#define NW_FETCH_MAX (256L * 1024 * 1024)

struct sink {
	FILE *f;
	curl_off_t n;
};

static size_t to_file(char *p, size_t size, size_t n, void *v)
{
	struct sink *k = v;

	k->n += (curl_off_t)(size * n);
	if (k->n > NW_FETCH_MAX)
		return 0; /* endless: stop */
	return fwrite(p, size, n, k->f);
}

/* url into dest (a temporary name of the caller's), whole or removed */
static int download(const char *url, const char *dest, struct pb_err *err)
{
	char eb[CURL_ERROR_SIZE] = "";
	struct sink k = {NULL, 0};
	long code = 0;
	CURLcode rc;
	CURL *e;

	k.f = fopen(dest, "wb");
	if (!k.f) {
		pb_err_set(err, nw_neg_errno(), "%s: %s", dest,
			   strerror(errno));
		return err->code;
	}
	e = curl_easy_init();
	if (!e) {
		fclose(k.f);
		unlink(dest);
		pb_err_set(err, -ENOMEM, "cannot start a download");
		return err->code;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, eb);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	if (fclose(k.f) != 0 || rc != CURLE_OK || code != 200) {
		unlink(dest);
		if (rc != CURLE_OK)
			pb_err_set(err, -EIO, "%s: %s", url,
				   eb[0] ? eb : curl_easy_strerror(rc));
		else
			pb_err_set(err, -EIO, "%s: HTTP %ld", url, code);
		return err->code;
	}
	return 0;
}

static int read_all(const char *path, char **data, size_t *len,
		    struct pb_err *err)
{
	struct stat st;
	size_t got = 0;
	FILE *f = fopen(path, "rb");

	*data = NULL;
	if (!f || fstat(fileno(f), &st) < 0 || st.st_size > NW_FETCH_MAX) {
		pb_err_set(err, f ? -EFBIG : nw_neg_errno(), "%s: %s", path,
			   f ? "too big" : strerror(errno));
		if (f)
			fclose(f);
		return err->code;
	}
	*data = pb_malloc((size_t)st.st_size + 1, 1, err);
	if (!*data) {
		fclose(f);
		pb_err_prefix(err, "%s", path);
		return -ENOMEM;
	}
	got = fread(*data, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		pb_err_set(err, -EIO, "%s: short read", path);
		free(*data);
		*data = NULL;
		return err->code;
	}
	(*data)[got] = '\0';
	*len = got;
	return 0;
}

static int sha256_file(const char *path, char hex[65], struct pb_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	size_t n;
	int bad;
	FILE *f = fopen(path, "rb");

	if (!f) {
		pb_err_set(err, nw_neg_errno(), "%s: %s", path,
			   strerror(errno));
		return err->code;
	}
	ctx = EVP_MD_CTX_new();
	bad = !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (!bad && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		bad = !EVP_DigestUpdate(ctx, buf, n);
	bad = bad || ferror(f) || !EVP_DigestFinal_ex(ctx, md, &mdlen);
	fclose(f);
	EVP_MD_CTX_free(ctx);
	if (bad) {
		pb_err_set(err, -EIO, "%s: cannot compute its sha256", path);
		return err->code;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Whether the manifest gives sha256 for a file named name: any object with
 * a "file" or "path" whose last component is name and a "sha256" (the
 * manifest's shape may change: outputs by file name or by a path relative
 * to the output dir, entries in an array or keyed). *seen: an entry named
 * it at all. */
static int manifest_has(json_object *j, const char *name, const char *sha256,
			int *seen)
{
	if (json_object_is_type(j, json_type_object)) {
		json_object *f = NULL, *h = NULL;
		static const char *const keys[] = {"file", "path"};
		size_t i;

		for (i = 0; i < 2; i++)
			if (json_object_object_get_ex(j, keys[i], &f) &&
			    json_object_is_type(f, json_type_string) &&
			    !strcmp(base_name(json_object_get_string(f)),
				    name) &&
			    json_object_object_get_ex(j, "sha256", &h) &&
			    json_object_is_type(h, json_type_string)) {
				*seen = 1;
				if (!strcasecmp(json_object_get_string(h),
						sha256))
					return 1;
			}
		json_object_object_foreach(j, k, v)
		{
			(void)k;
			if (manifest_has(v, name, sha256, seen))
				return 1;
		}
	} else if (json_object_is_type(j, json_type_array)) {
		size_t i, n = json_object_array_length(j);

		for (i = 0; i < n; i++)
			if (manifest_has(json_object_array_get_idx(j, i), name,
					 sha256, seen))
				return 1;
	}
	return 0;
}

int nw_probe_verify(const char *object, const char *name, const char *manifest,
		    const char *sig, const char *pubkey, struct pb_err *err)
{
	char *text = NULL, *sigdata = NULL, hex[65];
	size_t len = 0, siglen = 0;
	json_object *j = NULL;
	int ret = -1, seen = 0;

	if (read_all(manifest, &text, &len, err) < 0)
		goto out;
	if (pubkey && pubkey[0]) {
		struct pb_err e = {0};

		if (read_all(sig, &sigdata, &siglen, err) < 0)
			goto out;
		if (pb_sign_verify(pubkey, text, len, sigdata, siglen, &e) <
		    0) {
			pb_err_set(err, -EBADMSG, "%s: %s", manifest, e.msg);
			goto out;
		}
	}
	j = json_tokener_parse(text);
	if (!j) {
		pb_err_set(err, -EBADMSG, "%s: not JSON", manifest);
		goto out;
	}
	if (sha256_file(object, hex, err) < 0)
		goto out;
	if (!manifest_has(j, name, hex, &seen)) {
		if (seen)
			pb_err_set(err, -EBADMSG,
				   "%s: its sha256 %s is not the one %s "
				   "gives",
				   name, hex, manifest);
		else
			pb_err_set(err, -EBADMSG, "%s gives no sha256 for %s",
				   manifest, name);
		goto out;
	}
	ret = 0;
out:
	json_object_put(j);
	free(text);
	free(sigdata);
	return ret < 0 ? err->code : 0;
}

/* The object for this kernel: in probe_dir, else fetched from probe_url
 * into the state directory with the manifest.json (and its signature when
 * a key is pinned) published beside it, and used only when its sha256 is
 * the manifest's. */
int nw_probe_find(const struct nw_config *c, char *path, size_t len,
		  struct pb_err *err)
{
	static const char *const what[] = {"", ".manifest.json",
					   ".manifest.json.sig"};
	static const char *const remote[] = {NULL, "manifest.json",
					     "manifest.json.sig"};
	char name[512], dir[PATH_MAX], url[PATH_MAX * 2];
	struct pb_err why = {0};
	char got[3][PATH_MAX + 600], part[3][PATH_MAX + 640];
	int keyed = c->probe_pubkey[0] != '\0', i, n = keyed ? 3 : 2;
	size_t ul;

	if (nw_bpf_object_name(c, name, sizeof(name), err) < 0)
		return err->code;
	if (pb_path_join(path, len, err, c->probe_dir, name, NULL))
		return err->code;
	if (access(path, R_OK) == 0)
		return 0;
	if (!c->probe_url[0]) {
		pb_err_set(err, -ENOENT,
			   "no %s (and no probe_url to fetch it "
			   "from): build it with probe-builder for this kernel",
			   path);
		return err->code;
	}
	if (!keyed)
		nw_log(NW_WARN,
		       "no probe_pubkey: the probe from %s is checked against "
		       "the sha256 in the manifest.json beside it, which "
		       "catches corruption only, not a forged probe",
		       c->probe_url);
	if (pb_path_join(dir, sizeof(dir), err, c->state_dir, "probes", NULL))
		return err->code;
	mkdir(dir, 0700);
	for (i = 0; i < 3; i++)
		if (pb_path_fmt(got[i], sizeof(got[i]), err, "%s/%s%s", dir,
				name, what[i]) ||
		    pb_path_fmt(part[i], sizeof(part[i]), err, "%s.part",
				got[i]))
			return err->code;
	if (pb_path_fmt(path, len, err, "%s", got[0]))
		return err->code;
	/* fetched before: used again if it still verifies (the key may have
	 * been pinned since) */
	if (access(got[0], R_OK) == 0 &&
	    nw_probe_verify(got[0], name, got[1], got[2], c->probe_pubkey,
			    &why) == 0)
		return 0;
	ul = strlen(c->probe_url);
	for (i = 0; i < n; i++) {
		if (pb_path_fmt(url, sizeof(url), err, "%s%s%s", c->probe_url,
				ul && c->probe_url[ul - 1] == '/' ? "" : "/",
				remote[i] ? remote[i] : name) ||
		    download(url, part[i], err) < 0)
			goto fail;
	}
	if (nw_probe_verify(part[0], name, part[1], keyed ? part[2] : NULL,
			    c->probe_pubkey, err) < 0) {
		pb_err_prefix(err, "probe from %s refused", c->probe_url);
		goto fail;
	}
	/* the object last: present means verified */
	for (i = n - 1; i >= 0; i--)
		if (rename(part[i], got[i]) < 0) {
			pb_err_set(err, nw_neg_errno(), "%s: %s", got[i],
				   strerror(errno));
			goto fail;
		}
	if (!keyed)
		unlink(got[2]);
	nw_log(NW_INFO, "%s: sha256 as in %smanifest.json%s", name,
	       c->probe_url, keyed ? ", whose signature verifies" : "");
	return 0;
fail:
	for (i = 0; i < 3; i++)
		unlink(part[i]);
	return err->code;
}
