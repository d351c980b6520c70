/* SPDX-License-Identifier: MIT */
/* main.c is unit_tests: the explicit list of test tables, run by harness.c. */
#include <stddef.h>

#include "harness.h"
#include "suites.h"

static const Test *const tables[] = {
    strnum_tests,
    jsonnum_tests,
    log_tests,
    error_tests,
    db_tests,
    migrations_tests,
    config_tests,
    sdnotify_tests,
    handlers_tests,
    handler_exec_tests,
    exporter_tests,
    promtext_tests,
    lease_tests,
    job_tests,
    enrich_tests,
    enrich_fields_tests,
    enrich_table_tests,
    enrich_rules_tests,
    contact_tests,
    contact_intl_tests,
    invoice_tests,
    invoice_corpus_tests,
    invoice_heldout_tests,
    /* cgi/: the pure modules of pgjob.fcgi */
    cgi_mem_tests,
    cgi_utf8_tests,
    cgi_document_tests,
    cgi_uuid_tests,
    cgi_keycache_tests,
    cgi_timestamp_tests,
    cgi_sha256_tests,
    cgi_request_tests,
    cgi_router_tests,
    cgi_job_view_tests,
    cgi_render_tests,
    cgi_validate_tests,
    cgi_cursor_tests,
    cgi_base64_tests,
    cgi_multipart_tests,
    cgi_upload_tests,
    cgi_item_rules_tests,
    /* cgi/: long-polls and metrics */
    cgi_waiters_tests,
    cgi_submit_group_tests,
    cgi_metrics_tests,
    cgi_profile_tests,
    /* ctl/: pgjobctl's helpers */
    ctl_tests,
    doc_text_tests,
    cgi_hmac_tests,
    NULL,
};

int main(int argc, char **argv)
{
    return harness_main(argc, argv, tables);
}
