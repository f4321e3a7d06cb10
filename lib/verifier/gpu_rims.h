/*
 * verifier/gpu_rims.h - where an NVIDIA device's reference manifests come
 * from: RIM files named on the command line, a directory of RIMs named by id (offline), or NVIDIA's RIM service
 * (GET BASE/v1/rim/ID, under the run's deadline).  What comes back is only
 * a candidate: nvidia_rim.h verifies it.
 */
#ifndef AG_GPU_RIMS_H
#define AG_GPU_RIMS_H

#include <stddef.h>

#include "base/error.h"
#include "base/http.h"
#include "format/nvidia_rim.h"

#define AG_NV_RIM_SERVICE_URL "https://rim.attestation.nvidia.com"
#define AG_GPU_RIM_FILES_MAX 16

struct ag_gpu_rim_source {
	const char *files[AG_GPU_RIM_FILES_MAX];   /* RIM files, any kind (--gpu-rim) */
	size_t n_files;
	const char *dir;                          /* DIR/ID, DIR/ID.xml or DIR/ID.swidtag (--gpu-rim-dir), or NULL */
	const char *service_url;                  /* the RIM service's base URL, or NULL: not asked */
	struct ag_http_opts http;                 /* for the service */
};

/* Nonzero when s names any source: the measurements are then to be compared, and a RIM that cannot be found is an error. */
int ag_gpu_rim_source_set(const struct ag_gpu_rim_source *s);

/* Reads the RIM file at path (not verified); errors name the path. */
enum ag_code ag_gpu_rim_read_file(const char *path, struct ag_nv_rim **rim, struct ag_err *err);

/*
 * Reads the RIM called id (the name NVIDIA gives it) from the directory,
 * else from the service (the given files are the caller's: they are
 * matched by version, not by id).  *rim is new, or NULL with AG_OK when
 * neither has it; *origin says where it came from ("dir", "service").  A
 * file or answer that is not a RIM is an error.
 */
enum ag_code ag_gpu_rim_get(const struct ag_gpu_rim_source *s, const char *id, struct ag_nv_rim **rim,
    const char **origin, struct ag_err *err);

#endif
