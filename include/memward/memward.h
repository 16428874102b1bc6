/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Umbrella header: includes every public libmemward header. */
#ifndef MEMWARD_MEMWARD_H
#define MEMWARD_MEMWARD_H

#include <memward/common.h>
#include <memward/features.h>
#include <memward/exec.h>
#include <memward/inspect.h>
#include <memward/secret.h>
#include <memward/memfd.h>
#include <memward/share.h>
#include <memward/audit.h>
#include <memward/policy.h>
#include <memward/container.h>
#include <memward/damon.h>
#include <memward/mglru.h>
#include <memward/memcg.h>
#include <memward/guard.h>

#endif
