// Keeps ye_test_common non-empty while the harness is header-only.
