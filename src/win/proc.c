/* Process trees on Windows: libuv has no job support, so the child is put
 * into a Job Object right after uv_spawn returns and the tree is killed
 * with TerminateJobObject. Without a job (creation or assignment failed),
 * TerminateProcess stops the child alone. See src/platform.h. */
/* uv.h first: it includes winsock2.h, which must come before windows.h. */
#include <uv.h>
#include <windows.h>
#include <string.h>

#include "../common/common.h"
#include "../platform.h"
#include "win.h"

/* The exit code a kill gives every process it ends (uv_process_kill's). */
#define KILL_EXIT_CODE 1

struct rimport__proc_tree {
  int pid;
  HANDLE job;     /* NULL when the child could not be put into a job */
  HANDLE process; /* for the fallback; NULL if it could not be opened */
  int killed;     /* a kill was sent while the child still ran */
};

unsigned int rimport__proc_spawn_flags(void) {
  /* No console window for the child; it stays in our console group. */
  return UV_PROCESS_WINDOWS_HIDE;
}

/* The longest directory CreateProcess starts a program in (as
 * SetCurrentDirectory: MAX_PATH - 2, the separator it appends included). */
#define CWD_MAX (MAX_PATH - 2)

int rimport__proc_child_cwd(const char *cwd, rimport_buf *out) {
  wchar_t *w, shortw[MAX_PATH];
  char *s = NULL;
  size_t wlen;
  DWORD n = 0;
  int nomem = 0, rc;
  rimport__buf_clear(out);
  if ((w = rimport__win_utf16(cwd, &nomem)) == NULL)
    return nomem ? rimport__error_nomem()
                 : rimport__error_set(RIMPORT_EINVAL,
                                      "the working directory \"%s\" is not "
                                      "valid UTF-8",
                                      cwd);
  wlen = wcslen(w);
  if (wlen < CWD_MAX) {
    rimport__free(w);
    return rimport__buf_puts(out, cwd);
  }
  n = GetShortPathNameW(w, shortw, MAX_PATH);
  rimport__free(w);
  if (n > 0 && n < CWD_MAX) {
    if ((s = rimport__win_utf8(shortw, (int)n)) == NULL)
      return rimport__error_nomem();
    rc = rimport__buf_puts(out, s);
    rimport__free(s);
    return rc;
  }
  return rimport__error_set(
      RIMPORT_EINVAL,
      "cannot start a program in \"%s\": its path is %zu characters long, "
      "and Windows starts programs only in directories under %d (MAX_PATH), "
      "which its short (8.3) name does not fit either (8.3 names may be off "
      "on that volume); use a cache directory with a shorter path "
      "(--cache-dir, RIMPORT_CACHE_DIR)",
      cwd, wlen, CWD_MAX);
}

unsigned long rimport__proc_spawn_os_error(void) {
  return (unsigned long)GetLastError();
}

int rimport__proc_tree_open(int pid, rimport__proc_tree **out) {
  rimport__proc_tree *tree = rimport__calloc(1, sizeof(*tree));
  *out = NULL;
  if (tree == NULL)
    return rimport__error_nomem();
  tree->pid = pid;
  tree->process =
      OpenProcess(PROCESS_TERMINATE | PROCESS_SET_QUOTA |
                      PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE,
                  FALSE, (DWORD)pid);
  if (tree->process != NULL) {
    tree->job = CreateJobObjectW(NULL, NULL);
    if (tree->job != NULL &&
        !AssignProcessToJobObject(tree->job, tree->process)) {
      CloseHandle(tree->job);
      tree->job = NULL;
    }
  }
  *out = tree;
  return 0;
}

int rimport__proc_tree_kill(rimport__proc_tree *tree) {
  int running;
  if (tree == NULL)
    return -1;
  running = tree->process != NULL &&
            WaitForSingleObject(tree->process, 0) == WAIT_TIMEOUT;
  if ((tree->job != NULL && TerminateJobObject(tree->job, KILL_EXIT_CODE)) ||
      (tree->process != NULL &&
       TerminateProcess(tree->process, KILL_EXIT_CODE))) {
    if (running)
      tree->killed = 1;
    return 0;
  }
  return -1;
}

int rimport__proc_tree_killed_it(const rimport__proc_tree *tree,
                                 int64_t exit_status) {
  return tree != NULL && tree->killed && exit_status == KILL_EXIT_CODE;
}

void rimport__proc_tree_close(rimport__proc_tree *tree) {
  if (tree == NULL)
    return;
  if (tree->job != NULL)
    CloseHandle(tree->job);
  if (tree->process != NULL)
    CloseHandle(tree->process);
  rimport__free(tree);
}

int rimport__proc_alive(int pid) {
  HANDLE h;
  DWORD code = 0;
  int alive;
  if (pid <= 0)
    return 0;
  h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
  if (h == NULL)
    return 0;
  alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
  CloseHandle(h);
  return alive;
}

int rimport__env_name_equal(const char *a, size_t alen, const char *b,
                            size_t blen) {
  return alen == blen && _strnicmp(a, b, alen) == 0;
}
