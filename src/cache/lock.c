/* The per-key lock: <cache>/<crate>/<key>.lock through the platform's file
 * lock, polled with progress, timeout and cancel; and the use fence,
 * <cache>/<crate>/<key>.use held shared (cache.h, "Use marks"). */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <uv.h>

#include "cache_internal.h"
#include "../common/fs.h"
#include "../platform.h"

#ifndef W_OK /* uv.h gives it on Windows; access(2)'s value elsewhere */
#define W_OK 2
#endif

#define POLL_MS         50u
#define REPORT_EVERY_MS 5000u
#define USE_WAIT_MS     60000u

struct rimport__lock {
  rimport__file_lock *file;
};

static void report_wait(rimport_progress_cb progress, void *payload,
                        const char *crate, const char *key, int pid,
                        uint64_t waited_ms) {
  rimport_buf msg = RIMPORT_BUF_INIT;
  rimport_progress p;
  if (progress == NULL)
    return;
  if (pid == (int)uv_os_getpid())
    rimport__buf_printf(&msg,
                        "waiting for another thread of this process (%d), "
                        "which is building %s (%s)",
                        pid, crate, key);
  else if (pid > 0)
    rimport__buf_printf(&msg,
                        "waiting for process %d, which is building %s (%s)",
                        pid, crate, key);
  else
    rimport__buf_printf(&msg,
                        "waiting for another process, which is building %s "
                        "(%s)",
                        crate, key);
  if (waited_ms >= 1000)
    rimport__buf_printf(&msg, "; waited %llu s so far",
                        (unsigned long long)(waited_ms / 1000));
  p.phase = RIMPORT_PROGRESS_WAIT;
  p.plugin = crate;
  p.unit = NULL;
  p.done = 0;
  p.total = 0;
  p.message = msg.ptr ? msg.ptr : "waiting for another process";
  progress(&p, payload);
  rimport_buf_dispose(&msg);
}

/* <cache>/<crate> into dir and <cache>/<crate>/<key><suffix> into path,
 * the names checked first (`what`: the caller, for the message). */
static int key_file(const char *what, const char *cache_dir, const char *crate,
                    const char *key, const char *suffix, rimport_buf *dir,
                    rimport_buf *path) {
  rimport_buf name = RIMPORT_BUF_INIT;
  int rc;
  if (cache_dir == NULL)
    return rimport__error_set(RIMPORT_EINVAL, "%s: cache_dir is NULL", what);
  if ((rc = rimport__cache_check_names(what, crate, key)) == 0 &&
      (rc = rimport__cache_path(dir, cache_dir, crate, NULL)) == 0 &&
      (rc = rimport__buf_printf(&name, "%s%s", key, suffix)) == 0)
    rc = rimport__path_join(path, dir->ptr, name.ptr);
  rimport_buf_dispose(&name);
  return rc;
}

/* The held *file becomes *out (0), or is closed (ENOMEM). */
static int hand_over(rimport__file_lock **file, rimport__lock **out) {
  if ((*out = rimport__malloc(sizeof(**out))) == NULL)
    return rimport__error_nomem();
  (*out)->file = *file;
  *file = NULL;
  return 0;
}

int rimport__cache_lock(const char *cache_dir, const char *crate,
                        const char *key, unsigned int timeout_ms,
                        rimport_progress_cb progress, void *payload,
                        const atomic_int *cancel, rimport__lock **out) {
  rimport_buf path = RIMPORT_BUF_INIT, dir = RIMPORT_BUF_INIT;
  rimport__file_lock *file = NULL;
  uint64_t start = uv_hrtime(), last_report = 0, waited = 0;
  int rc, owner = 0, reported_owner = -1, tries;
  *out = NULL;
  if ((rc = key_file("locking a cache key", cache_dir, crate, key, ".lock",
                     &dir, &path)) != 0)
    goto done;
  /* `rimport cache clear` removes a crate directory it emptied: one
   * removed between the mkdir and the open is made again. */
  for (tries = 0;; tries++) {
    if ((rc = rimport__fs_mkdir_p(dir.ptr)) != 0 ||
        (rc = rimport__file_lock_open(path.ptr, &file)) != RIMPORT_ENOTFOUND ||
        tries >= 20)
      break;
    rimport_error_clear();
  }
  if (rc != 0) {
    rimport__error_prefix("locking the cache key of %s (%s)", crate, key);
    rc = rimport__cache_explain_unwritable(cache_dir, dir.ptr, rc);
    goto done;
  }
  for (;;) {
    rc = rimport__file_lock_try(file, &owner);
    if (rc != RIMPORT_ELOCKED)
      break;
    waited = (uv_hrtime() - start) / 1000000u;
    if (owner != reported_owner || waited - last_report >= REPORT_EVERY_MS) {
      report_wait(progress, payload, crate, key, owner, waited);
      reported_owner = owner;
      last_report = waited;
    }
    if (cancel != NULL && atomic_load(cancel)) {
      rc = rimport__error_set(RIMPORT_ECANCELED,
                              "waiting for the lock of %s (%s) was canceled",
                              crate, key);
      break;
    }
    if (timeout_ms != 0 && waited >= timeout_ms) {
      rc = rimport__error_set(
          RIMPORT_ELOCKED,
          "waited %u ms for the lock \"%s\": process %d%s is building %s "
          "(%s); wait for it to finish and try again, or stop that process "
          "if it hangs (the lock of a process that ended is free at once)",
          timeout_ms, path.ptr, owner,
          owner == (int)uv_os_getpid() ? " (another thread of this process)"
                                       : "",
          crate, key);
      break;
    }
    uv_sleep(POLL_MS);
  }
  if (rc == 0)
    rc = hand_over(&file, out);
done:
  rimport__file_lock_close(file);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&dir);
  return rc;
}

void rimport__cache_unlock(rimport__lock *lock) {
  if (lock == NULL)
    return;
  rimport__file_lock_close(lock->file);
  rimport__free(lock);
}

int rimport__cache_dir_writable(const char *dir) {
  uv_fs_t req;
  int rc = uv_fs_access(NULL, &req, dir, W_OK, NULL);
  uv_fs_req_cleanup(&req);
  return rc == 0;
}

int rimport__cache_explain_unwritable(const char *cache_dir, const char *dir,
                                      int rc) {
  const rimport_error *e = rimport_error_last();
  char *was;
  if (rc != RIMPORT_EIO || e->message == NULL ||
      (rimport__cache_dir_writable(cache_dir) &&
       (dir == NULL || !rimport__fs_is_dir(dir) ||
        rimport__cache_dir_writable(dir))) ||
      (was = rimport__strdup(e->message)) == NULL)
    return rc;
  rc = rimport__error_set(rc,
                          "%s; the cache directory \"%s\" cannot be written "
                          "by this process (a read-only file system, or "
                          "its permissions): make it writable, or set "
                          "RIMPORT_CACHE_DIR (the cache_dir option) to a "
                          "writable directory",
                          was, cache_dir);
  rimport__free(was);
  return rc;
}

/* rimport__cache_use; strict: only a missing <crate>/, or one this
 * process may not write in, is "cannot be taken" (0, *out NULL); any
 * other failure to open the file (out of descriptors) is an error. */
static int use_fence(const char *cache_dir, const char *crate, const char *key,
                     int strict, rimport__lock **out) {
  rimport_buf path = RIMPORT_BUF_INIT, dir = RIMPORT_BUF_INIT;
  rimport__file_lock *file = NULL;
  uint64_t start = uv_hrtime();
  int rc, owner = 0;
  *out = NULL;
  if ((rc = key_file("marking a cache entry in use", cache_dir, crate, key,
                     ".use", &dir, &path)) != 0)
    goto done;
  if ((rc = rimport__file_lock_open(path.ptr, &file)) != 0) {
    if (rc == RIMPORT_ENOTFOUND ||
        (rc != RIMPORT_ENOMEM &&
         (!strict || !rimport__cache_dir_writable(dir.ptr)))) {
      /* no entry, or nobody may remove it */
      rimport_error_clear();
      rc = 0;
    } else if (rc != RIMPORT_ENOMEM) {
      rimport__error_prefix("marking the cache entry %s (%s) in use: its "
                            "fence could not be taken (if the process ran "
                            "out of descriptors, raise its limit)",
                            crate, key);
    }
    goto done;
  }
  while ((rc = rimport__file_lock_try_shared(file, &owner)) ==
         RIMPORT_ELOCKED) {
    if ((uv_hrtime() - start) / 1000000u >= USE_WAIT_MS) {
      char who[32] = "another process";
      if (owner > 0)
        snprintf(who, sizeof(who), "process %d", owner);
      rc = rimport__error_set(
          RIMPORT_ELOCKED,
          "waited %u s to use the cache entry %s (%s): %s holds \"%s\" "
          "(`rimport cache gc` or `clear` removing it); let it finish, or "
          "stop it if it hangs, and try again",
          USE_WAIT_MS / 1000u, crate, key, who, path.ptr);
      break;
    }
    uv_sleep(POLL_MS);
  }
  if (rc == 0)
    rc = hand_over(&file, out);
done:
  rimport__file_lock_close(file);
  rimport_buf_dispose(&path);
  rimport_buf_dispose(&dir);
  return rc;
}

int rimport__cache_use(const char *cache_dir, const char *crate,
                       const char *key, rimport__lock **out) {
  return use_fence(cache_dir, crate, key, 0, out);
}

int rimport__cache_fence(const char *cache_dir, const char *crate,
                         const char *key) {
  rimport__lock *lock = NULL;
  int rc = use_fence(cache_dir, crate, key, 1, &lock);
  rimport__cache_unlock(lock);
  return rc;
}
