# seam.m4 - configure macros of seam.

# SEAM_BACKEND(NAME, SHORT, DEBIAN-PACKAGE, PC-REQUIRES, PC-LIBS, DETECT)
# -----------------------------------------------------------------------
# Decides whether backend NAME (libuv, libev, libevent) is built, from
# --with-backends (in $seam_backends: "auto" or a comma-separated list).
# DETECT runs only when the backend is wanted; it sets seam_found to yes or
# no and leaves the native flags in SHORT_CFLAGS / SHORT_LIBS (SHORT in upper
# case: UV, EV, EVENT). A backend named in --with-backends that is not found
# stops configure with the Debian package to install.
#
# Defines the Automake conditional BACKEND_SHORT, and substitutes
# SHORT_PC_REQUIRES / SHORT_PC_LIBS: the Requires.private and Libs.private of
# seam-short.pc (see seam.pc.in). Appends NAME to $seam_built, SHORT to
# $seam_built_short, and sets $seam_first_lib to libseam-SHORT.la for the first
# backend built.
AC_DEFUN([SEAM_BACKEND],
[AS_CASE([$seam_backends],
  [auto], [seam_want=auto],
  [*,$1,*], [seam_want=yes],
  [seam_want=no])
seam_found=no
AS_IF([test "$seam_want" != no], [$6])
AS_IF([test "$seam_want" = yes && test "$seam_found" != yes],
  [AC_MSG_ERROR([backend $1 was requested but its development files were not found; install the Debian package $3])])
seam_enable=no
AS_IF([test "$seam_want" != no && test "$seam_found" = yes],
  [seam_enable=yes
   seam_built="${seam_built:+$seam_built }$1"
   seam_built_short="${seam_built_short:+$seam_built_short }$2"
   AS_IF([test -z "$seam_first_lib"], [seam_first_lib="libseam-$2.la"])])
AM_CONDITIONAL([BACKEND_]m4_toupper([$2]), [test "$seam_enable" = yes])
AC_SUBST(m4_toupper([$2])[_CFLAGS])
AC_SUBST(m4_toupper([$2])[_LIBS])
AC_SUBST(m4_toupper([$2])[_PC_REQUIRES], ["$4"])
AC_SUBST(m4_toupper([$2])[_PC_LIBS], ["$5"])
])

# SEAM_ADD_CFLAGS(VARIABLE, FLAGS)
# --------------------------------
# Appends to VARIABLE each of FLAGS that the C compiler accepts (as an error,
# so that an unknown warning option is not silently taken).
AC_DEFUN([SEAM_ADD_CFLAGS],
[for seam_flag in $2; do
  AC_MSG_CHECKING([whether $CC accepts $seam_flag])
  seam_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -Werror $seam_flag"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
    [$1="${$1:+$$1 }$seam_flag"; AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])])
  CFLAGS=$seam_save_CFLAGS
done
])
