/* File locks on Windows: LockFileEx on one byte at offset 1 MiB (beyond the
 * pid written at offset 0, which others must be able to read). Locks are
 * per handle, so handles of one process exclude each other too. See
 * src/platform.h. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/common.h"
#include "../platform.h"
#include "win.h"

#define LOCK_OFFSET (1u << 20)

struct rimport__file_lock {
  HANDLE handle;
  WCHAR *wpath;
  char *path;
  int held;   /* exclusively */
  int shared; /* shared */
};

static int win_error(DWORD err, const char *what, const char *path) {
  WCHAR wmsg[512];
  char msg[1024];
  DWORD n = FormatMessageW(
      FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0,
      wmsg, (DWORD)RIMPORT__ARRAY_SIZE(wmsg), NULL);
  int m = 0;
  if (n > 0)
    m = WideCharToMultiByte(CP_UTF8, 0, wmsg, (int)n, msg, (int)sizeof(msg) - 1,
                            NULL, NULL);
  msg[m > 0 ? m : 0] = '\0';
  while (m > 0 && (msg[m - 1] == '\n' || msg[m - 1] == '\r' ||
                   msg[m - 1] == ' ' || msg[m - 1] == '.'))
    msg[--m] = '\0';
  if (err == ERROR_NOT_ENOUGH_MEMORY || err == ERROR_OUTOFMEMORY)
    return rimport__error_nomem();
  return rimport__error_set(
      err == ERROR_PATH_NOT_FOUND || err == ERROR_FILE_NOT_FOUND
          ? RIMPORT_ENOTFOUND
          : RIMPORT_EIO,
      "%s the lock file \"%s\" failed: %s (Windows error %lu)", what, path,
      msg[0] ? msg : "unknown error", (unsigned long)err);
}

int rimport__file_lock_open(const char *path, rimport__file_lock **out) {
  rimport__file_lock *lock;
  int tries;
  *out = NULL;
  if ((lock = rimport__calloc(1, sizeof(*lock))) == NULL)
    return rimport__error_nomem();
  lock->handle = INVALID_HANDLE_VALUE;
  if ((lock->path = rimport__strdup(path)) == NULL) {
    rimport__free(lock);
    return rimport__error_nomem();
  }
  if ((lock->wpath = rimport__win_utf16(path, NULL)) == NULL) {
    rimport__file_lock_close(lock);
    return rimport__error_set(RIMPORT_EINVAL,
                              "the lock file path \"%s\" is not valid UTF-8 "
                              "(or memory ran out converting it)",
                              path);
  }
  /* No FILE_SHARE_DELETE: the file cannot be deleted while anyone has it
   * open, so every process that opens the path opens the same file. For
   * the moment another process deletes it (gc or clear removing a lock
   * file it held: DeleteFileW has it open for DELETE), an open fails with
   * a sharing violation: try again (found by
   * test_cache.cache_gc_and_clear_under_load under wine). */
  for (tries = 0;; tries++) {
    lock->handle = CreateFileW(lock->wpath, GENERIC_READ | GENERIC_WRITE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                               OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (lock->handle != INVALID_HANDLE_VALUE ||
        GetLastError() != ERROR_SHARING_VIOLATION || tries >= 100)
      break;
    Sleep(2);
  }
  if (lock->handle == INVALID_HANDLE_VALUE) {
    int rc = win_error(GetLastError(), "opening", path);
    rimport__file_lock_close(lock);
    return rc;
  }
  *out = lock;
  return 0;
}

static int read_pid(HANDLE h) {
  OVERLAPPED ov;
  char buf[32];
  DWORD n = 0;
  memset(&ov, 0, sizeof(ov));
  if (!ReadFile(h, buf, (DWORD)sizeof(buf) - 1, &n, &ov) || n == 0)
    return 0;
  buf[n] = '\0';
  return atoi(buf);
}

static void set_length(HANDLE h, LONGLONG len) {
  LARGE_INTEGER pos;
  pos.QuadPart = len;
  if (SetFilePointerEx(h, pos, NULL, FILE_BEGIN))
    SetEndOfFile(h);
}

static void write_pid(HANDLE h) {
  OVERLAPPED ov;
  char buf[32];
  DWORD n = 0;
  int len =
      snprintf(buf, sizeof(buf), "%lu\n", (unsigned long)GetCurrentProcessId());
  memset(&ov, 0, sizeof(ov));
  /* The pid is for messages only: a failed write changes nothing else. */
  if (WriteFile(h, buf, (DWORD)len, &n, &ov) && n == (DWORD)len)
    set_length(h, len);
}

/* One LockFileEx try; 0, RIMPORT_ELOCKED or an error. */
static int try_lock(rimport__file_lock *lock, DWORD flags, int *owner_pid) {
  OVERLAPPED ov;
  DWORD err;
  memset(&ov, 0, sizeof(ov));
  ov.Offset = LOCK_OFFSET;
  if (LockFileEx(lock->handle, flags | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov))
    return 0;
  err = GetLastError();
  if (err == ERROR_LOCK_VIOLATION || err == ERROR_IO_PENDING) {
    if (owner_pid != NULL)
      *owner_pid = read_pid(lock->handle);
    return RIMPORT_ELOCKED;
  }
  return win_error(err, "locking", lock->path);
}

int rimport__file_lock_try(rimport__file_lock *lock, int *owner_pid) {
  int rc;
  if (owner_pid != NULL)
    *owner_pid = 0;
  if (lock->held)
    return 0;
  if (lock->shared) {
    if (owner_pid != NULL)
      *owner_pid = (int)GetCurrentProcessId();
    return RIMPORT_ELOCKED;
  }
  if ((rc = try_lock(lock, LOCKFILE_EXCLUSIVE_LOCK, owner_pid)) == 0) {
    lock->held = 1;
    write_pid(lock->handle);
  }
  return rc;
}

int rimport__file_lock_try_shared(rimport__file_lock *lock, int *owner_pid) {
  int rc;
  if (owner_pid != NULL)
    *owner_pid = 0;
  if (lock->shared)
    return 0;
  if (lock->held)
    return rimport__error_set(RIMPORT_EINVAL,
                              "locking \"%s\" shared: this handle holds it "
                              "exclusively",
                              lock->path);
  if ((rc = try_lock(lock, 0, owner_pid)) == 0)
    lock->shared = 1;
  return rc;
}

int rimport__file_lock_release(rimport__file_lock *lock) {
  OVERLAPPED ov;
  if (lock == NULL || !(lock->held || lock->shared))
    return 0;
  if (lock->held)
    set_length(lock->handle, 0); /* no pid in a free lock file */
  lock->held = 0;
  lock->shared = 0;
  memset(&ov, 0, sizeof(ov));
  ov.Offset = LOCK_OFFSET;
  if (!UnlockFileEx(lock->handle, 0, 1, 0, &ov))
    return win_error(GetLastError(), "unlocking", lock->path);
  return 0;
}

void rimport__file_lock_remove(rimport__file_lock *lock) {
  WCHAR *wpath;
  int held;
  if (lock == NULL)
    return;
  wpath = lock->wpath;
  held = lock->held;
  lock->wpath = NULL;
  rimport__file_lock_close(lock);
  if (wpath != NULL && held) {
    /* Fails (sharing violation) while another process has it open: then
     * the file stays, which is harmless. */
    DeleteFileW(wpath);
  }
  rimport__free(wpath);
}

void rimport__file_lock_close(rimport__file_lock *lock) {
  if (lock == NULL)
    return;
  if (lock->handle != INVALID_HANDLE_VALUE) {
    rimport__file_lock_release(lock);
    CloseHandle(lock->handle);
  }
  rimport__free(lock->wpath);
  rimport__free(lock->path);
  rimport__free(lock);
}
