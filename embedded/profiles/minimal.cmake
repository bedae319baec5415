# Device profile "minimal": secure boot and install. A device that
# verifies ES256 or ESP256 COSE_Sign1 manifests, checks vendor, class,
# device, slot and image, runs fetch, copy, write, swap and invoke with
# try-each and run-sequence, and answers a TAM with one manifest per
# Update. Select it with -DTK_EMBEDDED_PROFILE=minimal.
#
# Everything else is switched off (include/teepkit/config.h): a manifest
# or message that needs a part left out fails with that part's specific
# error (tests/embedded/test_features.c checks each one), never silently.
# The limits are those of the "small" profile, lowered where one manifest
# per Update and no dependencies allow. docs/embedded.md gives the flash,
# RAM and stack of this profile beside the library defaults.
#
# Its SUIT processor for secure boot and install is the lean one of
# lib/suit/lite (include/teepkit/suit_lite.h, image tk_image_suit_lite):
# 8,533 bytes of flash with its crypto helpers and 1,320 bytes of stack
# measured, under the 12 KiB and 2 KiB targets. The full processor, which the TEEP
# Agent uses, keeps its 21,459 bytes (bench/embedded/run.sh prints both).
add_compile_definitions(
  # CBOR: 5 levels of nesting, which SUIT manifests, COSE_Sign1 and TEEP
  # messages need, and no floats, so no soft-float code is linked.
  TK_CBOR_MAX_DEPTH=5
  TK_CBOR_WITH_FLOAT=0
  # COSE: COSE_Sign1 only, header maps of up to 4 labels, 1 of them in
  # crit.
  TK_COSE_WITH_SIGN=0
  TK_COSE_WITH_MAC=0
  TK_COSE_WITH_ENCRYPT=0
  TK_COSE_MAX_HEADER_LABELS=4
  TK_COSE_MAX_CRIT=1
  TK_COSE_MAX_SIGNATURES=1
  TK_COSE_MAX_RECIPIENTS=1
  TK_COSE_MAX_RECIPIENT_DEPTH=1
  # SUIT: the core processor of draft-ietf-suit-manifest-37 and reports.
  TK_SUIT_WITH_DECRYPTION=0
  TK_SUIT_WITH_MAC=0
  TK_SUIT_WITH_DELEGATION=0
  TK_SUIT_WITH_DEPENDENCIES=0
  TK_SUIT_WITH_TEXT=0
  TK_SUIT_WITH_UPDATE_MANAGEMENT=0
  TK_SUIT_WITH_REPORT=1
  # SUIT limits: 4 components, one manifest, 2 levels of try-each, 2
  # signatures, no decode caches (they trade RAM for speed), and 64-byte
  # chunks for streaming component images.
  TK_SUIT_MAX_COMPONENTS=4
  TK_SUIT_MAX_DEPENDENCIES=1
  TK_SUIT_MAX_SIGNATURES=2
  # NOTE: with try-each nested to this limit the call graph allows 2,468
  # bytes of stack, above the 2 KiB target. No published example nests it.
  TK_SUIT_MAX_TRY_DEPTH=2
  TK_SUIT_MAX_DEPENDENCY_DEPTH=1
  TK_SUIT_MAX_MANIFESTS=1
  TK_SUIT_MAX_PARAM_COMPONENTS=4
  TK_SUIT_MAX_INTEGRATED=2
  TK_SUIT_MAX_UNDO=8
  TK_SUIT_MAX_DELEGATION=1
  TK_SUIT_MAX_WIDE_LABELS=2
  TK_SUIT_MAX_CUSTOM_PARAMS=1
  TK_SUIT_MAX_VERSION_PARTS=1
  TK_SUIT_MAX_CACHED_COMMANDS=0
  TK_SUIT_MAX_CACHED_PARAMS=0
  TK_SUIT_CHUNK_SIZE=64
  # TEEP: one cipher suite, one manifest or report per message, 4
  # installed components listed, 4 Update tokens remembered.
  TK_TEEP_MAX_SUITES=1
  TK_TEEP_MAX_VERSIONS=1
  TK_TEEP_MAX_FRESHNESS=1
  TK_TEEP_MAX_PROFILES=4
  TK_TEEP_MAX_MANIFESTS=1
  TK_TEEP_MAX_UNNEEDED=1
  TK_TEEP_MAX_TC_LIST=4
  TK_TEEP_MAX_REQUESTED_TC=1
  TK_TEEP_MAX_EXTENSIONS=1
  TK_TEEP_MAX_SUIT_REPORTS=1
  TK_TEEP_MAX_SIGNERS=1
  TK_TEEP_MAX_SEEN_TOKENS=4
  TK_TEEP_MAX_KID=16
  # EAT: 1 manifest, 1 measurement, 1 nonce.
  TK_EAT_MAX_MANIFESTS=1
  TK_EAT_MAX_MEASUREMENTS=1
  TK_EAT_MAX_NONCES=1
  # Crypto states sized for the device's Mbed TLS configuration
  # (SHA-256 only; AES-CTR and AES-GCM streams).
  TK_CRYPTO_HASH_STATE_SIZE=128)
