/*
 * main.c - the conformance suite's runner. The same sources are linked once
 * per backend (check_uv, check_ev, check_event); the first test asserts that
 * the binary really runs the backend it is named after (B1).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* B1: seam_backend() names the backend the binary was linked with. */
START_TEST(test_B1_backend_identity) {
  ck_assert_str_eq(seam_backend(), th_backend);
  ck_assert_ptr_nonnull(seam_backend_version());
  ck_assert_ptr_nonnull(seam_version());
  ck_assert_int_gt((int)strlen(seam_backend_version()), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create(th_backend);
  tcase_add_test(th_tcase(s, "identity"), test_B1_backend_identity);
  seam_test_add_loop(s);
  seam_test_add_timer(s);
  seam_test_add_async(s);
  seam_test_add_adopt(s);
  seam_test_add_job(s);
  seam_test_add_chan(s);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
