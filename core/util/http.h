/* What an HTTP status means to a client that may try again: one table,
 * for the fetcher and for newswatch's webhook. */
#ifndef PB_HTTP_H
#define PB_HTTP_H

enum pb_http_class {
	PB_HTTP_OK,	  /* 2xx */
	PB_HTTP_REDIRECT, /* 301, 302, 303, 307, 308: Location says where */
	PB_HTTP_RETRY,	  /* 5xx, 408, 429: the same request may do later */
	PB_HTTP_REFUSED,  /* any other: it would be refused again */
};

enum pb_http_class pb_http_classify(long code);

#endif
