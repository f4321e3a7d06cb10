/*
 * fuzz_inject.c - libFuzzer target for the Kubernetes YAML injector: any
 * input either fails cleanly or gives an output that holds every input
 * byte (adding: insertions only, except that an attestgate.io/status of
 * another value is replaced), or only input bytes (--remove: removals
 * only); --update must not crash.  A first line "#R" or "#U" picks the mode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/inject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const char *
digest(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return "2524fa748947a66a068f9a0ffc2250eb0a20a4f983ce86f6d1c87f4cf8c14969";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ag_inject_opts o = { .image = "img", .default_policy = "azure-cvm", .all = 1, .tpm_access = "privileged",
		.device_plugin_resource = "squat.ai/tpmrm0", .digest = digest };
	struct ag_inject_result r;
	struct ag_err err;
	size_t j = 0;

	/* A first line "#R..." or "#U..." (still YAML) picks --remove or --update. */
	if (len > 1 && data[0] == '#' && (data[1] == 'R' || data[1] == 'U'))
		o.mode = data[1] == 'R' ? AG_INJECT_REMOVE : AG_INJECT_UPDATE;
	if (ag_inject((const char *)data, len, &o, &r, &err) != AG_OK)
		return 0;
	if (r.text[r.len] != '\0')
		abort();
	if (o.mode == AG_INJECT_REMOVE) {
		/* Removals only: the output is a subsequence of the input. */
		for (size_t i = 0; i < len && j < r.len; i++)
			if ((char)data[i] == r.text[j])
				j++;
		if (j != r.len)
			abort();
	} else if (o.mode == AG_INJECT_ADD) {
		/* Insertions only: the input is a subsequence of the output (unless a status value was replaced). */
		for (size_t i = 0; i < r.len && j < len; i++)
			if (r.text[i] == (char)data[j])
				j++;
		if (j != len && memmem(data, len, "attestgate.io/status", 20) == NULL)
			abort();
	}
	ag_inject_result_clear(&r);
	return 0;
}
