/* SPDX-License-Identifier: MIT */
/* contact_title.h - seniority and department from a job title. */
#ifndef PGJOB_CONTACT_TITLE_H
#define PGJOB_CONTACT_TITLE_H

#include <stdbool.h>
#include <stddef.h>

/* ContactTitle is what a title says about its holder; the strings are
 * static, NULL when the title does not say. */
typedef struct ContactTitle {
    const char *seniority;  /* "c_level", "vp", "director", "manager", "individual_contributor" */
    const char *department; /* "executive", "sales", "marketing", "engineering", "product",
                               "design", "finance", "hr", "operations", "it", "legal",
                               "customer_success", "data" */
    double confidence;      /* 0..1 for seniority: lower when only the default applied */
} ContactTitle;

/* contact_title_classify reads title ("Sr. VP, Global Sales", "Head of
 * People", "CTO & Co-Founder") in any case.  Returns false when title is
 * NULL or has no words. */
bool contact_title_classify(const char *title, ContactTitle *out)
    __attribute__((warn_unused_result));

/* contact_title_abbreviation returns the i-th abbreviation the titles'
 * reader writes out ("mgr") and sets *words to what it stands for
 * ("manager"); NULL past the end.  For the unit tests, which check the
 * table's order. */
const char *contact_title_abbreviation(size_t i, const char **words);

#endif
