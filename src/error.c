/*
 * error.c - errors and identity: the one table of error names and messages
 * (SEAM_ERRNO_MAP in seam.h), and what this library and its backend are.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

const char *seam_strerror(int err) {
  switch (err) {
#define SEAM__ERR_MSG(name, value, msg) \
  case SEAM_##name:                     \
    return msg;
    SEAM_ERRNO_MAP(SEAM__ERR_MSG)
#undef SEAM__ERR_MSG
  }
  return "unknown error";
}

const char *seam_err_name(int err) {
  switch (err) {
#define SEAM__ERR_NAME(name, value, msg) \
  case SEAM_##name:                      \
    return "SEAM_" #name;
    SEAM_ERRNO_MAP(SEAM__ERR_NAME)
#undef SEAM__ERR_NAME
  }
  return "SEAM_EUNKNOWN";
}

const char *seam_backend(void) { return seam__backend_name(); }

const char *seam_backend_version(void) { return seam__backend_version(); }

const char *seam_version(void) { return PACKAGE_VERSION; }
