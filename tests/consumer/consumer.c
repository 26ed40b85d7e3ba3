#include <rimport.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  static const char cell[] = "rimport serde\nx = 1\n";
  rimport_imports *imps = NULL;
  if (rimport_parse(cell, strlen(cell), &imps) != 0 ||
      rimport_imports_count(imps) != 1) {
    fprintf(stderr, "parse failed\n");
    return 1;
  }
  printf("rimport %s: %s\n", rimport_version(),
         rimport_imports_array(imps)[0].crate);
  rimport_imports_free(imps);
  return 0;
}
