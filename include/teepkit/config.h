/*
 * Feature switches and table limits of the teepkit core libraries.
 *
 * Every value can be overridden on the compiler command line, for example
 * -DTK_CBOR_MAX_DEPTH=8 or -DTK_CBOR_WITH_FLOAT=0, and every library reads
 * its values only from this file. A switch set to 0 removes the feature's
 * code, and the calls that need it then return TK_ERR_UNSUPPORTED or the
 * more specific error that the switch names. Limits are
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
 * level adds 17 bytes to tk_cbor_dec on x86-64 (9 on Cortex-M4) and 32
 * bytes to tk_cbor_enc (16 on Cortex-M4). A decoder can lower its own
 * limit with tk_cbor_dec_set_max_depth().
 */
#ifndef TK_CBOR_MAX_DEPTH
#define TK_CBOR_MAX_DEPTH 16
#endif

/*
 * Floating-point support (default 1): tk_cbor_enc_put_float() and its
 * fixed-width variants, and the double value of decoded floats. With 0,
 * decoded floats still come out with their raw IEEE 754 bits in
 * tk_cbor_item.value, and the encoder's float calls return
 * TK_ERR_UNSUPPORTED. Saves 218 bytes of Cortex-M4 text (-Os).
 */
#ifndef TK_CBOR_WITH_FLOAT
#define TK_CBOR_WITH_FLOAT 1
#endif

/*
 * Validity checks of the decoder (default 1): TK_CBOR_CHECK_DUP_KEYS,
 * TK_CBOR_CHECK_UTF8, TK_CBOR_CHECK_PREFERRED, TK_CBOR_CHECK_DETERMINISTIC
 * and TK_CBOR_CHECK_TAG_CONTENT. With 0, tk_cbor_dec_init() rejects these
 * flags with TK_ERR_UNSUPPORTED. Well-formedness is always checked. Saves
 * 924 bytes of Cortex-M4 text (-Os). With 1, a program whose decoders all
 * run without check flags links none of the checks either (cbor.h).
 */
#ifndef TK_CBOR_WITH_CHECKS
#define TK_CBOR_WITH_CHECKS 1
#endif

/*
 * Deterministic encoding (default 1): TK_CBOR_ENC_DETERMINISTIC, which
 * sorts map entries in place. With 0, tk_cbor_enc_init() rejects the flag
 * with TK_ERR_UNSUPPORTED. Saves 350 bytes of Cortex-M4 text (-Os).
 */
#ifndef TK_CBOR_WITH_SORT
#define TK_CBOR_WITH_SORT 1
#endif

/*
 * Fast path of the pull decoder (default 1, and 0 in builds for size such
 * as -Os). With 1, a decoder without check flags reads integers, definite
 * strings, arrays and maps, tags and one-byte simple values with an inline
 * reader. It gives the same items, errors and offsets as the general
 * reader, which does all of it with 0: Cortex-M4 text at -Os is then 502
 * bytes smaller.
 */
#ifndef TK_CBOR_FAST_PATH
#if defined(__OPTIMIZE_SIZE__)
#define TK_CBOR_FAST_PATH 0
#else
#define TK_CBOR_FAST_PATH 1
#endif
#endif

/* ---- COSE (lib/cose) and SUIT (lib/suit) ----------------------------- */

/*
 * The sizes below are what one switch set to 0 saves in the flash of the
 * core libraries of the SUIT image, against the library defaults, as
 * bench/embedded/switches.sh measures them (arm-none-eabi-gcc 12.2,
 * -mcpu=cortex-m4 -mthumb -Os, --gc-sections). Switches add up only
 * roughly, because parts share code.
 */

/*
 * COSE_Sign, the structure with several signers (default 1). With 0,
 * tk_cose_sign_decode(), tk_cose_sign_verify() and tk_cose_sign_sign()
 * return TK_ERR_COSE_STRUCTURE_UNSUPPORTED, and so does tk_cose_verify()
 * for a COSE_Sign. COSE_Sign1 is always built in. Saves 912 bytes.
 */
#ifndef TK_COSE_WITH_SIGN
#define TK_COSE_WITH_SIGN 1
#endif

/*
 * COSE_Mac0 and COSE_Mac (default 1). With 0, their decoders, verifiers
 * and builders return TK_ERR_COSE_STRUCTURE_UNSUPPORTED. Saves 969 bytes.
 */
#ifndef TK_COSE_WITH_MAC
#define TK_COSE_WITH_MAC 1
#endif

/*
 * COSE_Encrypt0 and COSE_Encrypt with their recipients (direct, AES key
 * wrap, ECDH-ES), and tk_cose_decrypt_prepare() (default 1). With 0, these
 * calls return TK_ERR_COSE_STRUCTURE_UNSUPPORTED, and so does COSE_Mac,
 * whose key comes from recipients. Saves 5,531 bytes.
 */
#ifndef TK_COSE_WITH_ENCRYPT
#define TK_COSE_WITH_ENCRYPT 1
#endif

/*
 * Each SUIT switch below removes a part of the SUIT processor. A manifest
 * that needs a removed part fails with the specific error named, which
 * tk_suit_processor_error() locates and tk_suit_error_reason() maps to a
 * SUIT report reason. A removed call returns TK_ERR_UNSUPPORTED.
 */

/*
 * Payload decryption (draft-ietf-suit-firmware-encryption-24, default 1).
 * With 0, suit-parameter-encryption-info fails with
 * TK_ERR_SUIT_PARAMETER_UNSUPPORTED. Saves 2,279 bytes.
 */
#ifndef TK_SUIT_WITH_DECRYPTION
#define TK_SUIT_WITH_DECRYPTION 1
#endif

/*
 * Authentication blocks of COSE_Mac0 and COSE_Mac (default 1). With 0,
 * they count as unsupported blocks: an envelope authenticated by them
 * alone fails with TK_ERR_SUIT_ALG_UNSUPPORTED. Saves 1,079 bytes.
 */
#ifndef TK_SUIT_WITH_MAC
#define TK_SUIT_WITH_MAC 1
#endif

/*
 * Delegation chains of CWTs in suit-delegation
 * (draft-ietf-suit-trust-domains-11 section 4, default 1). With 0, an
 * envelope with suit-delegation fails with TK_ERR_SUIT_UNKNOWN_MEMBER.
 * Saves 1,362 bytes.
 */
#ifndef TK_SUIT_WITH_DELEGATION
#define TK_SUIT_WITH_DELEGATION 1
#endif

/*
 * Dependencies and the trust-domain commands
 * (draft-ietf-suit-trust-domains-11 sections 5 and 6, default 1): the
 * suit-dependencies member, process-dependency, dependency-integrity,
 * is-dependency, unlink and the uninstall procedure. With 0, a manifest
 * with suit-dependencies fails with TK_ERR_SUIT_UNKNOWN_MEMBER, the
 * commands with TK_ERR_SUIT_COMMAND_UNSUPPORTED, and TK_SUIT_OP_UNINSTALL
 * with TK_ERR_UNSUPPORTED. Saves 2,124 bytes.
 */
#ifndef TK_SUIT_WITH_DEPENDENCIES
#define TK_SUIT_WITH_DEPENDENCIES 1
#endif

/*
 * Checks of suit-text and tk_suit_text_get() (default 1). With 0, the text
 * of a manifest is kept as bytes without its structure check (its digest
 * is still checked when it is severed), and tk_suit_text_get() returns
 * TK_ERR_UNSUPPORTED. Saves 382 bytes.
 */
#ifndef TK_SUIT_WITH_TEXT
#define TK_SUIT_WITH_TEXT 1
#endif

/*
 * SUIT reports (draft-ietf-suit-report-18, default 1): with 0,
 * tk_suit_report_encode(), tk_suit_report_sign() and
 * tk_suit_report_decode() return TK_ERR_UNSUPPORTED. The SUIT image does
 * not link them, and the agent image saves 894 bytes.
 */
#ifndef TK_SUIT_WITH_REPORT
#define TK_SUIT_WITH_REPORT 1
#endif

/*
 * The conditions, directives and parameters of
 * draft-ietf-suit-update-management-14 (default 1): conditions use-before,
 * image-not-match, minimum-battery, update-authorized and version,
 * directives wait, override-multiple and copy-params. With 0 they fail
 * with TK_ERR_SUIT_COMMAND_UNSUPPORTED, and their parameters (use-before,
 * minimum-battery, update-priority, version, wait-info,
 * component-metadata) with TK_ERR_SUIT_PARAMETER_UNSUPPORTED.
 * suit-set-version is then kept as bytes without its check. Saves 1,959
 * bytes.
 */
#ifndef TK_SUIT_WITH_UPDATE_MANAGEMENT
#define TK_SUIT_WITH_UPDATE_MANAGEMENT 1
#endif

/* ---- other core libraries: add a section per library here ------------ */

#endif /* TEEPKIT_CONFIG_H */
