#include <stdio.h>

#include "rimport.h"

int main(void) {
  printf("rimport %s\n", rimport_version());
  return 0;
}
