/*
 * node/sev_guest.c - the sev-guest ioctls of <linux/sev-guest.h>.  The response
 * message is status, report size, 24 reserved bytes, then the report; a
 * firmware or VMM error code is reported as it is.
 */
#include "node/sev_guest.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/bytes.h"
#include "format/snp.h"

#define PAGE 4096

static enum ag_code
take_report(const struct snp_report_resp *resp, uint8_t **report, size_t *len, struct ag_err *err)
{
	uint32_t status = ag_le32(resp->data), size = ag_le32(resp->data + 4);

	if (status != 0)
		return ag_err_set(err, AG_EEVIDENCE, "sev-guest: the firmware refused the report request (status 0x%x)", status);
	if (size != AG_SNP_REPORT_LEN)
		return ag_err_set(err, AG_EEVIDENCE, "sev-guest: the firmware returned a report of %u bytes, not %d", size,
		    AG_SNP_REPORT_LEN);
	*report = malloc(size);
	if (*report == NULL)
		return ag_err_set(err, AG_EEVIDENCE, "out of memory");
	memcpy(*report, resp->data + 32, size);
	*len = size;
	return AG_OK;
}

enum ag_code
ag_sev_guest_report(const char *device, const uint8_t user_data[64], unsigned vmpl, uint8_t **report, size_t *report_len,
    uint8_t **certs, size_t *certs_len, struct ag_err *err)
{
	struct snp_ext_report_req ext;
	struct snp_report_resp resp;
	struct snp_guest_request_ioctl io;
	uint8_t *buf = NULL;
	size_t cap = PAGE;
	enum ag_code rc = AG_OK;
	int fd, r;

	*report = NULL;
	*report_len = 0;
	if (certs != NULL) {
		*certs = NULL;
		*certs_len = 0;
	}
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ag_err_set(err, AG_EEVIDENCE, "cannot open %s: %s", device, strerror(errno));
	memset(&ext, 0, sizeof(ext));
	memcpy(ext.data.user_data, user_data, 64);
	ext.data.vmpl = vmpl;
	for (;;) {
		free(buf);
		buf = certs != NULL ? calloc(1, cap) : NULL;
		if (certs != NULL && buf == NULL) {
			rc = ag_err_set(err, AG_EEVIDENCE, "out of memory");
			break;
		}
		memset(&resp, 0, sizeof(resp));
		memset(&io, 0, sizeof(io));
		io.msg_version = 1;
		io.resp_data = (uint64_t)(uintptr_t)&resp;
		if (certs != NULL) {
			ext.certs_address = (uint64_t)(uintptr_t)buf;
			ext.certs_len = (uint32_t)cap;
			io.req_data = (uint64_t)(uintptr_t)&ext;
			r = ioctl(fd, SNP_GET_EXT_REPORT, &io);
		} else {
			io.req_data = (uint64_t)(uintptr_t)&ext.data;
			r = ioctl(fd, SNP_GET_REPORT, &io);
		}
		if (r == 0)
			break;
		if (certs != NULL && io.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN && ext.certs_len > cap &&
		    ext.certs_len <= AG_SEV_GUEST_CERTS_MAX) {
			/* The host's cert table is larger: it told us how large. */
			cap = (ext.certs_len + PAGE - 1) / PAGE * PAGE;
			continue;
		}
		if (certs != NULL && io.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN)
			rc = ag_err_set(err, AG_EEVIDENCE, "sev-guest: the host's cert table (%u bytes) is larger than %d bytes",
			    ext.certs_len, AG_SEV_GUEST_CERTS_MAX);
		else if (certs != NULL && (errno == ENOTTY || errno == EINVAL) && io.exitinfo2 == 0) {
			/* No extended reports here: a plain report, certificates from elsewhere. */
			certs = NULL;
			continue;
		} else
			rc = ag_err_set(err, AG_EEVIDENCE, "sev-guest: report request failed: %s (firmware error 0x%x, VMM error 0x%x)",
			    strerror(errno), io.fw_error, io.vmm_error);
		break;
	}
	close(fd);
	if (rc == AG_OK)
		rc = take_report(&resp, report, report_len, err);
	if (rc == AG_OK && certs != NULL && buf != NULL && !ag_all_zero(buf, cap)) {
		*certs = buf;
		*certs_len = cap;
		buf = NULL;
	}
	free(buf);
	return rc;
}
