#include "config.h"

#include "util/http.h"

enum pb_http_class pb_http_classify(long code)
{
	if (code >= 200 && code < 300)
		return PB_HTTP_OK;
	switch (code) {
	case 301:
	case 302:
	case 303:
	case 307:
	case 308:
		return PB_HTTP_REDIRECT;
	case 408: /* Request Timeout */
	case 429: /* Too Many Requests */
		return PB_HTTP_RETRY;
	default:
		/* a server's trouble passes; a 4xx is about the request */
		return code >= 500 ? PB_HTTP_RETRY : PB_HTTP_REFUSED;
	}
}
