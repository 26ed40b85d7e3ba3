/* Compiled alone with -Wall -Wextra -pedantic -Werror: the public headers
 * (rimport.h, and kayton_api.h for plugins' hosts) need nothing else. */
/* First, so that it is proven to need nothing before it. */
#include "kayton_api.h"
#include "rimport.h"

int rimport_headertest(void);
int rimport_headertest(void) {
  rimport_session_options opts = RIMPORT_SESSION_OPTIONS_INIT;
  rimport_plan_options popts = RIMPORT_PLAN_OPTIONS_INIT;
  rimport_buf buf = RIMPORT_BUF_INIT;
  (void)buf;
  KaytonContext ctx = {sizeof(KaytonContext), KAYTON_API_ABI_VERSION, 0, 0};
  (void)ctx;
  return (int)opts.version + (int)popts.version;
}
