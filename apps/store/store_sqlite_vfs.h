/*
 * The VFS of the SQLite store that writes the frames of a WAL commit with
 * one system call (store_sqlite_vfs.c).
 */
#ifndef TK_STORE_SQLITE_VFS_H
#define TK_STORE_SQLITE_VFS_H

/* The name under which the VFS is registered with SQLite. */
#define TK_STORE_SQLITE_WAL_VFS "teepkit-wal"

/* Registers the VFS on the first call; returns its name, or NULL when the
 * default VFS cannot be wrapped (then the default VFS serves). Only for
 * connections with synchronous=FULL: see store_sqlite_vfs.c. */
const char *tk_store_sqlite_wal_vfs(void);

#endif
