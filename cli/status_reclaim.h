/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MW_CLI_STATUS_RECLAIM_H
#define MW_CLI_STATUS_RECLAIM_H

#include <json-c/json.h>
#include <stdbool.h>

/* The reclaim section of memward status; probe = --damon-probe. */
void status_reclaim_text(bool probe);
void status_reclaim_json(json_object *root, bool probe);

#endif
