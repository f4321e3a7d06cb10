/*
 * fuzz_inject.c - libFuzzer target for the Kubernetes YAML injector: any
 * input either fails cleanly or gives an output that holds every input
 * byte (insertions only).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_inject.h"

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
	struct ag_inject_opts o = { "img", "azure-cvm", 1, "privileged", "squat.ai/tpmrm0", digest, NULL };
	struct ag_inject_result r;
	struct ag_err err;
	size_t j = 0;

	if (ag_inject((const char *)data, len, &o, &r, &err) != AG_OK)
		return 0;
	/* The input must be a subsequence of the output. */
	for (size_t i = 0; i < r.len && j < len; i++)
		if (r.text[i] == (char)data[j])
			j++;
	if (j != len || r.text[r.len] != '\0')
		abort();
	ag_inject_result_clear(&r);
	return 0;
}
