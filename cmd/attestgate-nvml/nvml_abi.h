/*
 * nvml_abi.h - the part of NVIDIA's NVML C API (NVML_API_VERSION 13) that
 * attestgate-nvml calls and the test emulation (test/emul/nvml_emul.c)
 * implements: the return type, the device handle, the confidential-
 * computing structures as NVML lays them out, and the entry points.
 * Declared here from the documented layout (docs/nvidia-gpu-design.md 4);
 * NVIDIA's headers are not used.
 */
#ifndef AG_NVML_ABI_H
#define AG_NVML_ABI_H

typedef int nvmlReturn_t;                        /* 0: success */
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_DEVICE_ARCH_HOPPER 9
#define NVML_DEVICE_ARCH_BLACKWELL 10
#define NVML_CC_FEATURE_ENABLED 1
#define NVML_CC_DEVTOOLS_ON 1
#define NVML_DRIVER_VERSION_LEN 80
#define NVML_VBIOS_VERSION_LEN 32
#define NVML_UUID_LEN 80
#define NVML_CC_NONCE_LEN 0x20
#define NVML_CC_REPORT_MAX 0x2000
#define NVML_CC_CHAIN_MAX 0x1400

typedef struct {
	unsigned int certChainSize;
	unsigned int attestationCertChainSize;
	unsigned char certChain[0x1000];
	unsigned char attestationCertChain[NVML_CC_CHAIN_MAX];
} nvmlConfComputeGpuCertificate_t;

typedef struct {
	unsigned int isCecAttestationReportPresent;
	unsigned int attestationReportSize;
	unsigned int cecAttestationReportSize;
	unsigned char nonce[NVML_CC_NONCE_LEN];          /* in: the caller's */
	unsigned char attestationReport[NVML_CC_REPORT_MAX];
	unsigned char cecAttestationReport[0x1000];
} nvmlConfComputeGpuAttestationReport_t;

typedef struct {
	unsigned int environment;
	unsigned int ccFeature;
	unsigned int devToolsMode;
} nvmlConfComputeSystemState_t;

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t rc);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev);
nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int len);
nvmlReturn_t nvmlDeviceGetVbiosVersion(nvmlDevice_t dev, char *buf, unsigned int len);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *buf, unsigned int len);
nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t dev, unsigned int *arch);
nvmlReturn_t nvmlSystemGetConfComputeState(nvmlConfComputeSystemState_t *st);
nvmlReturn_t nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t dev, nvmlConfComputeGpuCertificate_t *c);
nvmlReturn_t nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t dev, nvmlConfComputeGpuAttestationReport_t *r);

#endif
