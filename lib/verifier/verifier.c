/*
 * verifier/verifier.c - the verifier table and what its rows share.
 */
#include "verifier/verifier.h"

#include <stdlib.h>
#include <string.h>

static const struct ag_verifier *const table[] = { &ag_verifier_maa, &ag_verifier_local, NULL };

const struct ag_verifier *
ag_verifier_find(const char *name)
{
	for (size_t i = 0; name != NULL && table[i] != NULL; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

void
ag_verify_out_clear(struct ag_verify_out *out)
{
	json_decref(out->claims);
	free(out->token);
	free(out->jwks);
	memset(out, 0, sizeof(*out));
}
