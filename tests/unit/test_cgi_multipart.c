/* SPDX-License-Identifier: MIT */
/* test_cgi_multipart.c tests the multipart/form-data parser (cgi/multipart.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"
#include "suites.h"

#define CT "multipart/form-data; boundary=XyZ"

/* A part of the body of the tests: a name, a file's part, its content. */
#define TEXT_PART(name, value) \
    "--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\n" value "\r\n"
#define END "--XyZ--\r\n"

static MultipartForm form;

/* parse parses the n bytes of body with content type ct into form. */
static bool parse_n(const char *ct, const char *body, size_t n, Error *err)
{
    error_clear(err);
    memset(&form, 0x55, sizeof form);
    return multipart_parse(ct, body, n, &form, err);
}

static bool parse(const char *ct, const char *body, Error *err)
{
    return parse_n(ct, body, strlen(body), err);
}

/* check_part checks part i of form. */
static void check_part_at(size_t i, const char *name, const char *filename, const char *type,
                          const char *data, size_t len, int line)
{
    const MultipartPart *p = &form.parts[i];
    bool ok = CHECK_STR(p->name, name);

    ok = CHECK_STR(p->filename, filename ? filename : "") && ok;
    ok = CHECK(p->has_filename == (filename != NULL)) && ok;
    ok = CHECK_STR(p->content_type, type) && ok;
    ok = CHECK_INT(p->len, len) && ok;
    ok = CHECK(memcmp(p->data, data, len) == 0) && ok;
    if (!ok)
        fprintf(stderr, "line %d: part %zu\n", line, i);
}

#define check_part(i, name, filename, type, data, len) \
    check_part_at(i, name, filename, type, data, len, __LINE__)

/* check_fails checks that body fails with status and a message that
 * contains words. */
static void check_fails_at(const char *ct, const char *body, size_t n, int status,
                           const char *words, int line)
{
    Error err;

    if (parse_n(ct, body, n, &err)) {
        fprintf(stderr, "line %d: accepted\n", line);
        CHECK(false);
        return;
    }
    if (!CHECK_INT(err.status, status) ||
        !CHECK_STR(err.code, status == 415 ? "unsupported_media_type" : "invalid_multipart") ||
        !CHECK(strstr(err.message, words) != NULL))
        fprintf(stderr, "line %d: %d %s: %s\n", line, err.status, err.code, err.message);
}

#define check_fails(body, words) check_fails_at(CT, body, strlen(body), 400, words, __LINE__)
#define check_ct_fails(ct, status, words)                                                       \
    check_fails_at(ct, TEXT_PART("a", "1") END, strlen(TEXT_PART("a", "1") END), status, words, \
                   __LINE__)

/* ---- the boundary ---- */

static void boundary_forms(void)
{
    char b[MULTIPART_BOUNDARY_MAX + 1];
    Error err;

    error_clear(&err);
    REQUIRE(multipart_boundary(CT, b, &err));
    CHECK_STR(b, "XyZ");
    REQUIRE(multipart_boundary("Multipart/Form-Data;BOUNDARY=\"a b'()+_,-./:=?c\"", b, &err));
    CHECK_STR(b, "a b'()+_,-./:=?c");
    REQUIRE(
        multipart_boundary("  multipart/form-data ; charset=utf-8 ;; boundary=--x--  ", b, &err));
    CHECK_STR(b, "--x--");
    /* A quoted-pair in another parameter. */
    REQUIRE(multipart_boundary("multipart/form-data; x=\"a\\\";b\"; boundary=q", b, &err));
    CHECK_STR(b, "q");
    REQUIRE(multipart_boundary("multipart/form-data; boundary=ab/c=:?", b, &err));
    CHECK_STR(b, "ab/c=:?");
    /* The WebKit and urllib3 shapes. */
    REQUIRE(multipart_boundary(
        "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b, &err));
    CHECK_STR(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
    CHECK(!error_is_set(&err));
}

static void boundary_length(void)
{
    char ct[160], b[MULTIPART_BOUNDARY_MAX + 1];
    Error err;

    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%070d", 7);
    CHECK(multipart_boundary(ct, b, &err));
    CHECK_INT(strlen(b), 70);
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%071d", 7);
    CHECK(!multipart_boundary(ct, b, &err));
    CHECK_STR(err.code, "invalid_multipart");
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%069d \"", 7);
    CHECK(!multipart_boundary(ct, b, &err));
}

static void boundary_errors(void)
{
    check_ct_fails(NULL, 415, "multipart/form-data");
    check_ct_fails("application/json", 415, "multipart/form-data");
    check_ct_fails("multipart/form-datax; boundary=XyZ", 415, "multipart/form-data");
    check_ct_fails("multipart/mixed; boundary=XyZ", 415, "multipart/form-data");
    check_ct_fails("multipart/form-data", 400, "no boundary");
    check_ct_fails("multipart/form-data; charset=utf-8", 400, "no boundary");
    check_ct_fails("multipart/form-data; boundary=", 400, "malformed parameters");
    check_ct_fails("multipart/form-data; boundary=\"\"", 400, "1 to 70");
    check_ct_fails("multipart/form-data; boundary=\"a \"", 400, "1 to 70");
    check_ct_fails("multipart/form-data; boundary=a*b", 400, "does not allow");
    check_ct_fails("multipart/form-data; boundary=\"a\\\"b\"", 400, "does not allow");
    check_ct_fails("multipart/form-data; boundary=a; boundary=a", 400, "two boundary");
    check_ct_fails("multipart/form-data; boundary=\"XyZ", 400, "malformed parameters");
    check_ct_fails("multipart/form-data boundary=XyZ", 400, "malformed parameters");
    check_ct_fails("multipart/form-data; =XyZ", 400, "malformed parameters");
    check_ct_fails("multipart/form-data; boundary XyZ", 400, "malformed parameters");
    check_ct_fails("multipart/form-data; boundary=X\x01Z", 400, "malformed parameters");
}

/* ---- bodies ---- */

static void two_parts(void)
{
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"type\"\r\n"
        "\r\n"
        "echo\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
        "Content-Type: application/pdf\r\n"
        "\r\n"
        "%PDF-1.4\r\n\0\xff binary\r\n"
        "--XyZ--\r\n";
    Error err;

    REQUIRE(parse_n(CT, body, sizeof body - 1, &err));
    REQUIRE(form.count == 2);
    check_part(0, "type", NULL, "", "echo", 4);
    check_part(1, "file", "scan.pdf", "application/pdf", "%PDF-1.4\r\n\0\xff binary", 19);
    /* No copy: the content is inside the body. */
    CHECK(form.parts[0].data == body + 54);
    CHECK(form.parts[1].data > body && form.parts[1].data + form.parts[1].len < body + sizeof body);
    CHECK(!error_is_set(&err));
}

static void preamble_and_epilogue(void)
{
    Error err;

    REQUIRE(parse(CT,
                  "This is a preamble.\r\n--XyZ line\r\n" TEXT_PART("a", "1") END
                  "an epilogue\r\n--XyZ\r\nrubbish",
                  &err) == false);
    REQUIRE(parse(CT,
                  "This is a preamble, --XyZ inside.\r\n" TEXT_PART("a", "1") END
                  "an epilogue\r\n--XyZ\r\nrubbish",
                  &err));
    REQUIRE(form.count == 1);
    check_part(0, "a", NULL, "", "1", 1);
    /* A preamble that looks like a boundary line of another case. */
    REQUIRE(parse(CT, "--xyz\r\n" TEXT_PART("a", "1") END, &err));
    check_part(0, "a", NULL, "", "1", 1);
    /* A preamble that is just a CRLF. */
    REQUIRE(parse(CT, "\r\n" TEXT_PART("b", "2") END, &err));
    check_part(0, "b", NULL, "", "2", 1);
    /* No CRLF after the closing boundary line, and padding. */
    REQUIRE(parse(CT, TEXT_PART("c", "3") "--XyZ--", &err));
    REQUIRE(parse(CT, TEXT_PART("c", "3") "--XyZ-- \t", &err));
    REQUIRE(parse(CT, TEXT_PART("c", "3") "--XyZ-- \t\r\n", &err));
    CHECK_INT(form.count, 1);
}

static void transport_padding(void)
{
    Error err;

    REQUIRE(parse(CT,
                  "--XyZ \t \r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--XyZ\t\r\n"
                  "Content-Disposition: form-data; name=b\r\n\r\nB\r\n--XyZ--",
                  &err));
    REQUIRE(form.count == 2);
    check_part(0, "a", NULL, "", "A", 1);
    check_part(1, "b", NULL, "", "B", 1);
}

static void empty_content(void)
{
    Error err;

    /* A blank line and no content. */
    REQUIRE(parse(CT, TEXT_PART("a", "") END, &err));
    check_part(0, "a", NULL, "", "", 0);
    /* RFC 2046: body-part := headers [CRLF *OCTET]: no blank line either. */
    REQUIRE(parse(CT,
                  "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "\r\n--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n\r\n\r\n" END,
                  &err));
    REQUIRE(form.count == 2);
    check_part(0, "a", NULL, "", "", 0);
    check_part(1, "b", NULL, "", "\r\n", 2);
    /* No part at all. */
    REQUIRE(parse(CT, END, &err));
    CHECK_INT(form.count, 0);
}

/* Content that looks like a boundary but is not a delimiter line. */
static void boundary_lookalikes(void)
{
    Error err;

#define LOOKALIKE "-XyZ\r\nx--XyZ\r\n\n--XyZ\r-XyZ\r\n-XyZ--"
    REQUIRE(parse(CT, TEXT_PART("a", LOOKALIKE) END, &err));
    check_part(0, "a", NULL, "", LOOKALIKE, strlen(LOOKALIKE));
    /* Content that starts with the boundary is a part without content
     * (RFC 2046's grammar), then a boundary line. */
    check_fails(TEXT_PART("a", "--XyZ-") END, "other text after the boundary");
    check_fails(TEXT_PART("a", "1\r\n--XyZabc") END, "other text after the boundary");
    check_fails(TEXT_PART("a", "1\r\n--XyZ-") END, "other text after the boundary");
    check_fails(TEXT_PART("a", "1") "--XyZ--x\r\n", "closing boundary line");
}

static void framing_errors(void)
{
    check_fails("", "no boundary line");
    check_fails("--XyZ", "other text");
    check_fails("--XyZ\r\n", "ends inside a part's headers");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\r\n", "ends inside");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nA", "closing boundary");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--XyZ", "other text");
    check_fails("--XyZ\nContent-Disposition: form-data; name=a\n\nA\n--XyZ--\n", "other text");
    check_fails("preamble only", "no boundary line");
    check_fails("--XyZ\r\n\r\nA\r\n" END, "no Content-Disposition");
}

static void part_limits(void)
{
    char body[4096] = "";
    Error err;

    for (int i = 0; i < MULTIPART_MAX_PARTS; i++)
        strcat(body, TEXT_PART("p", "v"));
    strcat(body, END);
    REQUIRE(parse(CT, body, &err));
    CHECK_INT(form.count, MULTIPART_MAX_PARTS);
    body[strlen(body) - strlen(END)] = '\0';
    strcat(body, TEXT_PART("p", "v") END);
    check_fails(body, "more than 16 parts");
}

static void header_limits(void)
{
    char body[8192], line[1100];
    Error err;

    /* A 1024-byte header line is fine, 1025 is not. */
    snprintf(line, sizeof line, "X-Pad: %01017d", 0);
    CHECK_INT(strlen(line), MULTIPART_LINE_MAX);
    snprintf(body, sizeof body,
             "--XyZ\r\n%s\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n%s", line, END);
    REQUIRE(parse(CT, body, &err));
    snprintf(body, sizeof body,
             "--XyZ\r\n%s0\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n%s", line, END);
    check_fails(body, "longer than 1024 bytes");
    /* Sixteen header lines are fine, seventeen are not. */
    strcpy(body, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n");
    for (int i = 1; i < MULTIPART_MAX_HEADERS; i++)
        strcat(body, "X-Other: 1\r\n");
    strcat(body, "\r\nA\r\n" END);
    REQUIRE(parse(CT, body, &err));
    check_part(0, "a", NULL, "", "A", 1);
    memmove(body + 7 + 12, body + 7, strlen(body + 7) + 1);
    memcpy(body + 7, "X-Other: 1\r\n", 12);
    check_fails(body, "more than 16 header lines");
}

static void header_errors(void)
{
    check_fails("--XyZ\r\nContent-Disposition form-data; name=a\r\n\r\nA\r\n" END, "Name: value");
    check_fails("--XyZ\r\n: form-data\r\n\r\nA\r\n" END, "Name: value");
    check_fails("--XyZ\r\nContent-Disposition : form-data; name=a\r\n\r\nA\r\n" END, "Name: value");
    check_fails(
        "--XyZ\r\nX-A: 1\r\n folded\r\nContent-Disposition: form-data; name=a\r\n\r\n"
        "A\r\n" END,
        "Name: value");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\tX: y\r\n\r\nA\r\n" END,
                "Name: value");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=\"a\nb\"\r\n\r\nA\r\n" END,
                "control character");
    check_fails("--XyZ\r\nX-Other: a\rb\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n" END,
                "CR without LF");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
        "Content-Disposition: form-data; name=b\r\n\r\nA\r\n" END,
        "same header twice");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: text/plain\r\n"
        "content-type: text/plain\r\n\r\nA\r\n" END,
        "same header twice");
}

static void disposition(void)
{
    Error err;

    REQUIRE(parse(CT,
                  "--XyZ\r\ncontent-disposition:FORM-DATA;NAME=file;Filename=a.txt;size=3\r\n"
                  "CONTENT-TYPE:   text/plain; charset=utf-8  \r\n"
                  "Content-Transfer-Encoding: BINARY\r\nX-Ignored: yes\r\n\r\nabc\r\n" END,
                  &err));
    check_part(0, "file", "a.txt", "text/plain; charset=utf-8", "abc", 3);
    /* Escaped quotes and backslashes; other backslashes and %22 stay. */
    REQUIRE(parse(CT,
                  "--XyZ\r\nContent-Disposition: form-data; name=\"f\\\"x\"; "
                  "filename=\"C:\\dir\\\\a \\\"b\\\" %22c%22.pdf\"\r\n\r\n\r\n" END,
                  &err));
    check_part(0, "f\"x", "C:\\dir\\a \"b\" %22c%22.pdf", "", "", 0);
    /* UTF-8 in quotes; filename* is not used (RFC 7578, 4.2). */
    REQUIRE(parse(CT,
                  "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''a.pdf; "
                  "filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\nZ\r\n" END,
                  &err));
    check_part(0, "f", "r\xc3\xa9sum\xc3\xa9.pdf", "", "Z", 1);
    /* An empty filename is a filename (a browser's empty file input). */
    REQUIRE(parse(CT,
                  "--XyZ\r\nContent-Disposition: form-data; name=f; filename=\"\"\r\n\r\n"
                  "\r\n" END,
                  &err));
    check_part(0, "f", "", "", "", 0);
    CHECK(form.parts[0].has_filename);
    REQUIRE(parse(CT, "--XyZ\r\nContent-Disposition: form-data; name=7; x\r\n\r\n\r\n" END, &err) ==
            false);
    CHECK_STR(err.message, "malformed parameters in a part's Content-Disposition");
}

static void disposition_errors(void)
{
    check_fails("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nA\r\n" END,
                "not form-data");
    check_fails("--XyZ\r\nContent-Disposition: form-data\r\n\r\nA\r\n" END, "no name");
    check_fails("--XyZ\r\nContent-Disposition: form-data; filename=x\r\n\r\nA\r\n" END, "no name");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nA\r\n" END,
                "1 to 63 bytes");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nA\r\n" END,
                "two name");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a; filename=b; FILENAME=c\r\n"
        "\r\nA\r\n" END,
        "two filename");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nA\r\n" END,
                "malformed parameters");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a b\r\n\r\nA\r\n" END,
                "malformed parameters");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=\xc3\xa9\r\n\r\nA\r\n" END,
                "malformed parameters");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\x7f\r\n\r\nA\r\n" END,
                "control character");
}

static void name_and_filename_lengths(void)
{
    char body[2048], name[80], filename[300];
    Error err;

    memset(name, 'n', 63);
    name[63] = '\0';
    memset(filename, 'f', 255);
    filename[255] = '\0';
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n\r\n\r\n%s",
             name, filename, END);
    REQUIRE(parse(CT, body, &err));
    CHECK_STR(form.parts[0].name, name);
    CHECK_STR(form.parts[0].filename, filename);
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=\"%sn\"\r\n\r\n\r\n%s", name, END);
    check_fails(body, "1 to 63 bytes");
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=a; filename=\"%sf\"\r\n\r\n\r\n%s",
             filename, END);
    check_fails(body, "longer than 255 bytes");
}

static void content_type_and_encoding(void)
{
    Error err;
    char body[1024], type[300];

    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: pdf\r\n\r\n"
        "A\r\n" END,
        "not a media type");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a/\r\n\r\n"
        "A\r\n" END,
        "not a media type");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a/b,c\r\n\r\n"
        "A\r\n" END,
        "not a media type");
    check_fails("--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type:\r\n\r\nA\r\n" END,
                "not a media type");
    check_fails(
        "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nQQ==\r\n" END,
        "binary, 8bit or 7bit");
    REQUIRE(parse(CT,
                  "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Transfer-Encoding: 7bit\r\nContent-Type: image/png\r\n\r\nA\r\n" END,
                  &err));
    check_part(0, "a", NULL, "image/png", "A", 1);
    memset(type, 'x', 251);
    memcpy(type, "a/b;", 4);
    type[251] = '\0';
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: %s\r\n\r\n\r\n%s",
             type, END);
    REQUIRE(parse(CT, body, &err));
    CHECK_INT(strlen(form.parts[0].content_type), 251);
    snprintf(body, sizeof body,
             "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Type: %sxxxxx\r\n\r\n"
             "\r\n%s",
             type, END);
    check_fails(body, "longer than 255 bytes");
}

/* A NULL body is an empty one. */
static void null_body(void)
{
    Error err;

    CHECK(!parse_n(CT, NULL, 0, &err));
    CHECK_STR(err.code, "invalid_multipart");
    CHECK_INT(form.count, 0);
}

const Test cgi_multipart_tests[] = {
    {"cgi_multipart_boundary_forms", boundary_forms},
    {"cgi_multipart_boundary_length", boundary_length},
    {"cgi_multipart_boundary_errors", boundary_errors},
    {"cgi_multipart_two_parts", two_parts},
    {"cgi_multipart_preamble_and_epilogue", preamble_and_epilogue},
    {"cgi_multipart_transport_padding", transport_padding},
    {"cgi_multipart_empty_content", empty_content},
    {"cgi_multipart_boundary_lookalikes", boundary_lookalikes},
    {"cgi_multipart_framing_errors", framing_errors},
    {"cgi_multipart_part_limits", part_limits},
    {"cgi_multipart_header_limits", header_limits},
    {"cgi_multipart_header_errors", header_errors},
    {"cgi_multipart_disposition", disposition},
    {"cgi_multipart_disposition_errors", disposition_errors},
    {"cgi_multipart_name_and_filename_lengths", name_and_filename_lengths},
    {"cgi_multipart_content_type_and_encoding", content_type_and_encoding},
    {"cgi_multipart_null_body", null_body},
    {NULL, NULL},
};
