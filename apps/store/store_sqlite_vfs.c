/*
 * A VFS for the SQLite store that writes the frames of a WAL commit with
 * one system call instead of two per frame.
 *
 * SQLite 3.40 appends each WAL frame as two writes, its 24-byte header and
 * then its page (walWriteOneFrame() in wal.c). A commit of a TEEP
 * session's exchange appends 10 to 14 frames, and each write is one
 * pwrite() call, which costs more than copying its 1 KiB.
 *
 * This VFS passes every call to the default VFS. Only the writes to a WAL
 * file that continue the previous write go to a buffer first. The buffer
 * reaches the file as one write before any other call on that file: a
 * sync, a read, a size query or change, a lock, a file control, a write
 * elsewhere in the file, or the close.
 *
 * The store uses this VFS only with synchronous=FULL. Then SQLite syncs
 * the WAL after the last frame of every commit and only then adds the
 * commit to the WAL index (walFrames() in wal.c). Every frame is thus in
 * the file before a reader in this process or another can look for it. A
 * failed write fails that sync, and thus the commit. The bytes and their
 * order in the file are the same as without the buffer, so a crash leaves
 * the same kind of files behind. The frames of a commit that was not yet
 * synced may be missing or partial, and recovery ignores them either way.
 *
 * With synchronous=NORMAL a commit reaches the WAL index without a sync,
 * so the store opens such a database with the default VFS. A WAL file
 * without powersafe overwrite gets padded, and its last frame written
 * after the sync, so this VFS writes such a file directly.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_vfs.h"

/* Maximum size of the buffer. A commit of a session's exchange writes
 * about 14 frames of 1048 bytes. A write that does not fit goes to the
 * file after the buffer. */
#define WAL_BUFFER_MAX (64u * 1024u)

typedef struct wal_file {
    sqlite3_file base;   /* pMethods is wal_methods */
    sqlite3_file *real;  /* the default VFS's file, right after this */
    bool direct;         /* writes skip the buffer */
    sqlite3_int64 start; /* file offset of buf[0] */
    size_t used;         /* bytes in buf */
    unsigned char *buf;  /* NULL until the first buffered write */
} wal_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wal_vfs;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_rc = SQLITE_ERROR;

/* Writes the buffered bytes to the file and empties the buffer. */
static int flush(wal_file *f)
{
    if (f->used == 0)
        return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->used,
                                       f->start);
    f->used = 0;
    return rc;
}

static int wal_close(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    int closed = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int wal_read(sqlite3_file *file, void *out, int amount,
                    sqlite3_int64 offset)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc
                           : f->real->pMethods->xRead(f->real, out, amount,
                                                      offset);
}

static int wal_write(sqlite3_file *file, const void *data, int amount,
                     sqlite3_int64 offset)
{
    wal_file *f = (wal_file *)file;
    if (f->direct)
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    size_t n = amount > 0 ? (size_t)amount : 0;
    bool follows = f->used > 0 && offset == f->start + (sqlite3_int64)f->used;
    if (!follows || f->used + n > WAL_BUFFER_MAX) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->buf == NULL)
        f->buf = malloc(WAL_BUFFER_MAX);
    if (f->buf == NULL || f->used + n > WAL_BUFFER_MAX)
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (f->used == 0)
        f->start = offset;
    memcpy(f->buf + f->used, data, n);
    f->used += n;
    return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc
                           : f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc
                           : f->real->pMethods->xFileSize(f->real, size);
}

static int wal_lock(sqlite3_file *file, int level)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int wal_unlock(sqlite3_file *file, int level)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int wal_check_lock(sqlite3_file *file, int *locked)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, locked);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc
                           : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wal_sector_size(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wal_device_characteristics(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Version 1: SQLite calls the shared memory and memory map methods only
 * on the database file, which keeps the default VFS's methods. */
static const sqlite3_io_methods wal_methods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_lock,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
};

static int vfs_open(sqlite3_vfs *vfs, sqlite3_filename name,
                    sqlite3_file *file, int flags, int *out_flags)
{
    (void)vfs;
    if ((flags & SQLITE_OPEN_WAL) == 0)
        return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
    wal_file *f = (wal_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    /* SQLite calls xClose after a failed xOpen when pMethods is set. This
     * file's pMethods stays NULL then, so the real file is closed here. */
    if (rc != SQLITE_OK || f->real->pMethods == NULL) {
        if (f->real->pMethods != NULL)
            f->real->pMethods->xClose(f->real);
        return rc;
    }
    /* SQLite decides on the padding from the database file, whose URI
     * may turn powersafe overwrite off (psow=0), not from the WAL file. */
    sqlite3_file *db = sqlite3_database_file_object(name);
    int device = db != NULL && db->pMethods != NULL
                     ? db->pMethods->xDeviceCharacteristics(db)
                     : 0;
    f->direct = (device & SQLITE_IOCAP_POWERSAFE_OVERWRITE) == 0;
    f->base.pMethods = &wal_methods;
    return rc;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags,
                      int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int size,
                             char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, size, out);
}

static void *vfs_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void vfs_dl_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, size, out);
}

static void (*vfs_dl_sym(sqlite3_vfs *vfs, void *lib, const char *name))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, lib, name);
}

static void vfs_dl_close(sqlite3_vfs *vfs, void *lib)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, lib);
}

static int vfs_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, size, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, microseconds);
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int vfs_last_error(sqlite3_vfs *vfs, int size, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, size, out);
}

static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void register_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    /* Version 2 without the system call overrides of version 3, which
     * the store does not use. */
    if (real_vfs == NULL || real_vfs->iVersion < 2 ||
        real_vfs->xCurrentTimeInt64 == NULL)
        return;
    wal_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(wal_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = TK_STORE_SQLITE_WAL_VFS,
        .xOpen = vfs_open,
        .xDelete = vfs_delete,
        .xAccess = vfs_access,
        .xFullPathname = vfs_full_pathname,
        .xDlOpen = vfs_dl_open,
        .xDlError = vfs_dl_error,
        .xDlSym = vfs_dl_sym,
        .xDlClose = vfs_dl_close,
        .xRandomness = vfs_randomness,
        .xSleep = vfs_sleep,
        .xCurrentTime = vfs_current_time,
        .xGetLastError = vfs_last_error,
        .xCurrentTimeInt64 = vfs_current_time_int64,
    };
    register_rc = sqlite3_vfs_register(&wal_vfs, 0);
}

const char *tk_store_sqlite_wal_vfs(void)
{
    pthread_once(&register_once, register_vfs);
    return register_rc == SQLITE_OK ? TK_STORE_SQLITE_WAL_VFS : NULL;
}
