/*
 * Mutations of valid CBOR messages, for the hostile-input tables: a test
 * parses a valid message into a tree and changes each item in turn.
 *
 * The parser is written independently of lib/cbor so that it can serve as
 * an oracle. It accepts definite lengths only and keeps every head as it
 * was encoded, so an unchanged tree serializes to the original bytes. A
 * byte string whose content is one array, map or tag (a bstr-wrapped
 * structure, as COSE and SUIT use) is parsed too, and its length is
 * recomputed when an item inside it changes, so mutations reach nested
 * structures without breaking their framing.
 */
#ifndef HS_MUTATE_H
#define HS_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_MAX_NODES 1024
#define HS_NO_NODE (-1)

/* Kinds of change applied to one node when the tree is serialized. */
typedef enum hs_change {
    HS_KEEP = 0,
    HS_ARGUMENT,  /* head argument set to value, in the 8-byte form */
    HS_REPLACE,   /* node replaced by the encoded item in bytes */
    HS_DUPLICATE, /* map: first entry written twice */
    HS_APPEND,    /* array: last element twice; map: last value once more
                     under the integer key value */
    HS_NEST,      /* node wrapped in value one-element arrays */
    HS_TRUNCATE,  /* wrapped bstr: content cut to value bytes */
} hs_change;

typedef struct hs_node {
    uint8_t major;
    uint8_t ai; /* additional information of the original head */
    uint64_t arg;
    const uint8_t *content; /* string content, in the original message */
    bool wrapped;           /* bstr whose content is parsed as children */
    int first;              /* first child (element, entry key, tag content or
                               wrapped item), or HS_NO_NODE */
    int next;               /* next sibling */
    int parent;
    unsigned depth; /* containers, tags and wrapping bstrs around it */
    size_t index;   /* position among its siblings */
    bool is_key;    /* a map key */
    int64_t key;    /* for a map value: its integer key, else
                       INT64_MIN */
    size_t offset;  /* of the head in its enclosing buffer */
} hs_node;

/* A parsed message. */
typedef struct hs_tree {
    size_t count;
    hs_node nodes[HS_MAX_NODES];
} hs_tree;

/* One change to a tree, applied by hs_serialize(). */
typedef struct hs_mutation {
    int node;
    hs_change change;
    uint64_t value;
    const uint8_t *bytes;
    size_t len;
    char what[160]; /* description for failure messages */
} hs_mutation;

/* Parses buf[0..len). Returns false when it is not one well-formed
 * definite-length item or exceeds HS_MAX_NODES. */
bool hs_parse(hs_tree *t, const uint8_t *buf, size_t len);

/*
 * Serializes t with mutation m applied (m may be NULL) into a malloc'd
 * buffer (*out, *out_len) that the caller frees. Always succeeds; aborts
 * when out of memory.
 */
void hs_serialize(const hs_tree *t, const hs_mutation *m, uint8_t **out,
                  size_t *out_len);

/* Fills m and its description. */
void hs_mutation_set(hs_mutation *m, const hs_tree *t, int node,
                     hs_change change, uint64_t value, const uint8_t *bytes,
                     size_t len);

/*
 * Writes to repl (capacity 16) an item of another major type than major,
 * which no field of the formats under test accepts in its place: for an
 * integer a text string, for a string or simple value an integer, for an
 * array a map, for a map an array, for a tag a byte string. Returns its
 * length.
 */
size_t hs_wrong_type_item(uint8_t major, uint8_t *repl);

/* Encodes a CBOR head in preferred serialization into out (capacity 9).
 * Returns its length. */
size_t hs_cbor_head(uint8_t major, uint64_t arg, uint8_t *out);

/* Writes the path of node i, such as "[1].{3}.<<[0]>>", for messages. */
void hs_node_path(const hs_tree *t, int i, char *out, size_t cap);

/* Tells whether node i lies inside node ancestor (or is it). */
bool hs_node_within(const hs_tree *t, int i, int ancestor);

/* The child of node i at position index, or HS_NO_NODE. */
int hs_node_child(const hs_tree *t, int i, size_t index);

/* The value of map node i under integer key, or HS_NO_NODE. */
int hs_node_map_get(const hs_tree *t, int i, int64_t key);

#endif /* HS_MUTATE_H */
