#include "common.h"

#define RIMPORT_STR_(x) #x
#define RIMPORT_STR(x)  RIMPORT_STR_(x)

const char *rimport_version(void) {
  return RIMPORT_STR(RIMPORT_VERSION_MAJOR) "." RIMPORT_STR(
      RIMPORT_VERSION_MINOR) "." RIMPORT_STR(RIMPORT_VERSION_PATCH);
}

unsigned int rimport_version_hex(void) {
  return RIMPORT_VERSION_HEX;
}
