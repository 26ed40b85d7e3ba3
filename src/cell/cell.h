/* The cell stage's part of the session (load, register, compile, run). */
#ifndef RIMPORT_SRC_CELL_H
#define RIMPORT_SRC_CELL_H

#include "kayton_api.h"
#include "../session.h"
#include "../build/cargo.h"

/* Frees the session's cells, VM (running every kept value's drop) and
 * loader bookkeeping (libraries stay loaded). */
void rimport__cell_session_free(rimport_session *session);

#endif
