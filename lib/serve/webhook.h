/*
 * serve/webhook.h - the admission webhook's HTTPS server: libevent's evhttp
 * over bufferevent_openssl, one event loop.  POST /mutate answers
 * AdmissionReviews (k8s/admission.c); /healthz, /readyz and /metrics serve
 * the kubelet and Prometheus.  The certificate and the policies are reloaded
 * when their files change; SIGTERM drains: not ready, then no new
 * connections, then the open ones finish.
 */
#ifndef AG_SERVE_WEBHOOK_H
#define AG_SERVE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "k8s/gate_plan.h"

struct ag_webhook_config {
	const char *listen;                     /* "ADDR:PORT" or "[V6]:PORT" */
	const char *cert_file, *key_file;       /* PEM chain and key (the mounted TLS Secret) */
	const char *policy_dir;                 /* the mounted policies ConfigMap */
	struct ag_inject_opts inject;           /* image, default policy, TPM access...; the policy callbacks are the server's */
	int max_connections;                    /* open connections at most; more wait in the kernel's backlog */
	size_t max_request_bytes;               /* larger bodies are refused (413) before they are read */
	int64_t request_timeout_ms;             /* each request: complete and answered within this of the connection's start or
						 * previous answer, else the connection is closed (idle keep-alive: 120 s) */
	int64_t reload_interval_ms;             /* how often the certificate and policy files are checked */
	int64_t shutdown_delay_ms;              /* after SIGTERM: still serving, /readyz 503, so endpoints drop the pod */
	int64_t shutdown_timeout_ms;            /* then: at most this long for open connections to finish */
};

/* Serves until SIGTERM or SIGINT and the drain; AG_ECONFIG when it cannot start (listen, certificate). */
enum ag_code ag_webhook_serve(const struct ag_webhook_config *cfg, struct ag_err *err);

#endif
