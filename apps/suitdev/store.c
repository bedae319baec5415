/*
 * The component store of the simulated SUIT device: one image file and one
 * metadata file per component in a single folder, atomic commits over
 * several components, and recovery of commits that a crash interrupted.
 *
 * Files of component STEM (see tk_suitdev_component_name()):
 *   STEM.img       the image
 *   STEM.meta      JSON metadata: component id, manifest sequence number
 *                  and digest, image digest and size
 *   STEM.tomb      with keep_tombstones, the tombstone of a deleted
 *                  component: its metadata with the highest sequence
 *                  number it had, kept after the delete for rollback
 *                  checks
 *   STEM.img.new   an image staged by a commit
 *   STEM.meta.new  the metadata staged by a commit
 *   STEM.tomb.new  the tombstone staged by a commit that deletes STEM
 * and, while a commit applies its changes, commit.journal: the components
 * it changes, so that recovery can finish it.
 * Every file is reached through openat() on the store folder with
 * O_NOFOLLOW, and stems never contain '/', so no name leaves the folder.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suitdev_internal.h"

#define STEM_MAX_TEXT 128

tk_err suitdev_fail(tk_suitdev *device, tk_err err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(device->message, sizeof(device->message), fmt, ap);
    va_end(ap);
    return err;
}

int suitdev_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    unsigned int out_len = 0;

    if (EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) != 1 ||
        out_len != 32)
        return -1;
    return 0;
}

void suitdev_crash_point(const char *point)
{
    const char *target = getenv(TK_SUITDEV_CRASH_ENV);

    if (target != NULL && strcmp(target, point) == 0)
        kill(getpid(), SIGKILL);
}

static void hex_encode(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Decodes exactly out_len bytes of lowercase or uppercase hex. Returns 0,
 * or -1 when text has another length or a non-hex character. */
static int hex_decode(const char *text, uint8_t *out, size_t out_len)
{
    if (strlen(text) != 2 * out_len)
        return -1;
    for (size_t i = 0; i < 2 * out_len; i++) {
        char c = text[i];
        int v;

        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] = (uint8_t)(out[i / 2] | v);
    }
    return 0;
}

static int segment_is_text(tk_view seg)
{
    if (seg.len == 0)
        return 0;
    for (size_t i = 0; i < seg.len; i++) {
        uint8_t c = seg.ptr[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Hashes the segments with each one preceded by its 8-byte big-endian
 * length, an encoding that no two different identifiers share. */
static tk_err hash_component_id(const tk_suitdev_id *id, uint8_t out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int out_len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

    for (size_t i = 0; ok && i < id->count; i++) {
        uint8_t len_be[8];
        uint64_t len = id->segment[i].len;

        for (int b = 7; b >= 0; b--) {
            len_be[b] = (uint8_t)(len & 0xff);
            len >>= 8;
        }
        ok = EVP_DigestUpdate(ctx, len_be, 8) == 1 &&
             (id->segment[i].len == 0 ||
              EVP_DigestUpdate(ctx, id->segment[i].ptr,
                               id->segment[i].len) == 1);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &out_len) == 1 && out_len == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? TK_OK : TK_ERR_INTERNAL;
}

tk_err tk_suitdev_component_name(const tk_suitdev_id *id, char *name)
{
    size_t pos = 1;

    if (id == NULL || name == NULL)
        return TK_ERR_INVALID_ARG;
    if (id->count > TK_SUITDEV_MAX_SEGMENTS)
        return TK_ERR_SUIT_DEVICE_BAD_COMPONENT_ID;
    name[0] = 'c';
    for (size_t i = 0; i < id->count; i++) {
        tk_view seg = id->segment[i];
        int text = segment_is_text(seg);
        size_t need = 2 + (text ? seg.len : 2 * seg.len);

        if (seg.len > STEM_MAX_TEXT || pos + need > STEM_MAX_TEXT) {
            pos = 0;
            break;
        }
        name[pos++] = '_';
        name[pos++] = text ? 's' : 'h';
        if (text) {
            memcpy(name + pos, seg.ptr, seg.len);
        } else if (seg.len > 0) {
            hex_encode(seg.ptr, seg.len, name + pos);
        }
        pos += need - 2;
    }
    if (pos == 0) {
        uint8_t digest[32];
        tk_err err = hash_component_id(id, digest);

        if (err != TK_OK)
            return err;
        name[0] = 'c';
        name[1] = '~';
        hex_encode(digest, sizeof(digest), name + 2);
        return TK_OK;
    }
    name[pos] = '\0';
    return TK_OK;
}

/* Writes STEM SUFFIX into out (capacity TK_SUITDEV_NAME_SIZE + 16). */
static void file_name(char *out, const char *stem, const char *suffix)
{
    snprintf(out, TK_SUITDEV_NAME_SIZE + 16, "%s%s", stem, suffix);
}

static int fsync_dir(tk_suitdev *device)
{
    return fsync(device->dir_fd);
}

/*
 * Creates or truncates NAME in the store and writes data, fsync'ing it.
 * With crash_points set, the named crash points of an image install are
 * passed. Returns 0, or -1 with errno set (the partial file is removed).
 */
static int write_file_at(tk_suitdev *device, const char *name,
                         const uint8_t *data, size_t len, int crash_points)
{
    int fd = openat(device->dir_fd, name,
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                    0600);
    size_t done = 0;

    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        done += (size_t)n;
    }
    if (crash_points)
        suitdev_crash_point("after-write");
    if (fsync(fd) != 0)
        goto fail;
    if (crash_points)
        suitdev_crash_point("after-fsync");
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;

fail: {
    int saved = errno;

    if (fd >= 0)
        close(fd);
    unlinkat(device->dir_fd, name, 0);
    errno = saved;
    return -1;
}
}

/*
 * Reads NAME from the store into a malloc'd buffer with a NUL after *len.
 * Returns 0, or -1 with errno set: ENOENT when it does not exist, EFBIG
 * when it is larger than max_len, EINVAL when it is not a regular file.
 */
static int read_file_at(tk_suitdev *device, const char *name, size_t max_len,
                        uint8_t **data, size_t *len)
{
    int fd = openat(device->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    uint8_t *buf = NULL;
    size_t done = 0;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((uintmax_t)st.st_size > max_len) {
        errno = EFBIG;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto fail;
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    buf[done] = 0;
    *data = buf;
    *len = done;
    return 0;

fail: {
    int saved = errno;

    free(buf);
    close(fd);
    errno = saved;
    return -1;
}
}

static int file_exists_at(tk_suitdev *device, const char *name)
{
    struct stat st;

    return fstatat(device->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Serializes meta and the component id as the JSON of a .meta file into a
 * malloc'd string. Returns NULL when out of memory. */
static char *meta_to_json(const tk_suitdev_id *id, const tk_suitdev_meta *meta)
{
    json_t *root = json_object();
    json_t *segments = json_array();
    char hex[2 * TK_SUITDEV_MAX_DIGEST + 1];
    char *text = NULL;

    if (root == NULL || segments == NULL)
        goto done;
    for (size_t i = 0; i < id->count; i++) {
        char *seg = malloc(2 * id->segment[i].len + 1);

        if (seg == NULL)
            goto done;
        hex_encode(id->segment[i].ptr, id->segment[i].len, seg);
        json_array_append_new(segments, json_string(seg));
        free(seg);
    }
    json_object_set(root, "component-id", segments);
    json_object_set_new(root, "sequence-number",
                        json_integer((json_int_t)meta->sequence_number));
    if (meta->manifest_digest_len > 0) {
        hex_encode(meta->manifest_digest, meta->manifest_digest_len, hex);
        json_object_set_new(root, "manifest-digest-algorithm",
                            json_integer(meta->manifest_digest_alg));
        json_object_set_new(root, "manifest-digest", json_string(hex));
    }
    hex_encode(meta->image_digest, sizeof(meta->image_digest), hex);
    json_object_set_new(root, "image-digest", json_string(hex));
    json_object_set_new(root, "image-size",
                        json_integer((json_int_t)meta->image_size));
    text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);

done:
    json_decref(segments);
    json_decref(root);
    return text;
}

/* Parses the JSON of a .meta file into id and meta. The segments of id
 * point into *id_bytes, a malloc'd buffer that the caller frees. */
static tk_err meta_from_json(const char *text, size_t len, tk_suitdev_id *id,
                             uint8_t **id_bytes, tk_suitdev_meta *meta)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *segments, *seq, *size, *image, *digest, *alg;
    size_t total = 0, used = 0;
    tk_err err = TK_ERR_SUIT_DEVICE_IO;

    memset(meta, 0, sizeof(*meta));
    memset(id, 0, sizeof(*id));
    *id_bytes = NULL;
    if (root == NULL)
        return err;
    segments = json_object_get(root, "component-id");
    seq = json_object_get(root, "sequence-number");
    size = json_object_get(root, "image-size");
    image = json_object_get(root, "image-digest");
    digest = json_object_get(root, "manifest-digest");
    alg = json_object_get(root, "manifest-digest-algorithm");
    if (!json_is_array(segments) ||
        json_array_size(segments) > TK_SUITDEV_MAX_SEGMENTS ||
        !json_is_integer(seq) || json_integer_value(seq) < 0 ||
        !json_is_integer(size) || json_integer_value(size) < 0 ||
        !json_is_string(image) ||
        hex_decode(json_string_value(image), meta->image_digest, 32) != 0)
        goto done;
    meta->sequence_number = (uint64_t)json_integer_value(seq);
    meta->image_size = (uint64_t)json_integer_value(size);
    if (digest != NULL) {
        const char *hex = json_string_value(digest);
        size_t n = hex != NULL ? strlen(hex) / 2 : 0;

        if (!json_is_integer(alg) || n == 0 || n > TK_SUITDEV_MAX_DIGEST ||
            hex_decode(hex, meta->manifest_digest, n) != 0)
            goto done;
        meta->manifest_digest_len = n;
        meta->manifest_digest_alg = json_integer_value(alg);
    }
    for (size_t i = 0; i < json_array_size(segments); i++) {
        const char *hex = json_string_value(json_array_get(segments, i));

        if (hex == NULL || strlen(hex) % 2 != 0)
            goto done;
        total += strlen(hex) / 2;
    }
    *id_bytes = malloc(total + 1);
    if (*id_bytes == NULL)
        goto done;
    for (size_t i = 0; i < json_array_size(segments); i++) {
        const char *hex = json_string_value(json_array_get(segments, i));
        size_t n = strlen(hex) / 2;

        if (hex_decode(hex, *id_bytes + used, n) != 0)
            goto done;
        id->segment[i] = (tk_view){*id_bytes + used, n};
        used += n;
    }
    id->count = json_array_size(segments);
    err = TK_OK;

done:
    if (err != TK_OK) {
        free(*id_bytes);
        *id_bytes = NULL;
    }
    json_decref(root);
    return err;
}

/* Reads and parses STEM.meta (or another metadata file name). */
static tk_err load_meta(tk_suitdev *device, const char *name,
                        tk_suitdev_id *id, uint8_t **id_bytes,
                        tk_suitdev_meta *meta)
{
    uint8_t *text;
    size_t len;
    tk_err err;

    if (read_file_at(device, name, 1u << 20, &text, &len) != 0) {
        if (errno == ENOENT)
            return TK_ERR_NOT_FOUND;
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot read %s/%s: %s", device->store_dir, name,
                            strerror(errno));
    }
    err = meta_from_json((const char *)text, len, id, id_bytes, meta);
    free(text);
    if (err != TK_OK)
        return suitdev_fail(device, err,
                            "metadata file %s/%s is damaged; delete the "
                            "component and install it again",
                            device->store_dir, name);
    return TK_OK;
}

/* Returns 1 when the image file NAME exists and has the SHA-256 digest
 * expected, 0 otherwise. */
static int image_matches(tk_suitdev *device, const char *name,
                         const uint8_t expected[32])
{
    uint8_t *data;
    size_t len;
    uint8_t digest[32];
    int same;

    if (read_file_at(device, name, device->max_image_size, &data, &len) != 0)
        return 0;
    same = suitdev_sha256(data, len, digest) == 0 &&
           memcmp(digest, expected, 32) == 0;
    free(data);
    return same;
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);

    return n > s && strcmp(name + n - s, suffix) == 0;
}

/* Copies NAME without SUFFIX into stem (capacity TK_SUITDEV_NAME_SIZE).
 * Returns 0, or -1 when it does not fit. */
static int strip_suffix(const char *name, const char *suffix, char *stem)
{
    size_t n = strlen(name) - strlen(suffix);

    if (n >= TK_SUITDEV_NAME_SIZE)
        return -1;
    memcpy(stem, name, n);
    stem[n] = '\0';
    return 0;
}

/* Collects the names of the store folder into a malloc'd, sorted array.
 * Returns the count, or -1 with errno set. */
static long list_names(tk_suitdev *device, char ***names)
{
    int fd = dup(device->dir_fd);
    DIR *dir;
    struct dirent *ent;
    char **list = NULL;
    size_t count = 0, cap = 0;

    if (fd < 0)
        return -1;
    dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return -1;
    }
    rewinddir(dir);
    while ((ent = readdir(dir)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (count == cap) {
            size_t next = cap == 0 ? 16 : 2 * cap;
            char **grown = realloc(list, next * sizeof(*list));

            if (grown == NULL)
                goto fail;
            list = grown;
            cap = next;
        }
        list[count] = strdup(ent->d_name);
        if (list[count] == NULL)
            goto fail;
        count++;
    }
    closedir(dir);
    for (size_t i = 1; i < count; i++) {
        for (size_t j = i; j > 0 && strcmp(list[j - 1], list[j]) > 0; j--) {
            char *t = list[j];

            list[j] = list[j - 1];
            list[j - 1] = t;
        }
    }
    *names = list;
    return (long)count;

fail:
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
    closedir(dir);
    errno = ENOMEM;
    return -1;
}

static void free_names(char **names, long count)
{
    for (long i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Writes the metadata JSON of an install to NAME. */
static int write_meta_at(tk_suitdev *device, const char *name,
                         const tk_suitdev_id *id, const tk_suitdev_meta *meta)
{
    char *text = meta_to_json(id, meta);
    int rc;

    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    rc = write_file_at(device, name, (const uint8_t *)text, strlen(text), 0);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Commits of several components                                          */
/* ---------------------------------------------------------------------- */

/*
 * A commit stages every component first (STEM.img.new, STEM.meta.new),
 * then writes the journal: the list of components it changes, written to
 * JOURNAL_NEW, fsync'ed and renamed to JOURNAL_NAME. That rename is the
 * commit point. Then the staged files are renamed over the old ones (or a
 * deleted component's files removed) and the journal is removed. Opening
 * the store finishes a journal it finds and discards every staged file
 * without one, so a crash leaves all components old or all new.
 */
#define JOURNAL_NAME "commit.journal"
#define JOURNAL_NEW "commit.journal.new"
#define JOURNAL_HEADER "teepkit-suitdev-journal 1"
#define JOURNAL_END "end"

/* One line of the journal: what happens to one component. */
struct journal_op {
    tk_suitdev_change_kind kind;
    char stem[TK_SUITDEV_NAME_SIZE];
};

static const char *kind_word(tk_suitdev_change_kind kind)
{
    switch (kind) {
    case TK_SUITDEV_CHANGE_INSTALL:
        return "install";
    case TK_SUITDEV_CHANGE_METADATA:
        return "metadata";
    default:
        return "delete";
    }
}

/* Returns 1 when text[0..len) can be a stem of tk_suitdev_component_name:
 * "c" followed by letters, digits, '_', '-' and '~'. */
static int stem_valid(const char *text, size_t len)
{
    if (len == 0 || len >= TK_SUITDEV_NAME_SIZE || text[0] != 'c')
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = text[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '~';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Parses one "KIND STEM" line into op. Returns 0, or -1 when malformed. */
static int journal_line(const char *line, size_t len, struct journal_op *op)
{
    static const tk_suitdev_change_kind kinds[] = {
        TK_SUITDEV_CHANGE_INSTALL, TK_SUITDEV_CHANGE_METADATA,
        TK_SUITDEV_CHANGE_DELETE};

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const char *word = kind_word(kinds[k]);
        size_t n = strlen(word);

        if (len > n + 1 && memcmp(line, word, n) == 0 && line[n] == ' ' &&
            stem_valid(line + n + 1, len - n - 1)) {
            op->kind = kinds[k];
            memcpy(op->stem, line + n + 1, len - n - 1);
            op->stem[len - n - 1] = '\0';
            return 0;
        }
    }
    return -1;
}

/*
 * Parses a journal: the header line, one line per component, and the end
 * line. Fills a malloc'd array that the caller frees. Returns 0, or -1
 * when the text is not a complete journal.
 */
static int journal_parse(const char *text, size_t len,
                         struct journal_op **ops, size_t *count)
{
    struct journal_op *list = calloc(len / 8 + 1, sizeof(*list));
    size_t n = 0, pos = 0, line_no = 0;
    int ended = 0;

    if (list == NULL)
        return -1;
    while (pos < len && !ended) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len;

        if (nl == NULL)
            break;
        line_len = (size_t)(nl - (text + pos));
        if (line_no == 0) {
            if (line_len != strlen(JOURNAL_HEADER) ||
                memcmp(text + pos, JOURNAL_HEADER, line_len) != 0)
                break;
        } else if (line_len == strlen(JOURNAL_END) &&
                   memcmp(text + pos, JOURNAL_END, line_len) == 0) {
            ended = 1;
        } else if (n > len / 8 ||
                   journal_line(text + pos, line_len, &list[n++]) != 0) {
            break;
        }
        line_no++;
        pos += line_len + 1;
    }
    if (!ended || pos != len) {
        free(list);
        return -1;
    }
    *ops = list;
    *count = n;
    return 0;
}

/*
 * Makes op final: renames its staged files over the component's files, or
 * removes a deleted component (metadata first). A step already done finds
 * no file and is skipped, so running op again after a crash is harmless.
 * Returns 0, or -1 with errno set.
 */
static int journal_apply(tk_suitdev *device, const struct journal_op *op,
                         int crash_points)
{
    char img[TK_SUITDEV_NAME_SIZE + 16], img_new[TK_SUITDEV_NAME_SIZE + 16];
    char meta[TK_SUITDEV_NAME_SIZE + 16], meta_new[TK_SUITDEV_NAME_SIZE + 16];
    int fd = device->dir_fd;

    file_name(img, op->stem, ".img");
    file_name(img_new, op->stem, ".img.new");
    file_name(meta, op->stem, ".meta");
    file_name(meta_new, op->stem, ".meta.new");
    if (op->kind == TK_SUITDEV_CHANGE_DELETE) {
        char tomb[TK_SUITDEV_NAME_SIZE + 16];
        char tomb_new[TK_SUITDEV_NAME_SIZE + 16];

        /* The tombstone first: no step leaves the component gone without
         * the record of its sequence number. */
        file_name(tomb, op->stem, ".tomb");
        file_name(tomb_new, op->stem, ".tomb.new");
        if (renameat(fd, tomb_new, fd, tomb) != 0 && errno != ENOENT)
            return -1;
        if (unlinkat(fd, meta, 0) != 0 && errno != ENOENT)
            return -1;
        if (unlinkat(fd, img, 0) != 0 && errno != ENOENT)
            return -1;
        return 0;
    }
    if (op->kind == TK_SUITDEV_CHANGE_INSTALL) {
        if (renameat(fd, img_new, fd, img) != 0 && errno != ENOENT)
            return -1;
        if (crash_points)
            suitdev_crash_point("after-rename");
    }
    if (renameat(fd, meta_new, fd, meta) != 0 && errno != ENOENT)
        return -1;
    if (crash_points)
        suitdev_crash_point("after-metadata");
    return 0;
}

/*
 * Finishes the commit whose journal is in the store, if any: applies every
 * line again, then removes the journal. A damaged journal is an error,
 * since the store cannot tell which components the commit changed.
 */
static tk_err journal_finish(tk_suitdev *device)
{
    uint8_t *text;
    size_t len, count = 0;
    struct journal_op *ops = NULL;

    if (read_file_at(device, JOURNAL_NAME, 1u << 20, &text, &len) != 0) {
        if (errno == ENOENT)
            return TK_OK;
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot read %s/%s: %s", device->store_dir,
                            JOURNAL_NAME, strerror(errno));
    }
    if (journal_parse((const char *)text, len, &ops, &count) != 0) {
        free(text);
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "commit journal %s/%s is damaged, so the store "
                            "cannot tell which components an interrupted "
                            "procedure changed; check them and remove the "
                            "journal", device->store_dir, JOURNAL_NAME);
    }
    free(text);
    for (size_t i = 0; i < count; i++) {
        if (journal_apply(device, &ops[i], 0) != 0) {
            suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                         "completing the commit of %s/%s failed: %s",
                         device->store_dir, ops[i].stem, strerror(errno));
            free(ops);
            return TK_ERR_SUIT_DEVICE_IO;
        }
    }
    free(ops);
    if (fsync_dir(device) != 0 ||
        unlinkat(device->dir_fd, JOURNAL_NAME, 0) != 0 ||
        fsync_dir(device) != 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot remove %s/%s: %s", device->store_dir,
                            JOURNAL_NAME, strerror(errno));
    return TK_OK;
}

/* Removes the staged files of ops[0..count) and a journal being written. */
static void discard_staged(tk_suitdev *device, const struct journal_op *ops,
                           size_t count)
{
    char name[TK_SUITDEV_NAME_SIZE + 16];

    for (size_t i = 0; i < count; i++) {
        file_name(name, ops[i].stem, ".img.new");
        unlinkat(device->dir_fd, name, 0);
        file_name(name, ops[i].stem, ".meta.new");
        unlinkat(device->dir_fd, name, 0);
        file_name(name, ops[i].stem, ".tomb.new");
        unlinkat(device->dir_fd, name, 0);
    }
    unlinkat(device->dir_fd, JOURNAL_NEW, 0);
}

/*
 * Stages the tombstone of a component that a change deletes, when the
 * store keeps tombstones: STEM.tomb.new with the manifest fields of the
 * highest of three sequence numbers. They are the installed one, that of
 * an earlier tombstone, so a tombstone never goes down, and that of the
 * manifest that deletes (deleting, zero for a delete without one), so the
 * manifests it replaced cannot undo the delete. Nothing is staged for a
 * component that is not installed.
 */
static tk_err stage_tombstone(tk_suitdev *device, const tk_suitdev_id *id,
                              const char *stem,
                              const tk_suitdev_meta *deleting)
{
    char meta[TK_SUITDEV_NAME_SIZE + 16], tomb[TK_SUITDEV_NAME_SIZE + 16];
    char tomb_new[TK_SUITDEV_NAME_SIZE + 16];
    tk_suitdev_id stored;
    uint8_t *id_bytes = NULL;
    tk_suitdev_meta current, earlier;
    tk_err err;

    if (!device->keep_tombstones)
        return TK_OK;
    file_name(meta, stem, ".meta");
    file_name(tomb, stem, ".tomb");
    file_name(tomb_new, stem, ".tomb.new");
    err = load_meta(device, meta, &stored, &id_bytes, &current);
    free(id_bytes);
    if (err == TK_ERR_NOT_FOUND)
        return TK_OK;
    if (err != TK_OK)
        return err;
    id_bytes = NULL;
    err = load_meta(device, tomb, &stored, &id_bytes, &earlier);
    free(id_bytes);
    if (err == TK_OK && earlier.sequence_number > current.sequence_number)
        current = earlier;
    else if (err != TK_OK && err != TK_ERR_NOT_FOUND)
        return err;
    if (deleting->sequence_number > current.sequence_number)
        current = *deleting;
    if (write_meta_at(device, tomb_new, id, &current) != 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot write %s/%s: %s", device->store_dir,
                            tomb_new, strerror(errno));
    return TK_OK;
}

/*
 * Writes the staged files of one change: the image, read back to check it,
 * and the metadata with the image's digest and size (for a metadata
 * change, those of the stored image).
 */
static tk_err stage_change(tk_suitdev *device, const tk_suitdev_change *c,
                           const char *stem)
{
    char img_new[TK_SUITDEV_NAME_SIZE + 16];
    char meta[TK_SUITDEV_NAME_SIZE + 16], meta_new[TK_SUITDEV_NAME_SIZE + 16];
    tk_suitdev_meta record = c->meta;

    file_name(img_new, stem, ".img.new");
    file_name(meta, stem, ".meta");
    file_name(meta_new, stem, ".meta.new");
    if (c->kind == TK_SUITDEV_CHANGE_DELETE)
        return stage_tombstone(device, c->id, stem, &c->meta);
    if (c->kind == TK_SUITDEV_CHANGE_METADATA) {
        tk_suitdev_id stored;
        uint8_t *id_bytes = NULL;
        tk_suitdev_meta current;
        tk_err err = load_meta(device, meta, &stored, &id_bytes, &current);

        free(id_bytes);
        if (err == TK_ERR_NOT_FOUND)
            return suitdev_fail(device, err, "cannot record a manifest for "
                                "%s/%s: the component is not installed",
                                device->store_dir, stem);
        if (err != TK_OK)
            return err;
        memcpy(record.image_digest, current.image_digest,
               sizeof(record.image_digest));
        record.image_size = current.image_size;
    } else {
        record.image_size = c->len;
        if (suitdev_sha256(c->data, c->len, record.image_digest) != 0)
            return suitdev_fail(device, TK_ERR_INTERNAL, "SHA-256 failed");
        if (write_file_at(device, img_new, c->data, c->len, 1) != 0)
            return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                                "cannot write %s/%s: %s", device->store_dir,
                                img_new, strerror(errno));
        if (!image_matches(device, img_new, record.image_digest))
            return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                                "%s/%s does not read back as written",
                                device->store_dir, img_new);
    }
    if (write_meta_at(device, meta_new, c->id, &record) != 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot write %s/%s: %s", device->store_dir,
                            meta_new, strerror(errno));
    return TK_OK;
}

/* Writes the journal of ops and renames it into place: the commit point. */
static int journal_write(tk_suitdev *device, const struct journal_op *ops,
                         size_t count)
{
    size_t cap = strlen(JOURNAL_HEADER) + strlen(JOURNAL_END) + 2 +
                 count * (TK_SUITDEV_NAME_SIZE + 16);
    char *text = malloc(cap);
    size_t len = 0;
    int rc;

    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    len += (size_t)snprintf(text + len, cap - len, "%s\n", JOURNAL_HEADER);
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s %s\n",
                                kind_word(ops[i].kind), ops[i].stem);
    len += (size_t)snprintf(text + len, cap - len, "%s\n", JOURNAL_END);
    rc = write_file_at(device, JOURNAL_NEW, (const uint8_t *)text, len, 0);
    free(text);
    if (rc != 0)
        return -1;
    if (renameat(device->dir_fd, JOURNAL_NEW, device->dir_fd,
                 JOURNAL_NAME) != 0 ||
        fsync_dir(device) != 0)
        return -1;
    return 0;
}

/* Checks one change and names its files. */
static tk_err change_check(tk_suitdev *device, const tk_suitdev_change *c,
                           struct journal_op *op)
{
    tk_err err;

    if (c->id == NULL ||
        (c->kind != TK_SUITDEV_CHANGE_INSTALL &&
         c->kind != TK_SUITDEV_CHANGE_METADATA &&
         c->kind != TK_SUITDEV_CHANGE_DELETE) ||
        (c->kind == TK_SUITDEV_CHANGE_INSTALL && c->data == NULL &&
         c->len > 0))
        return TK_ERR_INVALID_ARG;
    err = tk_suitdev_component_name(c->id, op->stem);
    if (err != TK_OK)
        return suitdev_fail(device, err, "component identifier has %zu "
                            "segments, more than %d", c->id->count,
                            TK_SUITDEV_MAX_SEGMENTS);
    if (c->kind == TK_SUITDEV_CHANGE_INSTALL &&
        c->len > device->max_image_size)
        return suitdev_fail(device, TK_ERR_LIMIT,
                            "image of %zu bytes is larger than the limit of "
                            "%zu bytes", c->len, device->max_image_size);
    op->kind = c->kind;
    return TK_OK;
}

tk_err tk_suitdev_commit(tk_suitdev *device, const tk_suitdev_change *changes,
                         size_t count)
{
    struct journal_op *ops;
    size_t staged = 0;
    int journal_tried = 0;
    tk_err err = TK_OK;

    if (device == NULL || (changes == NULL && count > 0))
        return TK_ERR_INVALID_ARG;
    if (count == 0)
        return TK_OK;
    ops = calloc(count, sizeof(*ops));
    if (ops == NULL)
        return TK_ERR_INTERNAL;
    for (size_t i = 0; err == TK_OK && i < count; i++) {
        err = change_check(device, &changes[i], &ops[i]);
        for (size_t j = 0; err == TK_OK && j < i; j++)
            if (strcmp(ops[i].stem, ops[j].stem) == 0)
                err = suitdev_fail(device, TK_ERR_INVALID_ARG,
                                   "component %s is changed twice in one "
                                   "commit", ops[i].stem);
    }
    /* A commit that an earlier I/O error interrupted is finished first, so
     * its journal is never overwritten. */
    if (err == TK_OK)
        err = journal_finish(device);
    for (; err == TK_OK && staged < count; staged++)
        err = stage_change(device, &changes[staged], ops[staged].stem);
    if (err == TK_OK) {
        suitdev_crash_point("before-rename");
        journal_tried = 1;
        if (fsync_dir(device) != 0 || journal_write(device, ops, count) != 0)
            err = suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                               "cannot write the commit journal %s/%s: %s",
                               device->store_dir, JOURNAL_NAME,
                               strerror(errno));
    }
    if (err != TK_OK) {
        /* Nothing was applied: removing the staged files and a journal
         * this call wrote keeps the old components. */
        discard_staged(device, ops, staged);
        if (journal_tried)
            unlinkat(device->dir_fd, JOURNAL_NAME, 0);
        fsync_dir(device);
        free(ops);
        return err;
    }
    suitdev_crash_point("after-journal");
    for (size_t i = 0; i < count; i++) {
        if (journal_apply(device, &ops[i], 1) != 0) {
            err = suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                               "committing %s/%s failed: %s; the store "
                               "completes the commit when it is opened again",
                               device->store_dir, ops[i].stem,
                               strerror(errno));
            break;
        }
        if (i + 1 < count)
            suitdev_crash_point("between-renames");
    }
    free(ops);
    if (err != TK_OK)
        return err;
    if (fsync_dir(device) != 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot sync %s: %s", device->store_dir,
                            strerror(errno));
    suitdev_crash_point("after-apply");
    if (unlinkat(device->dir_fd, JOURNAL_NAME, 0) != 0 ||
        fsync_dir(device) != 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot remove %s/%s: %s", device->store_dir,
                            JOURNAL_NAME, strerror(errno));
    return TK_OK;
}

/*
 * Brings the folder back to a consistent state after a crash: finishes a
 * committed procedure from its journal, discards the staged files of a
 * procedure that did not reach its commit point, and removes images
 * without metadata and metadata without an image.
 */
static tk_err recover_store(tk_suitdev *device)
{
    char **names;
    long count;
    char stem[TK_SUITDEV_NAME_SIZE], other[TK_SUITDEV_NAME_SIZE + 16];
    tk_err err = journal_finish(device);

    if (err != TK_OK)
        return err;
    count = list_names(device, &names);
    if (count < 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot list %s: %s", device->store_dir,
                            strerror(errno));
    for (long i = 0; i < count; i++) {
        const char *suffix = NULL, *partner = NULL;

        if (has_suffix(names[i], ".new")) {
            unlinkat(device->dir_fd, names[i], 0);
            continue;
        }
        if (has_suffix(names[i], ".img")) {
            suffix = ".img";
            partner = ".meta";
        } else if (has_suffix(names[i], ".meta")) {
            suffix = ".meta";
            partner = ".img";
        }
        if (suffix == NULL || strip_suffix(names[i], suffix, stem) != 0)
            continue;
        file_name(other, stem, partner);
        if (!file_exists_at(device, other))
            unlinkat(device->dir_fd, names[i], 0);
    }
    free_names(names, count);
    fsync_dir(device);
    return TK_OK;
}

tk_err tk_suitdev_open(const tk_suitdev_config *config, tk_suitdev **device)
{
    tk_suitdev *dev;
    tk_err err;

    if (config == NULL || config->store_dir == NULL || device == NULL)
        return TK_ERR_INVALID_ARG;
    *device = NULL;
    dev = calloc(1, sizeof(*dev));
    if (dev == NULL)
        return TK_ERR_INTERNAL;
    dev->dir_fd = -1;
    dev->allow_http = config->allow_http;
    dev->keep_tombstones = config->keep_tombstones != 0;
    dev->max_image_size = config->max_image_size != 0
                              ? config->max_image_size
                              : TK_SUITDEV_DEFAULT_MAX_IMAGE;
    dev->http_timeout_ms =
        config->http_timeout_ms > 0 ? config->http_timeout_ms : 30000;
    dev->store_dir = strdup(config->store_dir);
    dev->fetch_dirs = calloc(config->fetch_dir_count + 1, sizeof(char *));
    if (dev->store_dir == NULL || dev->fetch_dirs == NULL) {
        tk_suitdev_close(dev);
        return TK_ERR_INTERNAL;
    }
    for (size_t i = 0; i < config->fetch_dir_count; i++) {
        char *real = realpath(config->fetch_dirs[i], NULL);

        if (real == NULL) {
            tk_suitdev_close(dev);
            return TK_ERR_SUIT_DEVICE_IO;
        }
        dev->fetch_dirs[dev->fetch_dir_count++] = real;
    }
    dev->dir_fd = open(config->store_dir,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dev->dir_fd < 0) {
        tk_suitdev_close(dev);
        return TK_ERR_SUIT_DEVICE_IO;
    }
    err = recover_store(dev);
    if (err != TK_OK) {
        tk_suitdev_close(dev);
        return err;
    }
    *device = dev;
    return TK_OK;
}

void tk_suitdev_close(tk_suitdev *device)
{
    if (device == NULL)
        return;
    if (device->dir_fd >= 0)
        close(device->dir_fd);
    for (size_t i = 0; i < device->fetch_dir_count; i++)
        free(device->fetch_dirs[i]);
    free(device->fetch_dirs);
    free(device->store_dir);
    free(device);
}

const char *tk_suitdev_last_error(const tk_suitdev *device)
{
    return device != NULL ? device->message : "";
}

tk_err tk_suitdev_install(tk_suitdev *device, const tk_suitdev_id *id,
                          const uint8_t *data, size_t len,
                          const tk_suitdev_meta *meta)
{
    tk_suitdev_change change;

    if (device == NULL || id == NULL || meta == NULL ||
        (data == NULL && len > 0))
        return TK_ERR_INVALID_ARG;
    memset(&change, 0, sizeof(change));
    change.kind = TK_SUITDEV_CHANGE_INSTALL;
    change.id = id;
    change.data = data;
    change.len = len;
    change.meta = *meta;
    return tk_suitdev_commit(device, &change, 1);
}

tk_err tk_suitdev_read(tk_suitdev *device, const tk_suitdev_id *id,
                       uint8_t **data, size_t *len)
{
    char stem[TK_SUITDEV_NAME_SIZE], img[TK_SUITDEV_NAME_SIZE + 16];
    char meta[TK_SUITDEV_NAME_SIZE + 16];
    tk_err err;

    if (device == NULL || id == NULL || data == NULL || len == NULL)
        return TK_ERR_INVALID_ARG;
    err = tk_suitdev_component_name(id, stem);
    if (err != TK_OK)
        return err;
    file_name(img, stem, ".img");
    file_name(meta, stem, ".meta");
    if (!file_exists_at(device, meta))
        return TK_ERR_NOT_FOUND;
    if (read_file_at(device, img, device->max_image_size, data, len) != 0) {
        if (errno == ENOENT)
            return TK_ERR_NOT_FOUND;
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot read %s/%s: %s", device->store_dir, img,
                            strerror(errno));
    }
    return TK_OK;
}

/* Reads the metadata file of component id with the suffix ext (".meta"
 * or ".tomb") into *meta. */
static tk_err get_meta_file(tk_suitdev *device, const tk_suitdev_id *id,
                            const char *ext, tk_suitdev_meta *meta)
{
    char stem[TK_SUITDEV_NAME_SIZE], name[TK_SUITDEV_NAME_SIZE + 16];
    tk_suitdev_id stored;
    uint8_t *id_bytes = NULL;
    tk_err err;

    if (device == NULL || id == NULL || meta == NULL)
        return TK_ERR_INVALID_ARG;
    err = tk_suitdev_component_name(id, stem);
    if (err != TK_OK)
        return err;
    file_name(name, stem, ext);
    err = load_meta(device, name, &stored, &id_bytes, meta);
    free(id_bytes);
    return err;
}

tk_err tk_suitdev_get_meta(tk_suitdev *device, const tk_suitdev_id *id,
                           tk_suitdev_meta *meta)
{
    return get_meta_file(device, id, ".meta", meta);
}

tk_err tk_suitdev_get_tombstone(tk_suitdev *device, const tk_suitdev_id *id,
                                tk_suitdev_meta *meta)
{
    return get_meta_file(device, id, ".tomb", meta);
}

tk_err tk_suitdev_delete(tk_suitdev *device, const tk_suitdev_id *id)
{
    char stem[TK_SUITDEV_NAME_SIZE], meta[TK_SUITDEV_NAME_SIZE + 16];
    tk_suitdev_change change;
    tk_err err;

    if (device == NULL || id == NULL)
        return TK_ERR_INVALID_ARG;
    err = tk_suitdev_component_name(id, stem);
    if (err != TK_OK)
        return err;
    file_name(meta, stem, ".meta");
    if (!file_exists_at(device, meta))
        return TK_ERR_NOT_FOUND;
    memset(&change, 0, sizeof(change));
    change.kind = TK_SUITDEV_CHANGE_DELETE;
    change.id = id;
    return tk_suitdev_commit(device, &change, 1);
}

tk_err tk_suitdev_list(tk_suitdev *device, tk_suitdev_entry **entries,
                       size_t *count)
{
    char **names;
    long n;
    tk_suitdev_entry *list;
    size_t used = 0;

    if (device == NULL || entries == NULL || count == NULL)
        return TK_ERR_INVALID_ARG;
    n = list_names(device, &names);
    if (n < 0)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_IO,
                            "cannot list %s: %s", device->store_dir,
                            strerror(errno));
    list = calloc((size_t)n + 1, sizeof(*list));
    if (list == NULL) {
        free_names(names, n);
        return TK_ERR_INTERNAL;
    }
    for (long i = 0; i < n; i++) {
        tk_suitdev_entry *e = &list[used];
        tk_err err;

        if (!has_suffix(names[i], ".meta") ||
            strip_suffix(names[i], ".meta", e->name) != 0)
            continue;
        err = load_meta(device, names[i], &e->id, &e->id_bytes, &e->meta);
        if (err != TK_OK) {
            tk_suitdev_list_free(list, used);
            free_names(names, n);
            return err;
        }
        used++;
    }
    free_names(names, n);
    *entries = list;
    *count = used;
    return TK_OK;
}

void tk_suitdev_list_free(tk_suitdev_entry *entries, size_t count)
{
    if (entries == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(entries[i].id_bytes);
    free(entries);
}

tk_err tk_suitdev_check_rollback(tk_suitdev *device, const tk_suitdev_id *id,
                                 uint64_t sequence_number,
                                 const tk_suitdev_meta *manifest)
{
    tk_suitdev_meta installed;
    const char *state = "installed";
    tk_err err;

    if (device == NULL || id == NULL || manifest == NULL)
        return TK_ERR_INVALID_ARG;
    err = tk_suitdev_get_meta(device, id, &installed);
    if (err == TK_ERR_NOT_FOUND) {
        state = "deleted";
        err = tk_suitdev_get_tombstone(device, id, &installed);
    }
    if (err == TK_ERR_NOT_FOUND)
        return TK_OK;
    if (err != TK_OK)
        return err;
    if (sequence_number < installed.sequence_number)
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_ROLLBACK,
                            "manifest sequence number %llu is lower than "
                            "%llu of the %s component",
                            (unsigned long long)sequence_number,
                            (unsigned long long)installed.sequence_number,
                            state);
    if (sequence_number == installed.sequence_number &&
        (installed.manifest_digest_len != manifest->manifest_digest_len ||
         installed.manifest_digest_alg != manifest->manifest_digest_alg ||
         memcmp(installed.manifest_digest, manifest->manifest_digest,
                manifest->manifest_digest_len) != 0))
        return suitdev_fail(device, TK_ERR_SUIT_DEVICE_ROLLBACK,
                            "manifest sequence number %llu equals that of "
                            "the %s component but the manifest differs; a "
                            "new manifest needs a higher number",
                            (unsigned long long)sequence_number, state);
    return TK_OK;
}
