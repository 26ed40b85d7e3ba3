/* The build stage's part of the session. */
#ifndef RIMPORT_SRC_BUILD_H
#define RIMPORT_SRC_BUILD_H

#include "../session.h"

/* Frees the session's stack records (session close). */
void rimport__build_session_free(rimport_session *session);

#endif
