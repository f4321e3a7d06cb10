/*
 * fuzz_bundle.c - libFuzzer target for the evidence bundle manifest reader
 * (evidence.json of `attestgate evidence` bundles, read by verify-evidence --in).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_evidence e;
	struct ag_err err;
	json_t *files = NULL, *f;
	size_t i;

	ag_evidence_init(&e);
	if (ag_evidence_manifest_parse(data, len, &e, &files, &err) == AG_OK) {
		/* Every accepted entry is a plain file name: no path can escape the bundle directory. */
		if (e.platform == NULL || !json_is_array(files) || e.nonce.len > AG_NONCE_MAX)
			abort();
		json_array_foreach(files, i, f) {
			const char *name = json_string_value(json_object_get(f, "name"));

			if (name == NULL || strchr(name, '/') != NULL || name[0] == '.' || strcmp(name, "evidence.json") == 0)
				abort();
		}
	} else if (files != NULL) {
		abort();
	}
	json_decref(files);
	ag_evidence_clear(&e);
	return 0;
}
