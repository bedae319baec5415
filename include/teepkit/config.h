/*
 * Feature switches and table limits of the teepkit core libraries.
 *
 * Every value can be overridden on the compiler command line, for example
 * -DTK_CBOR_MAX_DEPTH=8 or -DTK_CBOR_WITH_FLOAT=0, and every library reads
 * its values only from this file. A switch set to 0 removes the feature's
 * code; the calls that need it then return TK_ERR_UNSUPPORTED. Limits are
 * compile-time table sizes, and exceeding one is a specific error, never a
 * truncation.
 *
 * Each library adds its own section below, with the default, the unit and
 * the measured size effect of each switch. The CBOR sizes come from
 * bench/cbor/run.sh (arm-none-eabi-gcc 12.2, -mcpu=cortex-m4 -mthumb -Os).
 */
#ifndef TEEPKIT_CONFIG_H
#define TEEPKIT_CONFIG_H

/* ---- CBOR (lib/cbor) ------------------------------------------------- */

/*
 * Maximum nesting depth of arrays, maps and tags, counted per tag head and
 * per container, for both the encoder and the decoder (default 16). Each
 * level adds 64 bytes to tk_cbor_dec on x86-64 (32 on Cortex-M4) and 32
 * bytes to tk_cbor_enc. A decoder can lower its own limit with
 * tk_cbor_dec_set_max_depth().
 */
#ifndef TK_CBOR_MAX_DEPTH
#define TK_CBOR_MAX_DEPTH 16
#endif

/*
 * Floating-point support (default 1): tk_cbor_enc_put_float() and its
 * fixed-width variants, and the double value of decoded floats. With 0,
 * decoded floats still come out with their raw IEEE 754 bits in
 * tk_cbor_item.value, and the encoder's float calls return
 * TK_ERR_UNSUPPORTED. Saves 206 bytes of Cortex-M4 text (-Os).
 */
#ifndef TK_CBOR_WITH_FLOAT
#define TK_CBOR_WITH_FLOAT 1
#endif

/*
 * Validity checks of the decoder (default 1): TK_CBOR_CHECK_DUP_KEYS,
 * TK_CBOR_CHECK_UTF8, TK_CBOR_CHECK_PREFERRED, TK_CBOR_CHECK_DETERMINISTIC
 * and TK_CBOR_CHECK_TAG_CONTENT. With 0, tk_cbor_dec_init() rejects these
 * flags with TK_ERR_UNSUPPORTED. Well-formedness is always checked. Saves
 * 860 bytes of Cortex-M4 text (-Os).
 */
#ifndef TK_CBOR_WITH_CHECKS
#define TK_CBOR_WITH_CHECKS 1
#endif

/*
 * Deterministic encoding (default 1): TK_CBOR_ENC_DETERMINISTIC, which
 * sorts map entries in place. With 0, tk_cbor_enc_init() rejects the flag
 * with TK_ERR_UNSUPPORTED. Saves 394 bytes of Cortex-M4 text (-Os).
 */
#ifndef TK_CBOR_WITH_SORT
#define TK_CBOR_WITH_SORT 1
#endif

/*
 * Fast path of the pull decoder (default 1, and 0 in builds for size such
 * as -Os). With 1, a decoder without check flags reads integers, definite
 * strings, arrays and maps, tags and one-byte simple values with an inline
 * reader. tk_cbor_validate() without flags then uses a walker of its own.
 * Both give the same items, errors and offsets as the general reader,
 * which does all of it with 0: Cortex-M4 text at -Os is then 1,050 bytes
 * smaller.
 */
#ifndef TK_CBOR_FAST_PATH
#if defined(__OPTIMIZE_SIZE__)
#define TK_CBOR_FAST_PATH 0
#else
#define TK_CBOR_FAST_PATH 1
#endif
#endif

/* ---- other core libraries: add a section per library here ------------ */

#endif /* TEEPKIT_CONFIG_H */
