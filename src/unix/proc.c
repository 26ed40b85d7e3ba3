/* Process trees on unix: the child leads its own session and process group
 * (UV_PROCESS_DETACHED makes libuv call setsid() in the child), so the
 * group id is the child's pid and kill(-pid, SIGKILL) reaches every process
 * that stayed in the group. See src/platform.h. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <uv.h>

#include "../common/common.h"
#include "../platform.h"

struct rimport__proc_tree {
  int pid;
};

unsigned int rimport__proc_spawn_flags(void) {
  return UV_PROCESS_DETACHED;
}

int rimport__proc_child_cwd(const char *cwd, rimport_buf *out) {
  rimport__buf_clear(out);
  return rimport__buf_puts(out, cwd);
}

unsigned long rimport__proc_spawn_os_error(void) {
  return 0;
}

int rimport__proc_tree_open(int pid, rimport__proc_tree **out) {
  rimport__proc_tree *tree = rimport__malloc(sizeof(*tree));
  *out = NULL;
  if (tree == NULL)
    return rimport__error_nomem();
  tree->pid = pid;
  *out = tree;
  return 0;
}

int rimport__proc_tree_kill(rimport__proc_tree *tree) {
  if (tree == NULL || tree->pid <= 0)
    return -1;
  /* The group outlives its leader while any member is alive, and Linux
   * does not reuse a pid that is still a group id, so this is safe after
   * the child was reaped. */
  if (kill(-(pid_t)tree->pid, SIGKILL) == 0)
    return 0;
  /* No group (e.g. setsid failed): the child alone. */
  if (kill((pid_t)tree->pid, SIGKILL) == 0)
    return 0;
  return -1;
}

int rimport__proc_tree_killed_it(const rimport__proc_tree *tree,
                                 int64_t exit_status) {
  (void)tree;
  (void)exit_status;
  return 0; /* waitpid reports the SIGKILL itself */
}

void rimport__proc_tree_close(rimport__proc_tree *tree) {
  rimport__free(tree);
}

int rimport__proc_alive(int pid) {
  char path[64], buf[512], *p;
  FILE *f;
  size_t n;
  if (pid <= 0)
    return 0;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 0;
  /* Linux: a zombie still answers kill(pid, 0); its state is 'Z'. */
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  f = fopen(path, "r");
  if (f == NULL)
    return 1;
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
  if (p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
    return 0;
  return 1;
}

int rimport__env_name_equal(const char *a, size_t alen, const char *b,
                            size_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}
