/* Built instead of the unit tests when configure did not find cmocka, so
 * that `make check` fails with the reason instead of passing with no test. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "cmocka was not found by configure: the unit tests "
			"were not built; install libcmocka-dev and re-run "
			"configure\n");
	return 99; /* a hard error for the automake test driver */
}
