/**
 * @file rimport.h
 * @brief rimport: use Rust crates from Kayton cells.
 *
 * The umbrella header. The calls a front-end makes on every cell, in order:
 * rimport_parse (or descriptors of its own) → rimport_plan → (later stages:
 * build, load, register, cell compile) → run the cell.
 *
 * Conventions: functions return 0 or a negative RIMPORT_E* code, and the
 * detail of a failure is in rimport_error_last(). Every `_open`/`_new`
 * result has a `_close`/`_free`, and those accept NULL. Strings are UTF-8.
 */
#ifndef RIMPORT_H
#define RIMPORT_H

#include "rimport/common.h"
#include "rimport/parse.h"
#include "rimport/cell_split.h"
#include "rimport/session.h"
#include "rimport/plan.h"
#include "rimport/build.h"
#include "rimport/api.h"
#include "rimport/call.h"
#include "rimport/run.h"

#endif /* RIMPORT_H */
