/* Compiled alone with -Wall -Wextra -pedantic -Werror: the public header
 * needs nothing else. */
#include "rimport.h"

extern "C++" int rimport_headertest_cxx();
int rimport_headertest_cxx() {
  rimport_options opts = RIMPORT_OPTIONS_INIT;
  rimport_plan_options popts = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_buf buf = RIMPORT_BUF_INIT;
  (void)buf;
  return (int)opts.version + (int)popts.version;
}
