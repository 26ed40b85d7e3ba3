/* The session as the stages see it: the opaque handle of the public API
 * and the parts it hands out. `struct rimport_session` is known only to
 * session.c, at the top of the layering (see "Layout" in the README);
 * this header sits at the bottom beside common/ — it includes nothing else
 * and only forward-declares the parts, each of which its own stage defines.
 *
 * A stage's public call (rimport_plan in src/plan, rimport_build in
 * src/build, rimport_load in src/load, rimport_cell_compile in src/cell)
 * takes the parts it uses here and hands them to the stage's internal
 * functions, which never see the session. Every part exists from
 * rimport_session_open to rimport_session_close; the getters cannot fail
 * for a session that is open. */
#ifndef RIMPORT_SRC_SESSION_H
#define RIMPORT_SRC_SESSION_H

#include <stdatomic.h>

#include "common/common.h"

struct rimport__stack;
struct rimport__plan_state;
struct rimport__loader;
struct rimport__vm;
struct rimport__cell_state;
struct rimport__api_state;
struct rimport__dyncall_memo;

/* The options the session was opened with. Strings point at the session's
 * own copies; `cache_dir` is absolute and exists. */
const rimport_session_options *
rimport__session_options(const rimport_session *session);

/* The plugins built or found so far, in stack order (src/stack). */
struct rimport__stack *rimport__session_stack(rimport_session *session);

/* What earlier plans fixed for each crate (src/plan). */
struct rimport__plan_state *rimport__session_plans(rimport_session *session);

/* What the session has loaded (src/load). */
struct rimport__loader *rimport__session_loader(rimport_session *session);

/* The reference VM, or NULL when the host gave its own context. */
struct rimport__vm *rimport__session_vm(rimport_session *session);

/* Names in scope for cells, the cell counter (src/cell). */
struct rimport__cell_state *rimport__session_cells(rimport_session *session);

/* The API indexes read so far and the names cells bind (src/api). */
struct rimport__api_state *rimport__session_api(rimport_session *session);

/* What the session's dynamic calls remember (src/dyncall). */
struct rimport__dyncall_memo *
rimport__session_dyncall(rimport_session *session);

/* Set by rimport_cancel from any thread; a build clears it when it starts,
 * child processes are killed when it is set. */
atomic_int *rimport__session_cancel(rimport_session *session);

#endif
