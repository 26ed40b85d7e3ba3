/* File locks on unix: fcntl(F_SETLK) on the whole file, plus a registry of
 * the lock files this process has open so that threads exclude each other
 * and no close() drops a lock another handle holds. See src/platform.h. */
#ifndef _POSIX_C_SOURCE /* as CMake sets it: POSIX.1-2008 for libuv */
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include "../common/common.h"
#include "../platform.h"

/* One per lock file (inode) this process has open. */
typedef struct lock_file {
  dev_t dev;
  ino_t ino;
  int fd;                     /* shared by every handle of the file */
  unsigned int refs;          /* handles using it */
  rimport__file_lock *holder; /* the handle holding the lock, or NULL */
  unsigned int sharers;       /* handles holding it shared (one F_RDLCK) */
  struct lock_file *next;
} lock_file;

struct rimport__file_lock {
  char *path;
  lock_file *file;
  int shared; /* this handle is one of file->sharers */
};

static uv_once_t registry_once = UV_ONCE_INIT;
static uv_mutex_t registry_mutex;
static lock_file *registry;

static void registry_init(void) {
  if (uv_mutex_init(&registry_mutex) != 0)
    abort(); /* cannot happen short of resource exhaustion at startup */
}

static int sys_error(int err, const char *what, const char *path) {
  if (err == ENOMEM)
    return rimport__error_nomem();
  return rimport__error_set(err == ENOENT || err == ENOTDIR ? RIMPORT_ENOTFOUND
                                                            : RIMPORT_EIO,
                            "%s the lock file \"%s\" failed: %s (%s)", what,
                            path, uv_strerror(uv_translate_sys_error(err)),
                            uv_err_name(uv_translate_sys_error(err)));
}

/* The registry's record of the file (dev, ino), or NULL. Call with the
 * mutex held. */
static lock_file *registered(dev_t dev, ino_t ino) {
  lock_file *f;
  for (f = registry; f != NULL; f = f->next)
    if (f->dev == dev && f->ino == ino)
      break;
  return f;
}

/* Opens path and attaches the handle to the registry. A file the process
 * has open already is not opened again: closing a second descriptor of
 * it would drop every lock the process holds on it (fcntl locks belong to
 * the process, and any close of the file releases them). Call with the
 * mutex held. */
static int attach(rimport__file_lock *lock) {
  struct stat st;
  lock_file *f;
  int fd;
  if (stat(lock->path, &st) == 0 &&
      (f = registered(st.st_dev, st.st_ino)) != NULL) {
    f->refs++;
    lock->file = f;
    return 0;
  }
  do
    fd = open(lock->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return sys_error(errno, "opening", lock->path);
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return sys_error(err, "reading the status of", lock->path);
  }
  if ((f = registered(st.st_dev, st.st_ino)) != NULL) {
    /* The path named another file at the stat above and this one now,
     * which only a rename of lock files (never done) makes: the extra
     * descriptor stays open for the process's life, as closing it would
     * drop the locks held through f->fd. */
    f->refs++;
  } else {
    if ((f = rimport__calloc(1, sizeof(*f))) == NULL) {
      close(fd);
      return rimport__error_nomem();
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->fd = fd;
    f->refs = 1;
    f->next = registry;
    registry = f;
  }
  lock->file = f;
  return 0;
}

/* Call with the mutex held. */
static void detach(rimport__file_lock *lock) {
  lock_file *f = lock->file, **p;
  lock->file = NULL;
  if (f == NULL || --f->refs > 0)
    return;
  for (p = &registry; *p != NULL; p = &(*p)->next)
    if (*p == f) {
      *p = f->next;
      break;
    }
  close(f->fd);
  rimport__free(f);
}

int rimport__file_lock_open(const char *path, rimport__file_lock **out) {
  rimport__file_lock *lock;
  int rc;
  *out = NULL;
  uv_once(&registry_once, registry_init);
  if ((lock = rimport__calloc(1, sizeof(*lock))) == NULL)
    return rimport__error_nomem();
  if ((lock->path = rimport__strdup(path)) == NULL) {
    rimport__free(lock);
    return rimport__error_nomem();
  }
  uv_mutex_lock(&registry_mutex);
  rc = attach(lock);
  uv_mutex_unlock(&registry_mutex);
  if (rc != 0) {
    rimport__free(lock->path);
    rimport__free(lock);
    return rc;
  }
  *out = lock;
  return 0;
}

static int set_lock(int fd, short type) {
  struct flock fl;
  int rc;
  memset(&fl, 0, sizeof(fl));
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0; /* the whole file, however long */
  do
    rc = fcntl(fd, F_SETLK, &fl);
  while (rc != 0 && errno == EINTR);
  return rc;
}

/* Who holds the lock: the kernel's answer (F_GETLK), else the pid the
 * holder wrote (another pid namespace, or NFS, may leave l_pid 0). */
static int holder_pid(int fd) {
  struct flock fl;
  char buf[32];
  ssize_t n;
  memset(&fl, 0, sizeof(fl));
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
    return (int)fl.l_pid;
  n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return atoi(buf);
}

static void write_pid(int fd) {
  char buf[32];
  int len = snprintf(buf, sizeof(buf), "%d\n", (int)uv_os_getpid());
  /* The pid is for messages only: a failed write changes nothing else. */
  if (pwrite(fd, buf, (size_t)len, 0) != len)
    return;
  if (ftruncate(fd, len) != 0)
    return;
}

/* One fcntl try of `type` on the handle's file: 0, RIMPORT_ELOCKED
 * (*owner_pid: the holder) or an error. Call with the mutex held. */
static int take(rimport__file_lock *lock, short type, int *owner_pid) {
  if (set_lock(lock->file->fd, type) == 0)
    return 0;
  if (errno != EACCES && errno != EAGAIN)
    return sys_error(errno, "locking", lock->path);
  if (owner_pid != NULL)
    *owner_pid = holder_pid(lock->file->fd);
  return RIMPORT_ELOCKED;
}

/* After locking: unless the file was removed (by gc, while its holder had
 * it) after we opened it, the path still names it. Call with the mutex
 * held. */
static int still_named(const rimport__file_lock *lock) {
  struct stat st;
  return stat(lock->path, &st) == 0 && st.st_dev == lock->file->dev &&
         st.st_ino == lock->file->ino;
}

/* The locked file is no longer the path's: the handle opens the path
 * again, unless that keeps happening. Call with the mutex held. */
static int reopen(rimport__file_lock *lock, int attempt) {
  if (attempt >= 20)
    return rimport__error_set(RIMPORT_EIO,
                              "locking \"%s\" failed: the file keeps being "
                              "removed and made again; is another program "
                              "deleting files in the cache directory?",
                              lock->path);
  detach(lock);
  return attach(lock);
}

/* rimport__file_lock_try (shared 0) and rimport__file_lock_try_shared. */
static int lock_try(rimport__file_lock *lock, int shared, int *owner_pid) {
  int rc = 0, attempt;
  if (owner_pid != NULL)
    *owner_pid = 0;
  uv_mutex_lock(&registry_mutex);
  for (attempt = 0;; attempt++) {
    lock_file *f;
    if (lock->file == NULL && (rc = attach(lock)) != 0)
      break; /* a reopen below failed earlier */
    f = lock->file;
    if (shared ? lock->shared : f->holder == lock)
      break; /* already ours */
    if (shared && f->holder == lock) {
      rc = rimport__error_set(RIMPORT_EINVAL,
                              "locking \"%s\" shared: this handle holds it "
                              "exclusively",
                              lock->path);
      break;
    }
    if (f->holder != NULL || (!shared && f->sharers > 0)) {
      if (owner_pid != NULL)
        *owner_pid = (int)uv_os_getpid();
      rc = RIMPORT_ELOCKED;
      break;
    }
    if (shared && f->sharers > 0) { /* the process holds F_RDLCK already */
      f->sharers++;
      lock->shared = 1;
      break;
    }
    if ((rc = take(lock, shared ? F_RDLCK : F_WRLCK, owner_pid)) != 0)
      break;
    if (still_named(lock)) {
      if (shared) {
        f->sharers = 1;
        lock->shared = 1;
      } else {
        write_pid(f->fd);
        f->holder = lock;
      }
      break;
    }
    set_lock(f->fd, F_UNLCK);
    if ((rc = reopen(lock, attempt)) != 0)
      break;
  }
  uv_mutex_unlock(&registry_mutex);
  return rc;
}

int rimport__file_lock_try(rimport__file_lock *lock, int *owner_pid) {
  return lock_try(lock, 0, owner_pid);
}

int rimport__file_lock_try_shared(rimport__file_lock *lock, int *owner_pid) {
  return lock_try(lock, 1, owner_pid);
}

/* Call with the mutex held. */
static int release_locked(rimport__file_lock *lock) {
  lock_file *f = lock->file;
  if (f != NULL && lock->shared) {
    lock->shared = 0;
    if (--f->sharers > 0 || set_lock(f->fd, F_UNLCK) == 0)
      return 0;
    return sys_error(errno, "unlocking", lock->path);
  }
  if (f == NULL || f->holder != lock)
    return 0;
  f->holder = NULL;
  /* No pid in a free lock file (a stale one would mislead waiters). */
  if (ftruncate(f->fd, 0) != 0) {
    /* harmless: the next holder overwrites it */
  }
  if (set_lock(f->fd, F_UNLCK) != 0)
    return sys_error(errno, "unlocking", lock->path);
  return 0;
}

int rimport__file_lock_release(rimport__file_lock *lock) {
  int rc;
  if (lock == NULL)
    return 0;
  uv_mutex_lock(&registry_mutex);
  rc = release_locked(lock);
  uv_mutex_unlock(&registry_mutex);
  return rc;
}

void rimport__file_lock_remove(rimport__file_lock *lock) {
  if (lock == NULL)
    return;
  uv_mutex_lock(&registry_mutex);
  if (lock->file != NULL && lock->file->holder == lock)
    unlink(lock->path); /* others that have it open will reopen */
  release_locked(lock);
  detach(lock);
  uv_mutex_unlock(&registry_mutex);
  rimport__free(lock->path);
  rimport__free(lock);
}

void rimport__file_lock_close(rimport__file_lock *lock) {
  if (lock == NULL)
    return;
  uv_mutex_lock(&registry_mutex);
  release_locked(lock);
  detach(lock);
  uv_mutex_unlock(&registry_mutex);
  rimport__free(lock->path);
  rimport__free(lock);
}
