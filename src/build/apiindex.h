/* The API index step of a plugin build (apiindex.c). */
#ifndef RIMPORT_SRC_BUILD_APIINDEX_H
#define RIMPORT_SRC_BUILD_APIINDEX_H

#include "../common/common.h"
#include "rustdoc.h"

/* After cargo built the plugin for `crate` (package `package` at
 * `version`): rustdoc JSON of the crate and of the crates whose items it
 * re-exports, read into the API index, written to <work_dir>/api.json;
 * *index_path (replaced) is that file. Anything that fails there is a
 * warning (progress phase WARNING) and *index_path is left empty: the
 * import works without an index. Returns 0, or RIMPORT_ECANCELED /
 * RIMPORT_ENOMEM, which end the build. */
int rimport__build_api_index(const rimport__rustdoc_job *rj, const char *crate,
                             const char *package, const char *version,
                             const char *work_dir, rimport_buf *index_path);

#endif
