/* What the newswatch tests expect of every string they are given back. */
#include <stdint.h>

#include "utf8check.h"

/* An independent check: well-formed UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF) with no control character but tab */
int is_clean_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	int more, i;

	while (*s) {
		if (*s < 0x80) {
			if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
				return 0;
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			cp = *s & 0x1f;
			more = 1;
		} else if ((*s & 0xf0) == 0xe0) {
			cp = *s & 0x0f;
			more = 2;
		} else if ((*s & 0xf8) == 0xf0) {
			cp = *s & 0x07;
			more = 3;
		} else {
			return 0;
		}
		for (i = 1; i <= more; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
		    (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += more + 1;
	}
	return 1;
}
