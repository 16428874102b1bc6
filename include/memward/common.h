/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MEMWARD_COMMON_H
#define MEMWARD_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

/* Every exported symbol carries MW_API; everything else is hidden
 * (-fvisibility=hidden plus the linker version map). */
#if defined(MW_BUILDING_LIBRARY)
#define MW_API __attribute__((visibility("default")))
#else
#define MW_API
#endif

#define MW_VERSION_MAJOR 0
#define MW_VERSION_MINOR 2
#define MW_VERSION_PATCH 0

/* The library's version string ("0.2.0"): may differ from the header's when
 * a program runs against a newer libmemward.so. */
MW_API const char *mw_version(void);

/*
 * Optional log callback. The library never prints; where a caller wants to
 * know why a fallback was taken, it installs a callback. level uses the
 * syslog numbers (LOG_ERR=3 .. LOG_DEBUG=7). NULL removes the callback.
 */
typedef void (*mw_log_fn)(int level, const char *msg, void *ctx);
MW_API void mw_set_log(mw_log_fn fn, void *ctx);

/* Name of an errno value ("ENOSYS"), or NULL when unknown. */
MW_API const char *mw_errno_name(int err);

#ifdef __cplusplus
}
#endif
#endif
