/*
 * The dashboard's static files, compiled in by embed_dashboard.cmake.
 */
#ifndef TK_ADMIN_DASHBOARD_H
#define TK_ADMIN_DASHBOARD_H

#include <stddef.h>

typedef struct admin_dashboard_entry {
    const char *path;       /* "/app.js" */
    const char *media_type; /* Content-Type of the reply */
    const unsigned char *bytes;
    size_t len;
} admin_dashboard_entry;

extern const admin_dashboard_entry admin_dashboard_files[];
extern const size_t admin_dashboard_file_count;

#endif /* TK_ADMIN_DASHBOARD_H */
