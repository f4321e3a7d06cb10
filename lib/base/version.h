/*
 * base/version.h - the attestgate version, reported by `attestgate version`,
 * in status.json and in the User-Agent of every request.
 */
#ifndef AG_VERSION_H
#define AG_VERSION_H

#define AG_VERSION "0.1.0"
#define AG_VERSION_STRING "attestgate " AG_VERSION

#endif
