/* SPDX-License-Identifier: MIT */
/*
 * suites.h - the test tables of the unit tests, one per module under test
 * (tests/unit/test_<module>.c), run by tests/unit/main.c.  Adding a module:
 * write its table there, declare it here and list it in main.c.
 */
#ifndef PGJOB_SUITES_H
#define PGJOB_SUITES_H

#include "harness.h"

extern const Test strnum_tests[];
extern const Test jsonnum_tests[];
extern const Test log_tests[];
extern const Test error_tests[];
extern const Test db_tests[];
extern const Test migrations_tests[];
extern const Test config_tests[];
extern const Test sdnotify_tests[];
extern const Test handlers_tests[];
extern const Test handler_exec_tests[];
extern const Test enrich_tests[];
extern const Test enrich_fields_tests[];
extern const Test enrich_table_tests[];
extern const Test enrich_rules_tests[];
extern const Test contact_tests[];
extern const Test contact_intl_tests[];
extern const Test invoice_tests[];
extern const Test invoice_corpus_tests[];
extern const Test invoice_heldout_tests[];
extern const Test cgi_mem_tests[];
extern const Test cgi_utf8_tests[];
extern const Test cgi_document_tests[];
extern const Test cgi_uuid_tests[];
extern const Test cgi_keycache_tests[];
extern const Test cgi_timestamp_tests[];
extern const Test cgi_sha256_tests[];
extern const Test cgi_request_tests[];
extern const Test cgi_router_tests[];
extern const Test cgi_job_view_tests[];
extern const Test cgi_render_tests[];
extern const Test cgi_validate_tests[];
extern const Test cgi_cursor_tests[];
extern const Test cgi_base64_tests[];
extern const Test cgi_multipart_tests[];
extern const Test cgi_upload_tests[];
extern const Test cgi_item_rules_tests[];
extern const Test cgi_waiters_tests[];
extern const Test cgi_submit_group_tests[];
extern const Test cgi_metrics_tests[];
extern const Test cgi_profile_tests[];
extern const Test ctl_tests[];
extern const Test exporter_tests[];
extern const Test doc_text_tests[];
extern const Test cgi_hmac_tests[];
extern const Test promtext_tests[];
extern const Test lease_tests[];
extern const Test job_tests[];

#endif
