/*
 * Static files of the web dashboard (apps/admin/dashboard), served without
 * a token because they carry no data: the page reads the API with the
 * token that the operator enters.
 */
#include <string.h>

#include "admin_dashboard.h"
#include "admin_internal.h"

/* Scripts, styles and API calls come only from this listener; nothing may
 * frame the page. */
#define DASHBOARD_CSP                                                       \
    "default-src 'none'; script-src 'self'; style-src 'self'; "            \
    "connect-src 'self'; img-src 'self'; base-uri 'none'; "                \
    "form-action 'none'; frame-ancestors 'none'"

bool admin_dashboard_file(const char *path, tk_net_response *resp,
                          tk_err *err)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < admin_dashboard_file_count; i++) {
        const admin_dashboard_entry *f = &admin_dashboard_files[i];
        if (strcmp(path, f->path) != 0)
            continue;
        resp->status = 200;
        *err = tk_net_response_set_body(resp, f->media_type, f->bytes,
                                        f->len);
        if (*err == TK_OK)
            *err = tk_net_response_add_header(resp,
                                              "Content-Security-Policy",
                                              DASHBOARD_CSP);
        if (*err == TK_OK)
            *err = tk_net_response_add_header(resp, "X-Frame-Options",
                                              "DENY");
        return true;
    }
    return false;
}
