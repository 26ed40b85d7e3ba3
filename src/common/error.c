#include <stdio.h>
#include <string.h>

#include "common.h"
#include "../platform.h"

static const char nomem_message[] =
    "out of memory: an allocation failed; free memory or lower the number "
    "of parallel jobs, then try again";

/* The per-thread record: the public part plus the memory it points to. The
 * record is kept in a platform thread-local slot whose destructor frees it
 * when the thread ends. */
typedef struct error_record {
  rimport_error pub;
  char *message; /* owned; NULL when pub.message is static */
  char *text;    /* owned */
} error_record;

/* Used when even the record cannot be allocated. */
static RIMPORT__THREAD_LOCAL rimport_error nomem_record;

static void record_reset(error_record *rec) {
  rimport__free(rec->message);
  rimport__free(rec->text);
  memset(rec, 0, sizeof(*rec));
}

void rimport__error_tls_destroy(void *value) {
  error_record *rec = value;
  if (rec == NULL)
    return;
  record_reset(rec);
  rimport__free(rec);
}

static error_record *record_get(int create) {
  error_record *rec = rimport__error_tls_get();
  if (rec == NULL && create) {
    rec = rimport__calloc(1, sizeof(*rec));
    if (rec == NULL)
      return NULL;
    if (rimport__error_tls_set(rec) != 0) {
      rimport__free(rec);
      return NULL;
    }
  }
  return rec;
}

#define ERR_NAME_CASE_(name, value, desc)                                      \
  case RIMPORT_##name:                                                         \
    return #name;
#define ERR_DESC_CASE_(name, value, desc)                                      \
  case RIMPORT_##name:                                                         \
    return desc;

const char *rimport_err_name(int code) {
  switch (code) {
  case RIMPORT_OK:
    return "OK";
    RIMPORT_ERRNO_MAP(ERR_NAME_CASE_)
  default:
    return "EUNKNOWN";
  }
}

const char *rimport_strerror(int code) {
  switch (code) {
  case RIMPORT_OK:
    return "success";
    RIMPORT_ERRNO_MAP(ERR_DESC_CASE_)
  default:
    return "unknown error";
  }
}

/* What rimport_error_last returns when nothing failed (libgit2's
 * g_git_ok_error): callers read it without checking for NULL. */
static const rimport_error no_error = {RIMPORT_OK, "no error", 0, 0, NULL};

/* The codes count down from -1 without gaps, so that RIMPORT_ERRNO_LAST_
 * (derived from the list's length) is one past the last of them. */
#define ERR_CHECK_(name, value, desc)                                          \
  _Static_assert(RIMPORT_##name < 0 && RIMPORT_##name > RIMPORT_ERRNO_LAST_,   \
                 "RIMPORT_" #name " lies outside RIMPORT_ERRNO_MAP's range");
RIMPORT_ERRNO_MAP(ERR_CHECK_)
#define ERR_SUM_(name, value, desc) +(value)
_Static_assert((0 RIMPORT_ERRNO_MAP(ERR_SUM_)) ==
                   RIMPORT_ERRNO_LAST_ * (-RIMPORT_ERRNO_LAST_ - 1) / 2,
               "RIMPORT_ERRNO_MAP's values must be -1, -2, … without gaps");

const rimport_error *rimport_error_last(void) {
  error_record *rec;
  if (nomem_record.code != 0)
    return &nomem_record;
  rec = record_get(0);
  if (rec == NULL || rec->pub.code == 0)
    return &no_error;
  return &rec->pub;
}

void rimport_error_clear(void) {
  error_record *rec = record_get(0);
  memset(&nomem_record, 0, sizeof(nomem_record));
  if (rec != NULL) {
    rimport__error_tls_set(NULL);
    rimport__error_tls_destroy(rec);
  }
}

void rimport__error_free_thread(void) {
  rimport_error_clear();
}

int rimport__error_nomem(void) {
  error_record *rec = record_get(0);
  if (rec != NULL) {
    record_reset(rec);
    rec->pub.code = RIMPORT_ENOMEM;
    rec->pub.message = nomem_message;
    return RIMPORT_ENOMEM;
  }
  nomem_record.code = RIMPORT_ENOMEM;
  nomem_record.message = nomem_message;
  return RIMPORT_ENOMEM;
}

static int set_record(int code, unsigned line, unsigned column,
                      const char *text, size_t text_len, const char *fmt,
                      va_list ap) RIMPORT__PRINTF(6, 0);

static int set_record(int code, unsigned line, unsigned column,
                      const char *text, size_t text_len, const char *fmt,
                      va_list ap) {
  error_record *rec;
  rimport_buf msg = RIMPORT_BUF_INIT;
  char *text_copy = NULL;

  memset(&nomem_record, 0, sizeof(nomem_record));
  if (rimport__buf_vprintf(&msg, fmt, ap) != 0)
    return code == RIMPORT_ENOMEM ? code : rimport__error_nomem();
  if (text != NULL && (text_copy = rimport__strndup(text, text_len)) == NULL) {
    rimport_buf_dispose(&msg);
    rimport__error_nomem();
    return code;
  }
  rec = record_get(1);
  if (rec == NULL) {
    rimport_buf_dispose(&msg);
    rimport__free(text_copy);
    rimport__error_nomem();
    return code;
  }
  record_reset(rec);
  rec->message = rimport__buf_detach(&msg);
  rec->text = text_copy;
  rec->pub.code = code;
  rec->pub.message = rec->message;
  rec->pub.line = line;
  rec->pub.column = column;
  rec->pub.text = rec->text;
  return code;
}

int rimport__error_set(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  code = set_record(code, 0, 0, NULL, 0, fmt, ap);
  va_end(ap);
  return code;
}

int rimport__error_set_at(int code, unsigned line, unsigned column,
                          const char *text, size_t text_len, const char *fmt,
                          ...) {
  va_list ap;
  va_start(ap, fmt);
  code = set_record(code, line, column, text, text_len, fmt, ap);
  va_end(ap);
  return code;
}

int rimport__error_prefix(const char *fmt, ...) {
  error_record *rec = record_get(0);
  rimport_buf msg = RIMPORT_BUF_INIT;
  va_list ap;
  if (rec == NULL || rec->pub.code == 0)
    return 0;
  va_start(ap, fmt);
  if (rimport__buf_vprintf(&msg, fmt, ap) != 0 ||
      rimport__buf_puts(&msg, ": ") != 0 ||
      rimport__buf_puts(&msg, rec->pub.message) != 0) {
    va_end(ap);
    rimport_buf_dispose(&msg);
    return rec->pub.code;
  }
  va_end(ap);
  rimport__free(rec->message);
  rec->message = rimport__buf_detach(&msg);
  rec->pub.message = rec->message;
  return rec->pub.code;
}

int rimport__error_version(const char *call, const char *type, unsigned int got,
                           unsigned int known) {
  char upper[64];
  size_t i;
  for (i = 0; type[i] != '\0' && i + 1 < sizeof(upper); i++)
    upper[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 'a' + 'A'
                                                       : type[i]);
  upper[i] = '\0';
  return rimport__error_set(
      RIMPORT_EVERSION,
      "%s: %s version %u is not known to rimport %s (it knows version %u); "
      "initialize the struct with %s_INIT or %s_init() from the rimport.h "
      "you link against",
      call, type, got, rimport_version(), known, upper, type);
}
