# Limits profile "small": table sizes for a device that runs the agent
# with one TAM, installs a few components per manifest and follows at most
# one level of dependency, instead of the library defaults that also serve
# the TAM and host tools. Select it with -DTK_EMBEDDED_PROFILE=small.
#
# Each limit still fails with its specific error when an input exceeds it
# (include/teepkit/*.h), so a manifest or message beyond these sizes is
# rejected, never truncated. Every image and test of embedded/ passes with
# them; docs/embedded.md gives the RAM and stack they save.
add_compile_definitions(
  # CBOR: 8 levels of nesting within one byte string (SUIT and TEEP need
  # 5), and no floats (only time values of delegation CWTs and EAT claims
  # may be floats; they are then rejected).
  TK_CBOR_MAX_DEPTH=8
  TK_CBOR_WITH_FLOAT=0
  # SUIT: 4 components, 2 dependencies, 1 dependency level, 2 manifests in
  # a procedure, 2 levels of try-each, no delegation chain longer than 1.
  TK_SUIT_MAX_COMPONENTS=4
  TK_SUIT_MAX_DEPENDENCIES=2
  TK_SUIT_MAX_SIGNATURES=2
  TK_SUIT_MAX_TRY_DEPTH=2
  TK_SUIT_MAX_DEPENDENCY_DEPTH=1
  TK_SUIT_MAX_MANIFESTS=2
  TK_SUIT_MAX_PARAM_COMPONENTS=4
  TK_SUIT_MAX_INTEGRATED=4
  TK_SUIT_MAX_UNDO=8
  TK_SUIT_MAX_DELEGATION=1
  # TEEP: 2 cipher suites, 2 manifests or reports per message, 4
  # installed components listed, 4 Update tokens remembered.
  TK_TEEP_MAX_SUITES=2
  TK_TEEP_MAX_VERSIONS=2
  TK_TEEP_MAX_FRESHNESS=2
  TK_TEEP_MAX_MANIFESTS=2
  TK_TEEP_MAX_UNNEEDED=2
  TK_TEEP_MAX_TC_LIST=4
  TK_TEEP_MAX_REQUESTED_TC=2
  TK_TEEP_MAX_EXTENSIONS=2
  TK_TEEP_MAX_SUIT_REPORTS=2
  TK_TEEP_MAX_SEEN_TOKENS=4
  # EAT: 2 manifests and measurements, 1 nonce.
  TK_EAT_MAX_MANIFESTS=2
  TK_EAT_MAX_MEASUREMENTS=2
  TK_EAT_MAX_NONCES=1)
