/*
 * test_nonce.c - lib/base/nonce.c: the drawn nonces (32 random bytes, and
 * their 64-character lower-case hex text, different at every draw), a
 * nonce from hex (2 to 128 digits, either case; odd lengths, bad digits,
 * too few or too many refused with AG_ECONFIG naming the caller's `what`),
 * hex and text out (non-printable bytes refused), the claim each token site
 * carries (AzureGuest: base64 of the text; runtime: hex of the bytes) and
 * MAA SevSnpVm's 63-bit request number (the first 8 bytes, big-endian).
 */
#include "testutil.h"

#include <ctype.h>

#include "base/base64.h"
#include "base/digest.h"
#include "base/nonce.h"

/* Sets n from hex, failing the test when that is refused. */
static void
from_hex_ok(struct ag_nonce *n, const char *hex)
{
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_nonce_from_hex(n, hex, "--nonce", &err) != AG_OK)
		fail_msg("\"%.40s\" refused: %s", hex != NULL ? hex : "(null)", err.msg);
}

/* ag_nonce_from_hex refuses hex with AG_ECONFIG, names what, and leaves no nonce. */
static void
from_hex_refused(const char *hex, const char *what)
{
	struct ag_nonce n;
	struct ag_err err;

	memset(&n, 0x5a, sizeof(n));
	ag_err_clear(&err);
	assert_int_equal(ag_nonce_from_hex(&n, hex, what, &err), AG_ECONFIG);
	assert_int_equal(err.code, AG_ECONFIG);
	assert_int_equal(n.len, 0);
	if (strncmp(err.msg, what, strlen(what)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", err.msg, what);
	assert_non_null(strstr(err.msg, "must be 2 to 128 hexadecimal digits (1 to 64 bytes)"));
}

static void
test_draw(void **state)
{
	struct ag_nonce a, b, c;
	struct ag_err err;
	int nonzero = 0;

	(void)state;
	memset(&a, 0xee, sizeof(a));
	assert_int_equal(ag_nonce_draw(&a, &err), AG_OK);
	assert_int_equal(ag_nonce_draw(&b, &err), AG_OK);
	assert_int_equal(ag_nonce_draw(&c, &err), AG_OK);
	assert_int_equal(a.len, 32);
	assert_int_equal(b.len, 32);
	assert_int_equal(c.len, 32);
	/* Each draw is new: 256 random bits never repeat. */
	assert_memory_not_equal(a.v, b.v, 32);
	assert_memory_not_equal(b.v, c.v, 32);
	assert_memory_not_equal(a.v, c.v, 32);
	/* Nothing of what was in the struct before stays behind the 32 bytes. */
	for (size_t i = 32; i < AG_NONCE_MAX; i++)
		assert_int_equal(a.v[i], 0);
	for (size_t i = 0; i < 32; i++)
		nonzero += a.v[i] != 0;
	assert_true(nonzero > 16);
}

static void
test_draw_text(void **state)
{
	struct ag_nonce a, b;
	struct ag_err err;
	char text[AG_NONCE_MAX + 1];
	int digits = 0, letters = 0;

	(void)state;
	assert_int_equal(ag_nonce_draw_text(&a, &err), AG_OK);
	assert_int_equal(ag_nonce_draw_text(&b, &err), AG_OK);
	assert_int_equal(a.len, 64);
	assert_int_equal(b.len, 64);
	assert_memory_not_equal(a.v, b.v, 64);
	for (size_t i = 0; i < 64; i++) {
		assert_true((a.v[i] >= '0' && a.v[i] <= '9') || (a.v[i] >= 'a' && a.v[i] <= 'f'));
		digits += isdigit(a.v[i]) != 0;
		letters += isalpha(b.v[i]) != 0;
	}
	assert_true(digits > 0);
	assert_true(letters > 0);
	/* It is text: as a C string it is the 64 characters. */
	assert_int_equal(ag_nonce_text(&a, text), 0);
	assert_int_equal(strlen(text), 64);
	assert_memory_equal(text, a.v, 64);
	/* And it decodes back to 32 bytes (the text is the hex of a draw). */
	{
		uint8_t raw[32];

		assert_int_equal(ag_hex_decode(text, raw, sizeof(raw)), 0);
	}
}

static void
test_from_hex(void **state)
{
	static const uint8_t want[] = { 0x00, 0x11, 0xab, 0xcd, 0xef, 0xff };
	char max[2 * AG_NONCE_MAX + 1];
	struct ag_nonce n;

	(void)state;
	from_hex_ok(&n, "0011abcdefff");
	assert_int_equal(n.len, sizeof(want));
	assert_memory_equal(n.v, want, sizeof(want));
	/* Either case. */
	from_hex_ok(&n, "0011ABCDEFFF");
	assert_int_equal(n.len, sizeof(want));
	assert_memory_equal(n.v, want, sizeof(want));
	/* The bounds: 2 digits (1 byte) and 128 digits (64 bytes). */
	from_hex_ok(&n, "9a");
	assert_int_equal(n.len, 1);
	assert_int_equal(n.v[0], 0x9a);
	for (size_t i = 0; i < 2 * AG_NONCE_MAX; i++)
		max[i] = "0123456789abcdef"[i % 16];
	max[2 * AG_NONCE_MAX] = '\0';
	from_hex_ok(&n, max);
	assert_int_equal(n.len, AG_NONCE_MAX);
	assert_int_equal(n.v[0], 0x01);
	assert_int_equal(n.v[63], 0xef);
	/* A shorter nonce after a longer one leaves nothing of it behind. */
	from_hex_ok(&n, "beef");
	assert_int_equal(n.len, 2);
	for (size_t i = 2; i < AG_NONCE_MAX; i++)
		assert_int_equal(n.v[i], 0);
}

static void
test_from_hex_refused(void **state)
{
	char big[2 * AG_NONCE_MAX + 3];

	(void)state;
	from_hex_refused("", "--nonce");
	from_hex_refused("a", "--nonce");
	from_hex_refused("abc", "--nonce");                  /* odd */
	from_hex_refused("0g", "evidence.json nonce");       /* not a digit */
	from_hex_refused("00 11", "--nonce");
	from_hex_refused("0x0011", "--nonce");
	from_hex_refused("+1", "--nonce");
	from_hex_refused(NULL, "ATTESTGATE_NONCE");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';                         /* 130 digits: 65 bytes */
	from_hex_refused(big, "--nonce");
	big[2 * AG_NONCE_MAX + 1] = '\0';                    /* 129 digits: odd and too long */
	from_hex_refused(big, "--nonce");
}

static void
test_hex_and_text(void **state)
{
	struct ag_nonce n;
	char hex[AG_NONCE_HEX_MAX], text[AG_NONCE_MAX + 1];

	(void)state;
	from_hex_ok(&n, "00FF10Ab");
	ag_nonce_hex(&n, hex);
	assert_string_equal(hex, "00ff10ab");
	/* A NUL and a 0xff byte are not text. */
	memset(text, 'x', sizeof(text));
	assert_int_equal(ag_nonce_text(&n, text), -1);
	from_hex_ok(&n, "6368616c6c656e6765");
	assert_int_equal(ag_nonce_text(&n, text), 0);
	assert_string_equal(text, "challenge");
	ag_nonce_hex(&n, hex);
	assert_string_equal(hex, "6368616c6c656e6765");
	/* Printable ASCII is 0x20..0x7e: the ends are text, the bytes just past them are not. */
	from_hex_ok(&n, "207e");
	assert_int_equal(ag_nonce_text(&n, text), 0);
	assert_string_equal(text, " ~");
	from_hex_ok(&n, "411f");
	assert_int_equal(ag_nonce_text(&n, text), -1);
	from_hex_ok(&n, "417f");
	assert_int_equal(ag_nonce_text(&n, text), -1);
	from_hex_ok(&n, "0a41");
	assert_int_equal(ag_nonce_text(&n, text), -1);
	from_hex_ok(&n, "4180");
	assert_int_equal(ag_nonce_text(&n, text), -1);
}

static void
test_claim_azureguest(void **state)
{
	struct ag_nonce n;
	struct ag_err err;
	char *claim;
	uint8_t *raw = NULL;
	size_t len = 0;

	(void)state;
	from_hex_ok(&n, "61747465737467617465");  /* "attestgate" */
	claim = ag_nonce_claim(&n, AG_NONCE_AZUREGUEST);
	assert_non_null(claim);
	assert_string_equal(claim, "YXR0ZXN0Z2F0ZQ==");
	free(claim);
	/* The gate's nonce: base64 of its 64 hex characters. */
	assert_int_equal(ag_nonce_draw_text(&n, &err), AG_OK);
	claim = ag_nonce_claim(&n, AG_NONCE_AZUREGUEST);
	assert_non_null(claim);
	assert_int_equal(strlen(claim), 88);
	assert_int_equal(ag_b64_decode(claim, strlen(claim), &raw, &len), 0);
	assert_int_equal(len, 64);
	assert_memory_equal(raw, n.v, 64);
	free(raw);
	free(claim);
	/* Binary bytes have no text to carry. */
	from_hex_ok(&n, "00112233");
	assert_null(ag_nonce_claim(&n, AG_NONCE_AZUREGUEST));
}

static void
test_claim_runtime(void **state)
{
	struct ag_nonce n;
	struct ag_err err;
	char *claim, hex[AG_NONCE_HEX_MAX];

	(void)state;
	from_hex_ok(&n, "00112233");
	claim = ag_nonce_claim(&n, AG_NONCE_RUNTIME);
	assert_non_null(claim);
	assert_string_equal(claim, "00112233");
	free(claim);
	/* Text is carried as the hex of its bytes, not the text itself. */
	from_hex_ok(&n, "6368616c6c656e6765");
	claim = ag_nonce_claim(&n, AG_NONCE_RUNTIME);
	assert_string_equal(claim, "6368616c6c656e6765");
	free(claim);
	/* The gate's 64-byte text nonce: 128 hex digits. */
	assert_int_equal(ag_nonce_draw_text(&n, &err), AG_OK);
	claim = ag_nonce_claim(&n, AG_NONCE_RUNTIME);
	assert_non_null(claim);
	assert_int_equal(strlen(claim), 128);
	ag_nonce_hex(&n, hex);
	assert_string_equal(claim, hex);
	assert_int_equal(claim[0], "0123456789abcdef"[n.v[0] >> 4]);
	free(claim);
}

static void
test_request_number(void **state)
{
	struct ag_nonce n;

	(void)state;
	from_hex_ok(&n, "0102030405060708090a");
	assert_true(ag_nonce_request_number(&n) == 0x0102030405060708ULL);
	/* The top bit is cleared: a non-negative int64. */
	from_hex_ok(&n, "ffffffffffffffffff");
	assert_true(ag_nonce_request_number(&n) == 0x7fffffffffffffffULL);
	from_hex_ok(&n, "8000000000000001");
	assert_true(ag_nonce_request_number(&n) == 1);
	from_hex_ok(&n, "f0000000000000a5");
	assert_true(ag_nonce_request_number(&n) == 0x70000000000000a5ULL);
	/* Only the first 8 bytes count. */
	from_hex_ok(&n, "0102030405060708ff");
	assert_true(ag_nonce_request_number(&n) == 0x0102030405060708ULL);
	/* A shorter nonce: its bytes, big-endian. */
	from_hex_ok(&n, "9009");
	assert_true(ag_nonce_request_number(&n) == 0x9009);
	/* The gate's text nonce: its first 8 characters' bytes. */
	from_hex_ok(&n, "6162636465666768");   /* "abcdefgh" */
	assert_true(ag_nonce_request_number(&n) == 0x6162636465666768ULL);
	/* No nonce: zero. */
	memset(&n, 0, sizeof(n));
	assert_true(ag_nonce_request_number(&n) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draw),
		cmocka_unit_test(test_draw_text),
		cmocka_unit_test(test_from_hex),
		cmocka_unit_test(test_from_hex_refused),
		cmocka_unit_test(test_hex_and_text),
		cmocka_unit_test(test_claim_azureguest),
		cmocka_unit_test(test_claim_runtime),
		cmocka_unit_test(test_request_number),
	};

	return cmocka_run_group_tests_name("nonce", tests, NULL, NULL);
}
