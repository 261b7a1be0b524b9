/* A check of the newswatch tests, written apart from the code it checks. */
#ifndef NW_TEST_UTF8CHECK_H
#define NW_TEST_UTF8CHECK_H

/* Whether str is well-formed UTF-8 (no overlong forms, surrogates or code
 * points above U+10FFFF) with no control character but tab. */
int is_clean_utf8(const char *str);

#endif
