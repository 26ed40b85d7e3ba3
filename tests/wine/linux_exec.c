/* linux_exec: a Windows (PE, x86_64) program that runs a Linux program
 * under wine, for the tests only (DESIGN.md fact 15). A wine program cannot
 * start a Linux one itself (CreateProcessW of an ELF gives no process
 * handle, uv_spawn finds no such file); this one makes the Linux system
 * calls itself (the `syscall` instruction: pipe2, fork, execve, poll,
 * wait4), pumps the child's stdout and stderr to its own Windows standard
 * handles and exits with the child's status. Started by uv_spawn like any
 * Windows program, it stands in for cargo.exe, rustc.exe, … in tests.
 *
 * Which Linux program: the shim's own file name, without its directory and
 * a ".exe" suffix, is <name> (copy it as cargo.exe: <name> is "cargo").
 * <NAME> is <name> in upper case with every character other than A-Z and
 * 0-9 made '_' (cargo-clippy: CARGO_CLIPPY). The program is, first found:
 *   1. the environment variable RIMPORT_LINUX_<NAME> (a Unix path; a
 *      Windows absolute path there is translated as below);
 *   2. the first directory of RIMPORT_LINUX_PATH (a Unix PATH, ':'
 *      separated) that holds an executable <name>;
 *   3. /usr/bin/<name>.
 * Named linux_exec itself, the first argument is the program (a path, or a
 * name looked up as in 2 and 3) and the rest are its arguments.
 *
 * Arguments (from GetCommandLineW, split by CommandLineToArgvW, as UTF-8)
 * and environment values (GetEnvironmentStringsW; "=C:"-style entries are
 * dropped) are translated by these rules, with kernel32's
 * wine_get_unix_file_name ('/' made '\\' first; a path it cannot translate
 * is kept as it is):
 *   - a Windows absolute path, "X:\…" or "X:/…", becomes the Unix path;
 *   - a list separated by ';' in which at least one element is a Windows
 *     absolute path becomes the ':'-separated list of the elements, each
 *     path among them translated (the others kept);
 *   - an argument (not an environment value) "X:\a=B" whose part before
 *     its first '=' is a Windows absolute path has that part translated,
 *     and B by the two rules above (--remap-path-prefix X:\a=X:\b);
 *   - another argument that is not a single path and holds '=' has the
 *     part after its first '=' translated by the two rules above, or as a
 *     TOML string holding a path ("k=\"X:\\\\d\""), when one applies
 *     there: "--out-dir=X:\o",
 *     "-Ldependency=X:\d;X:\e", "NAME=X:\p" (a --config value); when
 *     none does, the list rule applies to the whole argument.
 * A translated path that names a stand-in, <this program's directory>/
 * <name>.exe, becomes the Linux program that stand-in runs (cargo given
 * RUSTC=X:\…\rustc.exe runs the Linux rustc).
 * PATH: the child's is RIMPORT_LINUX_PATH when that is set, else the
 * translated Windows PATH followed by ":/usr/local/bin:/usr/bin:/bin".
 *
 * RIMPORT_LINUX_EXEC_LOG, when set, names a Windows file to which each
 * start appends a line "<name> <Linux program>".
 *
 * Output: the child's stdout and stderr, line by line, with its absolute
 * Unix paths written as wine's Z: paths ("/usr/lib/x" → "Z:/usr/lib/x";
 * see put_line for which '/' starts a path), so that a Windows program
 * reading cargo's JSON messages, `rustc --print sysroot` or a diagnostic
 * gets paths it can open. Nothing is changed when Z: is not the Unix root.
 *
 * The child: stdin is /dev/null; stdout and stderr are pipes that this
 * program reads; it leads a process group of its own, which its children
 * (cargo's rustc and build scripts) join. When this program dies (a job
 * object or TerminateProcess ends it, as rimport's time limit and cancel
 * do), the whole group gets SIGKILL, as a job object would end a Windows
 * tree: the child at once (PR_SET_PDEATHSIG), the rest through a watcher,
 * a second Linux process forked here that waits on a pipe only this
 * program holds and kills the group when the pipe reaches end-of-file
 * without this program's word that the child has ended.
 * The child has other descriptors closed (close_range).
 * Between fork and execve only raw system calls run. When execve fails it
 * says so on stderr and exits 127. This program exits with the child's
 * exit status, or 128 + the signal that ended it; 127 when the program
 * cannot be found or started. */
#if !defined(__x86_64__)
#error "linux_exec is for x86_64 only"
#endif

#include <windows.h>

#include <shellapi.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- Linux syscalls
 * (long long: Windows' long is 32 bits) */

enum {
  L_READ = 0,
  L_WRITE = 1,
  L_OPEN = 2,
  L_CLOSE = 3,
  L_POLL = 7,
  L_ACCESS = 21,
  L_DUP2 = 33,
  L_GETPID = 39,
  L_FORK = 57,
  L_EXECVE = 59,
  L_EXIT = 60,
  L_WAIT4 = 61,
  L_KILL = 62,
  L_SETPGID = 109,
  L_GETPPID = 110,
  L_PRCTL = 157,
  L_PIPE2 = 293,
  L_CLOSE_RANGE = 436
};

enum {
  L_EINTR = 4,
  L_EAGAIN = 11,
  L_O_CLOEXEC = 0x80000,
  L_PR_SET_PDEATHSIG = 1,
  L_SIGKILL = 9,
  L_X_OK = 1,
  L_POLLIN = 1
};

struct l_pollfd {
  int fd;
  short events;
  short revents;
};

static inline long long lsys(long long n, long long a1, long long a2,
                             long long a3, long long a4) {
  long long ret;
  register long long r10 __asm__("r10") = a4;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

#define lsys0(n)       lsys((n), 0, 0, 0, 0)
#define lsys1(n, a)    lsys((n), (long long)(a), 0, 0, 0)
#define lsys2(n, a, b) lsys((n), (long long)(a), (long long)(b), 0, 0)
#define lsys3(n, a, b, c)                                                      \
  lsys((n), (long long)(a), (long long)(b), (long long)(c), 0)
#define lsys4(n, a, b, c, d)                                                   \
  lsys((n), (long long)(a), (long long)(b), (long long)(c), (long long)(d))

/* ------------------------------------------------------------- strings */

static void die(const char *msg) {
  HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
  DWORD n;
  if (h != NULL && h != INVALID_HANDLE_VALUE) {
    WriteFile(h, "linux_exec: ", 12, &n, NULL);
    WriteFile(h, msg, (DWORD)strlen(msg), &n, NULL);
    WriteFile(h, "\n", 1, &n, NULL);
  }
  ExitProcess(127);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

/* a + b + c, newly allocated */
static char *cat3(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *r = xmalloc(la + lb + lc + 1);
  memcpy(r, a, la);
  memcpy(r + la, b, lb);
  memcpy(r + la + lb, c, lc + 1);
  return r;
}

static char *utf8_of(const WCHAR *w, int wlen) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL, NULL);
  char *s = xmalloc((size_t)n + 1);
  if (n > 0)
    WideCharToMultiByte(CP_UTF8, 0, w, wlen, s, n, NULL, NULL);
  s[n] = '\0';
  return s;
}

/* ---------------------------------------------------------- translation */

typedef char *(CDECL *unix_name_fn)(const WCHAR *dos);
static unix_name_fn unix_name;

static int is_win_abs(const char *s, size_t len) {
  return len >= 3 &&
         ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) &&
         s[1] == ':' && (s[2] == '\\' || s[2] == '/');
}

static char *program_for(const char *name);
static char *self_dir; /* this program's directory, as a Unix path */

/* A Unix path naming a stand-in (<self_dir>/<name>.exe, any case): the
 * Linux program <name> stands for (newly allocated), else NULL. A Linux
 * program given the path of a stand-in (RUSTC=X:\…\rustc.exe for cargo)
 * runs the Linux program itself. */
static char *stand_in_target(const char *unix_path) {
  size_t n = self_dir ? strlen(self_dir) : 0, len = strlen(unix_path);
  const char *base = unix_path + n + 1;
  char *name, *r;
  if (n == 0 || len <= n + 5 || strncmp(unix_path, self_dir, n) != 0 ||
      unix_path[n] != '/' || strchr(base, '/') != NULL ||
      _stricmp(unix_path + len - 4, ".exe") != 0)
    return NULL;
  name = xstrdup(base);
  name[strlen(name) - 4] = '\0';
  r = program_for(name);
  free(name);
  return r;
}

/* s[0..len) (a Windows absolute path) as a Unix path, newly allocated;
 * itself when wine cannot translate it. */
static char *translate_path_only(const char *s, size_t len) {
  char *copy = xmalloc(len + 1), *r;
  WCHAR *w;
  int wn;
  size_t i;
  memcpy(copy, s, len);
  copy[len] = '\0';
  if (unix_name == NULL)
    return copy;
  for (i = 0; i < len; i++)
    if (copy[i] == '/')
      copy[i] = '\\';
  wn = MultiByteToWideChar(CP_UTF8, 0, copy, -1, NULL, 0);
  w = xmalloc(sizeof(WCHAR) * (size_t)(wn > 0 ? wn : 1));
  w[0] = 0;
  MultiByteToWideChar(CP_UTF8, 0, copy, -1, w, wn);
  r = unix_name(w);
  free(w);
  if (r == NULL) {
    memcpy(copy, s, len); /* the '/' as they were */
    return copy;
  }
  free(copy);
  copy = xstrdup(r);
  HeapFree(GetProcessHeap(), 0, r);
  return copy;
}

/* translate_path_only, and a stand-in's path made its Linux program's. */
static char *translate_path(const char *s, size_t len) {
  char *u = translate_path_only(s, len), *prog = stand_in_target(u);
  if (prog == NULL)
    return u;
  free(u);
  return prog;
}

/* The first two rules: a path, or a ';' list holding one. NULL when
 * neither applies. */
static char *translate_value(const char *s) {
  size_t len = strlen(s);
  const char *p, *end;
  int any = 0;
  char *out;
  if (strchr(s, ';') == NULL)
    return is_win_abs(s, len) ? translate_path(s, len) : NULL;
  for (p = s;; p = end + 1) {
    end = strchr(p, ';');
    if (end == NULL)
      end = s + len;
    if (is_win_abs(p, (size_t)(end - p)))
      any = 1;
    if (*end == '\0')
      break;
  }
  if (!any)
    return NULL;
  out = xstrdup("");
  for (p = s;; p = end + 1) {
    char *part, *next;
    end = strchr(p, ';');
    if (end == NULL)
      end = s + len;
    if (is_win_abs(p, (size_t)(end - p))) {
      part = translate_path(p, (size_t)(end - p));
    } else {
      part = xmalloc((size_t)(end - p) + 1);
      memcpy(part, p, (size_t)(end - p));
      part[end - p] = '\0';
    }
    next = cat3(out, p != s ? ":" : "", part);
    free(out);
    free(part);
    out = next;
    if (*end == '\0')
      break;
  }
  return out;
}

/* A TOML basic string ("…", escapes \\ and \") holding a Windows
 * absolute path: the same string holding the Unix path; else NULL. */
static char *translate_toml_string(const char *v) {
  size_t n = strlen(v), i, j = 0;
  char *u, *t, *r;
  if (n < 2 || v[0] != '"' || v[n - 1] != '"')
    return NULL;
  u = xmalloc(n);
  for (i = 1; i + 1 < n; i++) {
    if (v[i] == '\\') {
      if (i + 2 >= n || (v[i + 1] != '\\' && v[i + 1] != '"')) {
        free(u);
        return NULL;
      }
      i++;
    }
    u[j++] = v[i];
  }
  u[j] = '\0';
  if (!is_win_abs(u, j)) {
    free(u);
    return NULL;
  }
  t = translate_path(u, j);
  free(u);
  r = xmalloc(2 * strlen(t) + 3);
  j = 0;
  r[j++] = '"';
  for (i = 0; t[i]; i++) {
    if (t[i] == '\\' || t[i] == '"')
      r[j++] = '\\';
    r[j++] = t[i];
  }
  r[j++] = '"';
  r[j] = '\0';
  free(t);
  return r;
}

/* An argument: a single path; else, when it holds '=', the part after the
 * first '=' when that translates (a path, a list, or a TOML string holding
 * a path: --config source.x.directory="X:\\d"); else the list rule. */
static char *translate_arg(const char *s) {
  char *t;
  const char *eq;
  eq = strchr(s, '=');
  if (eq != NULL && is_win_abs(s, (size_t)(eq - s)) &&
      memchr(s, ';', (size_t)(eq - s)) == NULL) {
    /* "X:\from=X:\to" (--remap-path-prefix): both sides */
    char *head = translate_path(s, (size_t)(eq - s)), *r;
    if ((t = translate_value(eq + 1)) == NULL)
      t = xstrdup(eq + 1);
    r = cat3(head, "=", t);
    free(head);
    free(t);
    return r;
  }
  if (strchr(s, ';') == NULL && is_win_abs(s, strlen(s)))
    return translate_path(s, strlen(s));
  if (eq != NULL && ((t = translate_value(eq + 1)) != NULL ||
                     (t = translate_toml_string(eq + 1)) != NULL)) {
    char *head = xmalloc((size_t)(eq - s) + 2), *r;
    memcpy(head, s, (size_t)(eq - s) + 1);
    head[eq - s + 1] = '\0';
    r = cat3(head, t, "");
    free(head);
    free(t);
    return r;
  }
  t = translate_value(s);
  return t != NULL ? t : xstrdup(s);
}

/* ---------------------------------------------------------- the program */

static int executable(const char *path) {
  return lsys2(L_ACCESS, path, L_X_OK) == 0;
}

/* <name> looked up in the ':' list `path` (may be NULL), else /usr/bin. */
static char *look_up(const char *name, const char *path) {
  const char *p, *end;
  char *cand;
  if (path != NULL) {
    for (p = path;; p = end + 1) {
      char *dir;
      end = strchr(p, ':');
      if (end == NULL)
        end = p + strlen(p);
      if (end > p) {
        dir = xmalloc((size_t)(end - p) + 1);
        memcpy(dir, p, (size_t)(end - p));
        dir[end - p] = '\0';
        cand = cat3(dir, "/", name);
        free(dir);
        if (executable(cand))
          return cand;
        free(cand);
      }
      if (*end == '\0')
        break;
    }
  }
  return cat3("/usr/bin/", name, "");
}

/* The Windows environment variable `name` as UTF-8 (newly allocated), or
 * NULL when it is not set. */
static char *win_getenv(const char *name) {
  WCHAR wname[128], *w;
  DWORD n;
  char *r;
  int i;
  for (i = 0; name[i] && i < 127; i++)
    wname[i] = (WCHAR)(unsigned char)name[i];
  wname[i] = 0;
  n = GetEnvironmentVariableW(wname, NULL, 0);
  if (n == 0)
    return NULL;
  w = xmalloc(sizeof(WCHAR) * n);
  n = GetEnvironmentVariableW(wname, w, n);
  r = utf8_of(w, (int)n);
  free(w);
  return r;
}

/* The Linux program the stand-in <name> runs (see the top): newly
 * allocated. */
static char *program_for(const char *name) {
  char *envname = cat3("RIMPORT_LINUX_", name, ""), *p, *val, *r;
  for (p = envname + 14; *p; p++) {
    if (*p >= 'a' && *p <= 'z')
      *p = (char)(*p - 'a' + 'A');
    else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
      *p = '_';
  }
  val = win_getenv(envname);
  free(envname);
  if (val != NULL && *val) {
    r = is_win_abs(val, strlen(val)) ? translate_path_only(val, strlen(val))
                                     : xstrdup(val);
  } else {
    char *path = win_getenv("RIMPORT_LINUX_PATH");
    r = look_up(name, path);
    free(path);
  }
  free(val);
  return r;
}

/* The environment entry NAME's value in envp (names compared without
 * case, as Windows does), or NULL. */
static const char *env_get(char **envp, const char *name) {
  size_t n = strlen(name);
  for (; *envp != NULL; envp++)
    if (_strnicmp(*envp, name, n) == 0 && (*envp)[n] == '=')
      return *envp + n + 1;
  return NULL;
}

/* ------------------------------------------------------------ the pump */

static void forward(HANDLE h, const char *buf, long long n) {
  DWORD done;
  while (n > 0 && h != NULL && h != INVALID_HANDLE_VALUE) {
    if (!WriteFile(h, buf, (DWORD)n, &done, NULL) || done == 0)
      return; /* the reader went away: drain and drop */
    buf += done;
    n -= (long long)done;
  }
}

/* Output: the Linux program's absolute paths made Windows ones, "Z:" put
 * before them (wine's Z: is the Unix root; checked at the start, else
 * nothing is changed), so that a Windows reader of cargo's JSON messages,
 * `rustc --print sysroot` or a diagnostic gets paths it can open. A path
 * here is a '/' at the start of a line or after one of `"' =(,[` and
 * before a name whose top directory exists ("/usr/…", "/tmp/…"), so that
 * "12/87", "a // b" and URLs are left alone. Lines ('\n' or '\r' ended)
 * are translated whole; a line longer than the buffer goes out as it is. */
static int z_is_root;

typedef struct out_stream {
  HANDLE h;
  char buf[1 << 16];
  size_t len;
} out_stream;

static int name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '+';
}

/* Is "/<s[0..n)>" an existing file or directory? (a few answers kept) */
static int top_exists(const char *s, size_t n) {
  static char seen[32][64];
  static int answer[32], count;
  char path[66];
  int i;
  if (n == 0 || n > 62)
    return 0;
  for (i = 0; i < count; i++)
    if (strlen(seen[i]) == n && memcmp(seen[i], s, n) == 0)
      return answer[i];
  path[0] = '/';
  memcpy(path + 1, s, n);
  path[n + 1] = '\0';
  i = lsys2(L_ACCESS, path, 0) == 0;
  if (count < 32) {
    memcpy(seen[count], s, n);
    seen[count][n] = '\0';
    answer[count++] = i;
  }
  return i;
}

static void put_line(HANDLE h, const char *s, size_t n) {
  size_t i, from = 0, top;
  if (!z_is_root) {
    forward(h, s, (long long)n);
    return;
  }
  for (i = 0; i < n; i++) {
    if (s[i] != '/' || (i > 0 && !strchr("\"' =(,[", s[i - 1])))
      continue;
    for (top = 0; i + 1 + top < n && name_char(s[i + 1 + top]); top++)
      ;
    if (top == 0 || !top_exists(s + i + 1, top))
      continue;
    forward(h, s + from, (long long)(i - from));
    forward(h, "Z:", 2);
    from = i;
  }
  forward(h, s + from, (long long)(n - from));
}

/* Takes n more bytes (n == 0: the end) and writes out the whole lines. */
static void out_feed(out_stream *o, const char *data, size_t n) {
  size_t i, start = 0;
  if (n == 0) {
    put_line(o->h, o->buf, o->len);
    o->len = 0;
    return;
  }
  while (n > 0) {
    size_t take = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
    memcpy(o->buf + o->len, data, take);
    o->len += take;
    data += take;
    n -= take;
    start = 0;
    for (i = 0; i < o->len; i++)
      if (o->buf[i] == '\n' || o->buf[i] == '\r') {
        put_line(o->h, o->buf + start, i + 1 - start);
        start = i + 1;
      }
    if (start == 0 && o->len == sizeof(o->buf)) {
      forward(o->h, o->buf, (long long)o->len); /* a line too long */
      start = o->len;
    }
    memmove(o->buf, o->buf + start, o->len - start);
    o->len -= start;
  }
}

int main(void) {
  WCHAR modw[MAX_PATH * 4];
  DWORD modn;
  char *mod, *base, *dot, *name, *prog = NULL, *execmsg;
  const char *linux_path;
  LPWSTR *wargv;
  int wargc, i, first_arg = 1;
  char **argv, **envp;
  size_t envc = 0, e;
  WCHAR *wenv, *we;
  int out_pipe[2], err_pipe[2], watch_pipe[2];
  long long pid, watcher, parent, r;
  out_stream *outs;
  struct l_pollfd fds[2];
  char buf[65536];
  int status = 0, open_fds;

  unix_name = (unix_name_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleW(L"kernel32"), "wine_get_unix_file_name");
  if (unix_name == NULL)
    die("not running under wine (no wine_get_unix_file_name)");
  {
    char *root = translate_path_only("Z:\\", 3);
    z_is_root = strcmp(root, "/") == 0;
    free(root);
  }
  outs = xmalloc(sizeof(out_stream) * 2);
  outs[0].h = GetStdHandle(STD_OUTPUT_HANDLE);
  outs[1].h = GetStdHandle(STD_ERROR_HANDLE);
  outs[0].len = outs[1].len = 0;

  /* <name>: this file's name without directory and ".exe" */
  modn = GetModuleFileNameW(NULL, modw, sizeof(modw) / sizeof(modw[0]));
  if (modn == 0 || modn >= sizeof(modw) / sizeof(modw[0]))
    die("cannot get its own file name");
  mod = utf8_of(modw, (int)modn);
  base = mod;
  for (dot = mod; *dot; dot++)
    if (*dot == '\\' || *dot == '/')
      base = dot + 1;
  if (base > mod) {
    char sep = base[-1];
    base[-1] = '\0';
    self_dir = translate_path_only(mod, strlen(mod));
    base[-1] = sep;
  }
  dot = strrchr(base, '.');
  if (dot != NULL && _stricmp(dot, ".exe") == 0)
    *dot = '\0';
  name = base;

  /* the environment, translated */
  wenv = GetEnvironmentStringsW();
  for (we = wenv; we != NULL && *we; we += wcslen(we) + 1)
    envc++;
  envp = xmalloc(sizeof(char *) * (envc + 2));
  e = 0;
  for (we = wenv; we != NULL && *we; we += wcslen(we) + 1) {
    char *entry, *eq, *t;
    if (we[0] == L'=')
      continue; /* "=C:=C:\…": per-drive directories */
    entry = utf8_of(we, (int)wcslen(we));
    eq = strchr(entry, '=');
    if (eq != NULL && (t = translate_value(eq + 1)) != NULL) {
      eq[1] = '\0';
      envp[e] = cat3(entry, t, "");
      free(entry);
      free(t);
    } else {
      envp[e] = entry;
    }
    e++;
  }
  envp[e] = NULL;
  if (wenv != NULL)
    FreeEnvironmentStringsW(wenv);

  /* PATH: RIMPORT_LINUX_PATH, else the Windows one and the usual dirs */
  linux_path = env_get(envp, "RIMPORT_LINUX_PATH");
  for (e = 0; envp[e] != NULL; e++)
    if (_strnicmp(envp[e], "PATH=", 5) == 0)
      break;
  if (linux_path != NULL) {
    if (envp[e] == NULL)
      envp[e + 1] = NULL;
    envp[e] = cat3("PATH=", linux_path, "");
  } else if (envp[e] != NULL) {
    char *p = cat3("PATH=", envp[e] + 5, ":/usr/local/bin:/usr/bin:/bin");
    envp[e] = p;
  } else {
    envp[e] = xstrdup("PATH=/usr/local/bin:/usr/bin:/bin");
    envp[e + 1] = NULL;
  }

  /* the arguments */
  wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
  if (wargv == NULL)
    die("cannot split its command line");

  /* the program */
  if (_stricmp(name, "linux_exec") == 0) {
    char *first;
    if (wargc < 2)
      die("usage: linux_exec <linux program> <args>...");
    first = utf8_of(wargv[1], -1);
    first_arg = 2;
    if (is_win_abs(first, strlen(first)))
      prog = translate_path(first, strlen(first));
    else if (strchr(first, '/') != NULL)
      prog = xstrdup(first);
    else
      prog = look_up(first, linux_path);
    free(first);
  } else {
    prog = program_for(name);
  }

  argv = xmalloc(sizeof(char *) * ((size_t)wargc + 2));
  argv[0] = prog;
  for (i = first_arg; i < wargc; i++) {
    char *a = utf8_of(wargv[i], -1);
    argv[i - first_arg + 1] = translate_arg(a);
    free(a);
  }
  argv[wargc - first_arg + 1] = NULL;
  LocalFree(wargv);

  /* RIMPORT_LINUX_EXEC_LOG: a Windows file to which each start appends
   * "<name> <program>\n" (the tests count the tools a run starts). */
  {
    char *log = win_getenv("RIMPORT_LINUX_EXEC_LOG");
    if (log != NULL && *log) {
      int wn = MultiByteToWideChar(CP_UTF8, 0, log, -1, NULL, 0);
      WCHAR *w = xmalloc(sizeof(WCHAR) * (size_t)(wn > 0 ? wn : 1));
      HANDLE h;
      w[0] = 0;
      MultiByteToWideChar(CP_UTF8, 0, log, -1, w, wn);
      h = CreateFileW(w, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE,
                      NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
      if (h != INVALID_HANDLE_VALUE) {
        char *line = cat3(name, " ", prog), *nl = cat3(line, "\n", "");
        DWORD done;
        WriteFile(h, nl, (DWORD)strlen(nl), &done, NULL);
        CloseHandle(h);
        free(line);
        free(nl);
      }
      free(w);
    }
    free(log);
  }

  execmsg = cat3("linux_exec: cannot execute ", prog, "\n");

  /* spawn */
  if (lsys2(L_PIPE2, out_pipe, L_O_CLOEXEC) != 0 ||
      lsys2(L_PIPE2, err_pipe, L_O_CLOEXEC) != 0 ||
      lsys2(L_PIPE2, watch_pipe, L_O_CLOEXEC) != 0)
    die("pipe2 failed");
  parent = lsys0(L_GETPID);
  pid = lsys0(L_FORK);
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    /* the child: raw system calls only */
    long long devnull;
    const char *m;
    long long len = 0;
    lsys2(L_PRCTL, L_PR_SET_PDEATHSIG, L_SIGKILL);
    if (lsys0(L_GETPPID) != parent)
      lsys1(L_EXIT, 127); /* the parent died already */
    lsys2(L_SETPGID, 0, 0);
    lsys2(L_DUP2, out_pipe[1], 1);
    lsys2(L_DUP2, err_pipe[1], 2);
    devnull = lsys2(L_OPEN, "/dev/null", 0);
    if (devnull >= 0 && devnull != 0) {
      lsys2(L_DUP2, devnull, 0);
    }
    /* everything else wine had open (dup2 cleared CLOEXEC on 0-2) */
    lsys3(L_CLOSE_RANGE, 3, ~0U, 0);
    lsys3(L_EXECVE, prog, argv, envp);
    for (m = execmsg; *m; m++)
      len++;
    lsys3(L_WRITE, 2, execmsg, len);
    lsys1(L_EXIT, 127);
  }
  lsys2(L_SETPGID, pid, pid); /* either may run first */
  watcher = lsys0(L_FORK);
  if (watcher == 0) {
    /* the watcher: raw system calls only; nothing of wine's kept open */
    char c;
    lsys2(L_DUP2, watch_pipe[0], 0);
    lsys3(L_CLOSE_RANGE, 1, ~0U, 0);
    do
      r = lsys3(L_READ, 0, &c, 1);
    while (r == -L_EINTR);
    if (r != 1) /* end-of-file: this program died */
      lsys2(L_KILL, -pid, L_SIGKILL);
    lsys1(L_EXIT, 0);
  }
  if (watcher < 0) {
    lsys2(L_KILL, -pid, L_SIGKILL);
    die("fork failed (the watcher)");
  }
  lsys1(L_CLOSE, watch_pipe[0]);
  lsys1(L_CLOSE, out_pipe[1]);
  lsys1(L_CLOSE, err_pipe[1]);

  /* pump until both reach EOF */
  fds[0].fd = out_pipe[0];
  fds[1].fd = err_pipe[0];
  fds[0].events = fds[1].events = L_POLLIN;
  open_fds = 2;
  while (open_fds > 0) {
    fds[0].revents = fds[1].revents = 0;
    r = lsys3(L_POLL, fds, 2, -1);
    if (r == -L_EINTR || r == -L_EAGAIN)
      continue;
    if (r < 0)
      break;
    for (i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      r = lsys3(L_READ, fds[i].fd, buf, sizeof(buf));
      if (r == -L_EINTR || r == -L_EAGAIN)
        continue;
      if (r <= 0) {
        out_feed(&outs[i], NULL, 0);
        lsys1(L_CLOSE, fds[i].fd);
        fds[i].fd = -1; /* poll ignores it */
        open_fds--;
        continue;
      }
      out_feed(&outs[i], buf, (size_t)r);
    }
  }

  do
    r = lsys4(L_WAIT4, pid, &status, 0, 0);
  while (r == -L_EINTR);
  if (r < 0) {
    lsys2(L_KILL, -pid, L_SIGKILL);
    die("wait4 failed");
  }
  /* the child ended: the watcher leaves the group alone */
  lsys3(L_WRITE, watch_pipe[1], "x", 1);
  lsys1(L_CLOSE, watch_pipe[1]);
  while (lsys4(L_WAIT4, watcher, NULL, 0, 0) == -L_EINTR)
    ;
  if ((status & 0x7f) == 0)
    ExitProcess((UINT)((status >> 8) & 0xff));
  ExitProcess(128u + (UINT)(status & 0x7f));
  return 0;
}
