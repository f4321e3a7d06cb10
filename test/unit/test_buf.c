/*
 * test_buf.c - lib/base/buf.c: the bounded growable buffer.  The hard cap
 * (exact fill, one byte over, sizes that would overflow), the NUL kept after
 * the data, growth across many appends, steal and free.
 */
#include "testutil.h"

#include "base/buf.h"

static void
test_buf_bounded(void **state)
{
	struct ag_buf b;
	size_t len;
	uint8_t *d;

	(void)state;
	ag_buf_init(&b, 10);
	assert_int_equal(ag_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.data[10], 0);
	assert_int_equal(ag_buf_append(&b, "x", 1), -1);
	assert_int_equal(b.len, 10);
	assert_int_equal(ag_buf_append(&b, "x", SIZE_MAX), -1);
	d = ag_buf_steal(&b, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(d, "0123456789", 10);
	assert_null(b.data);
	free(d);
	ag_buf_free(&b);
}

static void
test_init_is_empty(void **state)
{
	struct ag_buf b;

	(void)state;
	memset(&b, 0x5a, sizeof(b));
	ag_buf_init(&b, 77);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 77);
}

static void
test_grows_across_appends(void **state)
{
	struct ag_buf b;
	uint8_t chunk[100];

	(void)state;
	ag_buf_init(&b, 100000);
	for (int i = 0; i < 1000; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		assert_int_equal(ag_buf_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= b.len + 1);
	assert_true(b.cap <= b.max + 1);
	assert_int_equal(b.data[b.len], '\0');
	for (int i = 0; i < 1000; i++)
		assert_int_equal(b.data[i * 100 + 99], 'a' + i % 26);
	assert_int_equal(ag_buf_append(&b, "z", 1), -1);
	assert_int_equal(b.len, 100000);
	ag_buf_free(&b);
}

static void
test_refused_append_leaves_buffer(void **state)
{
	struct ag_buf b;

	(void)state;
	ag_buf_init(&b, 8);
	assert_int_equal(ag_buf_append(&b, "abc", 3), 0);
	assert_int_equal(ag_buf_append(&b, "defghi", 6), -1);   /* 9 > 8 */
	assert_int_equal(b.len, 3);
	assert_string_equal((char *)b.data, "abc");
	/* SIZE_MAX - len would wrap in a naive len + n check. */
	assert_int_equal(ag_buf_append(&b, "x", SIZE_MAX - 1), -1);
	assert_int_equal(ag_buf_append(&b, "x", SIZE_MAX - 3), -1);
	assert_int_equal(ag_buf_append(&b, "defgh", 5), 0);
	assert_int_equal(b.len, 8);
	assert_string_equal((char *)b.data, "abcdefgh");
	ag_buf_free(&b);
}

static void
test_zero_max_and_empty_appends(void **state)
{
	struct ag_buf b;

	(void)state;
	ag_buf_init(&b, 0);
	assert_int_equal(ag_buf_append(&b, "x", 1), -1);
	assert_null(b.data);
	/* An empty append allocates the terminator: a read of an empty file yields "". */
	assert_int_equal(ag_buf_append(&b, NULL, 0), 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.data[0], '\0');
	ag_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 0);
}

static void
test_free_keeps_max_and_reuse(void **state)
{
	struct ag_buf b;

	(void)state;
	ag_buf_init(&b, 4);
	assert_int_equal(ag_buf_append(&b, "abcd", 4), 0);
	ag_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 4);
	assert_int_equal(ag_buf_append(&b, "wxyz", 4), 0);
	assert_string_equal((char *)b.data, "wxyz");
	assert_int_equal(ag_buf_append(&b, "!", 1), -1);
	ag_buf_free(&b);
	ag_buf_free(&b);   /* twice is harmless */
}

static void
test_steal(void **state)
{
	struct ag_buf b;
	uint8_t *d;
	size_t len = 99;

	(void)state;
	ag_buf_init(&b, 16);
	d = ag_buf_steal(&b, &len);   /* nothing appended */
	assert_null(d);
	assert_int_equal(len, 0);
	assert_int_equal(ag_buf_append(&b, "hi", 2), 0);
	d = ag_buf_steal(&b, NULL);   /* len may be NULL */
	assert_non_null(d);
	assert_string_equal((char *)d, "hi");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 16);
	free(d);
	/* The buffer is usable again after a steal. */
	assert_int_equal(ag_buf_append(&b, "again", 5), 0);
	assert_string_equal((char *)b.data, "again");
	ag_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_grows_across_appends),
		cmocka_unit_test(test_refused_append_leaves_buffer),
		cmocka_unit_test(test_zero_max_and_empty_appends),
		cmocka_unit_test(test_free_keeps_max_and_reuse),
		cmocka_unit_test(test_steal),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
