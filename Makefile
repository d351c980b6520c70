# SPDX-License-Identifier: MIT
# The one hand-written GNU Makefile of pgjob: builds the three programs
# (pgjobctl, pgjobd, pgjob.fcgi) and the C unit tests, and runs the tests.
#
#   make            build $(BUILD)/pgjobctl, pgjobd, pgjob.fcgi and unit_tests
#   make unit       build and run the C unit tests alone
#   make test       install missing Debian packages, build, run pytest on tests/
#   make asan       the same tests on an ASan+UBSan build in build-asan/
#   make chaos      tests/integration/test_chaos.py at a larger size: CHAOS_JOBS
#                   jobs (default 5000), CHAOS_DAEMONS daemons (default 4)
#   make deps       install the Debian packages listed in DEB_PACKAGES, if missing
#   make install    PREFIX=/usr/local DESTDIR=: everything an operator needs (see the
#                   install section below and docs/deployment.md); make uninstall
#   make man        the man pages in $(BUILD)/man (pgjob.conf.5's keys from config.c's table)
#   make format     clang-format-14 every .c/.h (.ci/format.sh); format-check only checks
#   make headers    compile each header alone (headers must be self-contained)
#   make fuzz       build the libFuzzer target of cgi/ in build-fuzz/ (clang) and run
#                   it for FUZZ_SECONDS (default 60); crashes land in build-fuzz/
#   make fuzz-doc   the same for pgjobd's document readers (tests/fuzz/fuzz_document.c)
#   make clean
#
# Variables: BUILD (output folder, default build), SQL_DIR (migrations to
# embed, default sql), CC, CFLAGS (default -O2), LDFLAGS, PREFIX, DESTDIR,
# and the install folders below (sysconfdir, localstatedir, unitdir, ...).

.DEFAULT_GOAL := all

BUILD ?= build
SQL_DIR ?= sql
PREFIX ?= /usr/local
DESTDIR ?=
PKG_CONFIG ?= pkg-config
# Debian's python3, which python3-pytest and python3-psycopg2 install into,
# even when another python3 (pyenv, a venv) comes first on PATH.
PYTHON ?= $(if $(wildcard /usr/bin/python3),/usr/bin/python3,python3)
ASAN_CC ?= clang

CFLAGS ?= -O2
override CFLAGS += -std=c11 -Wall -Wextra -Werror -Wformat=2 -g -pthread
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Icommon
override LDFLAGS += -pthread

# libpq from pkg-config, else pg_config; jansson from pkg-config; libfcgi
# has no .pc file.
ifeq ($(shell $(PKG_CONFIG) --exists libpq 2>/dev/null && echo yes),yes)
PQ_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpq)
PQ_LIBS := $(shell $(PKG_CONFIG) --libs libpq)
else
PG_INCLUDEDIR := $(shell pg_config --includedir 2>/dev/null)
PG_LIBDIR := $(shell pg_config --libdir 2>/dev/null)
PQ_CFLAGS := $(if $(PG_INCLUDEDIR),-I$(PG_INCLUDEDIR))
PQ_LIBS := $(if $(PG_LIBDIR),-L$(PG_LIBDIR)) -lpq
endif
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(or $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null),-ljansson)
FCGI_LIBS := -lfcgi

override CPPFLAGS += $(PQ_CFLAGS) $(JANSSON_CFLAGS)
LDLIBS := $(PQ_LIBS) $(JANSSON_LIBS)

# The document readers of pgjobd (daemon/handlers/doc_*.c): MuPDF for PDF,
# libxml2 for HTML.  Debian's libmupdf-dev is static and its mupdf.pc
# lists neither harfbuzz nor freetype's own needs, so the libraries its
# objects call are named here; each has a Debian -dev package in
# DEB_PACKAGES.  Only pgjobd, the unit tests, the handlers' benchmark and
# the document fuzz target link them.
XML_CFLAGS := $(shell $(PKG_CONFIG) --cflags libxml-2.0 2>/dev/null)
XML_LIBS := $(or $(shell $(PKG_CONFIG) --libs libxml-2.0 2>/dev/null),-lxml2)
MUPDF_CFLAGS := $(shell $(PKG_CONFIG) --cflags mupdf 2>/dev/null)
MUPDF_LIBS := $(or $(shell $(PKG_CONFIG) --libs --static mupdf 2>/dev/null),-lmupdf -lmupdf-third) \
	$(shell $(PKG_CONFIG) --libs harfbuzz freetype2 libopenjp2 libjpeg libpng 2>/dev/null) \
	-lmujs -lgumbo -ljbig2dec -lm
DOC_LIBS := $(MUPDF_LIBS) $(XML_LIBS)

# The version: git describe in a git checkout with commits, else a fixed
# development string.  Only the programs' main.o see it (see OBJ_DEFS).
VERSION := $(or $(shell [ -e .git ] && git describe --always --dirty 2>/dev/null),0.0.0-dev)

# ---- sources ------------------------------------------------------------
# One list per program plus COMMON, linked into every program.  pgjobd is
# the engine (daemon/) and the handlers (daemon/handlers/).  Each folder
# includes its own headers and common/'s; the engine reaches its handlers
# through "handlers/handlers.h" and "handlers/handler.h".

COMMON_SRC := $(wildcard common/*.c)
CTL_SRC := $(wildcard ctl/*.c)
ENGINE_SRC := $(wildcard daemon/*.c)
HANDLERS_SRC := $(wildcard daemon/handlers/*.c)
CGI_SRC := $(wildcard cgi/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)

objects = $(patsubst %.c,$(BUILD)/%.o,$(1))

SQL_FILES := $(sort $(wildcard $(SQL_DIR)/[0-9][0-9][0-9]_*.sql))

# Generated C: every program carries the migrations; pgjobd carries the
# enrich handler's merchant table as C structs (its built-in table), and
# pgjobctl the same file as text for pgjob.merchant_sync() (ctl/merchants.h).
SQL_EMBED := $(BUILD)/gen/sql_embed.c
MERCHANTS_TSV := daemon/handlers/merchants.tsv
MERCHANTS_EMBED := $(BUILD)/gen/merchants_embed.c
MERCHANTS_TEXT := $(BUILD)/gen/merchants_text.c

COMMON_OBJ := $(call objects,$(COMMON_SRC)) $(SQL_EMBED:.c=.o)
CTL_OBJ := $(call objects,$(CTL_SRC)) $(MERCHANTS_TEXT:.c=.o)
HANDLERS_OBJ := $(call objects,$(HANDLERS_SRC)) $(MERCHANTS_EMBED:.c=.o)
DAEMON_OBJ := $(call objects,$(ENGINE_SRC)) $(HANDLERS_OBJ)
CGI_OBJ := $(call objects,$(CGI_SRC))
# The unit tests link every program's objects but its main.o, so that
# tests/unit can test any module, and see every program's folder on the
# include path ("handler_exec.h").
UNIT_OBJ := $(call objects,$(UNIT_SRC))
UNIT_LINK := $(UNIT_OBJ) $(filter-out %/main.o,$(CTL_OBJ) $(DAEMON_OBJ) $(CGI_OBJ)) $(COMMON_OBJ)
UNIT_INC := -Ictl -Idaemon -Idaemon/handlers -Icgi

PROGRAMS := $(BUILD)/pgjobctl $(BUILD)/pgjobd $(BUILD)/pgjob.fcgi

# The libFuzzer target: cgi/'s modules but main.o, fed arbitrary bytes.
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build-fuzz
FUZZ_OBJ := $(BUILD)/tests/fuzz/fuzz_request.o
FUZZ_LINK := $(FUZZ_OBJ) $(filter-out %/main.o,$(CGI_OBJ)) $(COMMON_OBJ)
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The document readers' target (make fuzz-doc): pgjobd's document code,
# the extract handler's output, and the PDF and HTML libraries.
FUZZ_DOC_OBJ := $(BUILD)/tests/fuzz/fuzz_document.o
FUZZ_DOC_LINK := $(FUZZ_DOC_OBJ) $(filter $(BUILD)/daemon/handlers/doc_% \
	$(BUILD)/daemon/handlers/handler_extract.o $(BUILD)/daemon/handlers/handler.o,$(HANDLERS_OBJ)) \
	$(COMMON_OBJ)

# The baseline FastCGI program of tests/bench/bench_http.py (make bench only).
HELLO_OBJ := $(BUILD)/tests/bench/hello_fcgi.o
# The handlers' benchmark (make bench only): the handlers without pgjobd.
BENCH_HANDLERS_OBJ := $(BUILD)/tests/bench/bench_handlers.o $(HANDLERS_OBJ)

ALL_OBJ := $(COMMON_OBJ) $(CTL_OBJ) $(DAEMON_OBJ) $(CGI_OBJ) $(UNIT_OBJ) $(FUZZ_OBJ) $(HELLO_OBJ) \
	$(FUZZ_DOC_OBJ) $(BUILD)/tests/bench/bench_documents.o \
	$(BUILD)/tests/bench/bench_handlers.o
HEADERS := $(wildcard common/*.h ctl/*.h daemon/*.h daemon/handlers/*.h cgi/*.h tests/unit/*.h)

# Stamps hold what a make variable said last time and are rewritten only
# when it changes, so that a new CFLAGS, version or set of sql files
# rebuilds exactly what depends on it.
FLAGS_STAMP := $(BUILD)/gen/flags
VERSION_STAMP := $(BUILD)/gen/version
SQL_LIST_STAMP := $(BUILD)/gen/sql_files
write_stamp = @mkdir -p $(@D); printf '%s\n' '$(1)' | cmp -s - $@ || printf '%s\n' '$(1)' > $@

MAIN_OBJ := $(BUILD)/ctl/main.o $(BUILD)/daemon/main.o $(BUILD)/cgi/main.o
# Per-object defines (OBJ_DEFS) and include paths (OBJ_INC): the version
# for main.o, the data files some unit tests read, the folders the tests
# and benchmarks see.  (A target-specific CPPFLAGS would leak into the
# stamps these objects depend on.)
$(MAIN_OBJ): OBJ_DEFS := -DPGJOB_VERSION='"$(VERSION)"'
$(MAIN_OBJ): $(VERSION_STAMP)
$(BUILD)/tests/unit/test_migrations.o: OBJ_DEFS := -DPGJOB_SQL_DIR='"$(abspath $(SQL_DIR))"'
$(BUILD)/tests/unit/test_migrations.o: $(SQL_LIST_STAMP)
$(UNIT_OBJ): OBJ_INC := $(UNIT_INC)
$(BUILD)/daemon/handlers/doc_html.o: OBJ_INC := $(XML_CFLAGS)
$(BUILD)/daemon/handlers/doc_pdf.o: OBJ_INC := $(MUPDF_CFLAGS)
$(FUZZ_OBJ): OBJ_INC := -Icgi
$(BUILD)/tests/unit/test_invoice_corpus.o: OBJ_DEFS := -DPGJOB_INVOICE_CORPUS='"$(abspath tests/invoice/corpus)"'
$(BUILD)/tests/unit/test_invoice_heldout.o: OBJ_DEFS := -DPGJOB_INVOICE_HELDOUT='"$(abspath tests/invoice/heldout)"' -DPGJOB_INVOICE_HELDOUT2='"$(abspath tests/invoice/heldout2)"'
$(FUZZ_DOC_OBJ): OBJ_INC := -Idaemon/handlers
$(BUILD)/tests/unit/test_enrich.o: OBJ_DEFS := -DPGJOB_ENRICH_CORPUS='"$(abspath tests/enrich/corpus.tsv)"' \
	-DPGJOB_ENRICH_INTERNATIONAL='"$(abspath tests/enrich/international.tsv)"'

DEB_PACKAGES := gcc make pkg-config libpq-dev libjansson-dev libfcgi-dev \
	postgresql-15 postgresql-client-15 python3-pytest python3-psycopg2 python3-jsonschema \
	python3-requests clang libclang-rt-14-dev lighttpd apache2 libapache2-mod-fcgid curl \
	systemd procps groff-base \
	libmupdf-dev libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev libharfbuzz-dev \
	libfreetype-dev libjpeg-dev libpng-dev zlib1g-dev libbrotli-dev libxml2-dev \
	groff ghostscript qpdf imagemagick

SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all unit test asan chaos fuzz fuzz-doc deps install install-programs install-data uninstall man format format-check headers clean FORCE
.DELETE_ON_ERROR:

all: $(PROGRAMS) $(BUILD)/unit_tests

# ---- building -------------------------------------------------------------

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(OBJ_INC) $(OBJ_DEFS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(SQL_EMBED:.c=.o): $(SQL_EMBED) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(MERCHANTS_EMBED:.c=.o): $(MERCHANTS_EMBED) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) -Idaemon/handlers $(CFLAGS) -MMD -MP -c -o $@ $<

$(MERCHANTS_TEXT:.c=.o): $(MERCHANTS_TEXT) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) -Ictl $(CFLAGS) -MMD -MP -c -o $@ $<

# The embedding scripts live in common/, beside the C both programs share.
$(MERCHANTS_EMBED): common/cstring.awk daemon/handlers/embed_merchants.awk $(MERCHANTS_TSV)
	@mkdir -p $(@D)
	LC_ALL=C awk -f common/cstring.awk -f daemon/handlers/embed_merchants.awk $(MERCHANTS_TSV) > $@

$(MERCHANTS_TEXT): common/cstring.awk common/embed_text.awk $(MERCHANTS_TSV)
	@mkdir -p $(@D)
	LC_ALL=C awk -v name=merchants_shipped_tsv -v header=merchants.h \
		-f common/cstring.awk -f common/embed_text.awk $(MERCHANTS_TSV) > $@

$(SQL_EMBED): common/cstring.awk common/embed_sql.awk $(SQL_FILES) $(SQL_LIST_STAMP)
	@mkdir -p $(@D)
	LC_ALL=C awk -f common/cstring.awk -f common/embed_sql.awk $(SQL_FILES) < /dev/null > $@

$(BUILD)/pgjobctl: $(CTL_OBJ) $(COMMON_OBJ) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJ) $(COMMON_OBJ) $(LDLIBS)

$(BUILD)/pgjobd: $(DAEMON_OBJ) $(COMMON_OBJ) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON_OBJ) $(COMMON_OBJ) $(LDLIBS) $(DOC_LIBS)

$(BUILD)/pgjob.fcgi: $(CGI_OBJ) $(COMMON_OBJ) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(CGI_OBJ) $(COMMON_OBJ) $(LDLIBS) $(FCGI_LIBS)

$(BUILD)/unit_tests: $(UNIT_LINK) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_LINK) $(LDLIBS) $(FCGI_LIBS) $(DOC_LIBS)

# Only "make fuzz" builds it, with clang's -fsanitize=fuzzer.
$(BUILD)/fuzz_request: $(FUZZ_LINK) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(FUZZ_LINK) $(LDLIBS) $(FCGI_LIBS)

$(BUILD)/fuzz_document: $(FUZZ_DOC_LINK) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(FUZZ_DOC_LINK) $(LDLIBS) $(DOC_LIBS)

# Only "make bench" builds it: libpq and libfcgi, nothing of pgjob.
$(BUILD)/hello_fcgi: $(HELLO_OBJ) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(HELLO_OBJ) $(PQ_LIBS) $(FCGI_LIBS)

$(BUILD)/tests/bench/bench_handlers.o: OBJ_INC := -Idaemon/handlers
$(BUILD)/tests/bench/bench_documents.o: OBJ_INC := -Idaemon/handlers
$(BUILD)/bench_documents: $(BUILD)/tests/bench/bench_documents.o $(HANDLERS_OBJ) $(COMMON_OBJ) \
		$(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/bench/bench_documents.o $(HANDLERS_OBJ) $(COMMON_OBJ) \
		$(LDLIBS) $(DOC_LIBS)

# The benchmark's documents, made from tests/documents/ like the tests':
# forty pages of the -ms fixtures (one per page), and their text with a
# form feed between pages.
BENCH_MS := $(addprefix tests/documents/,headings.ms lists.ms table.ms multipage.ms \
	report_it.ms report_de.ms report_fr.ms report_es.ms invoice_en.ms sizes.ms)
$(BUILD)/bench/doc.pdf: $(BENCH_MS)
	@mkdir -p $(@D)
	for i in 1 2 3 4; do for f in $(BENCH_MS); do cat $$f; echo .bp; done; done | \
		groff -k -t -ms -Tpdf > $@
$(BUILD)/bench/doc.txt: tests/documents/notes.txt tests/documents/german.txt
	@mkdir -p $(@D)
	for i in $$(seq 1 20); do cat tests/documents/notes.txt; printf '\f'; \
		cat tests/documents/german.txt; printf '\f'; done > $@
$(BUILD)/bench_handlers: $(BENCH_HANDLERS_OBJ) $(COMMON_OBJ) $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_HANDLERS_OBJ) $(COMMON_OBJ) $(LDLIBS) $(DOC_LIBS)

$(FLAGS_STAMP): FORCE
	$(call write_stamp,$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(LDLIBS))

$(VERSION_STAMP): FORCE
	$(call write_stamp,$(VERSION))

$(SQL_LIST_STAMP): FORCE
	$(call write_stamp,$(abspath $(SQL_FILES)))

FORCE:

-include $(ALL_OBJ:.o=.d) $(patsubst %.c,$(BUILD)/man/obj/%.d,man/config_docs.c common/config.c common/log.c common/strnum.c common/error.c)

# ---- testing --------------------------------------------------------------

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

# deps and all run as separate makes, in order: the library flags above are
# read when make starts, so they must be read after deps installed them.
# Nothing may print after pytest: its summary is the last line.
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	PGJOB_BUILD=$(BUILD) $(PYTHON) -m pytest -q tests/

asan:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory BUILD=build-asan CC=$(ASAN_CC) \
		CFLAGS='-O1 $(SANITIZE)' LDFLAGS='$(SANITIZE)' all
	PGJOB_BUILD=build-asan PGJOB_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(PYTHON) -m pytest -q tests/

CHAOS_JOBS ?= 5000
CHAOS_DAEMONS ?= 4
chaos:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	PGJOB_BUILD=$(BUILD) PGJOB_CHAOS_JOBS=$(CHAOS_JOBS) PGJOB_CHAOS_DAEMONS=$(CHAOS_DAEMONS) \
		PGJOB_CHAOS_TIMEOUT=$$(( $(CHAOS_JOBS) / 5 + 120 )) \
		$(PYTHON) -m pytest -q -s tests/integration/test_chaos.py

# Every object is built with coverage for libFuzzer (fuzzer-no-link) and
# the sanitizers.  New inputs go to build-fuzz/corpus; tests/fuzz/corpus
# holds the seeds, and is only read.
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(ASAN_CC) \
		CFLAGS='-O1 -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE)' \
		LDFLAGS='$(FUZZ_SANITIZE)' $(FUZZ_BUILD)/fuzz_request
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/fuzz_request -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_BUILD)/ \
		-dict=tests/fuzz/fuzz_request.dict $(FUZZ_BUILD)/corpus tests/fuzz/corpus

# The same for the document readers, seeded from tests/fuzz/corpus_doc and
# the documents tests/fuzz/doc_seeds.py generates (no binaries kept).
fuzz-doc:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(ASAN_CC) \
		CFLAGS='-O1 -fsanitize=fuzzer-no-link $(FUZZ_SANITIZE)' \
		LDFLAGS='$(FUZZ_SANITIZE)' $(FUZZ_BUILD)/fuzz_document
	@mkdir -p $(FUZZ_BUILD)/corpus_doc
	$(PYTHON) tests/fuzz/doc_seeds.py $(FUZZ_BUILD)/corpus_doc_seeds
	$(FUZZ_BUILD)/fuzz_document -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_BUILD)/doc- \
		-rss_limit_mb=4096 -dict=tests/fuzz/fuzz_document.dict $(FUZZ_BUILD)/corpus_doc \
		tests/fuzz/corpus_doc $(FUZZ_BUILD)/corpus_doc_seeds

# Installs each package of DEB_PACKAGES that dpkg does not list as
# installed; runs apt-get update only then, so it is a no-op when all are.
deps:
	@missing=; \
	for p in $(DEB_PACKAGES); do \
		case "$$(dpkg-query -W -f='$${Status}' $$p 2>/dev/null)" in \
			*" installed") ;; \
			*) missing="$$missing $$p" ;; \
		esac; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=; \
		elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "deps: missing$$missing; run as root or install sudo" >&2; exit 1; fi; \
		echo "deps: installing$$missing"; \
		$$sudo apt-get update -q && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# ---- the rest -------------------------------------------------------------

# ---- installing -------------------------------------------------------------
# Every folder can be set on the command line; the files that name paths
# (units, sysusers.d/tmpfiles.d files, web server snippets) are generated
# with them, so `make install PREFIX=/usr` gives units that run /usr/bin/pgjobd.
# sysconfdir is /etc whatever PREFIX is (systemd and the snippets read it there).

sysconfdir ?= /etc
localstatedir ?= /var
# datadir is the shared folder of every package (GNU's meaning); pgjob
# installs into and uninstall removes only pkgdatadir and pkgdocdir, its
# own folders below it, and only the files it installed there.
bindir ?= $(PREFIX)/bin
datadir ?= $(PREFIX)/share
pkgdatadir ?= $(datadir)/pgjob
pkgdocdir ?= $(datadir)/doc/pgjob
mandir ?= $(datadir)/man
unitdir ?= $(PREFIX)/lib/systemd/system
sysusersdir ?= $(PREFIX)/lib/sysusers.d
tmpfilesdir ?= $(PREFIX)/lib/tmpfiles.d
# install -s strips; INSTALL_STRIP= keeps the symbols (e.g. for a -dbgsym package).
INSTALL_STRIP ?= -s

# The substitutions of the generated files, with the stamp that remakes
# them when a folder changes.
PATHS_STAMP := $(BUILD)/gen/paths
SUBST_SED = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
	-e 's|@localstatedir@|$(localstatedir)|g' -e 's|@datadir@|$(pkgdatadir)|g' \
	-e 's|@docdir@|$(pkgdocdir)|g' -e 's|@sysusersdir@|$(sysusersdir)|g' \
	-e 's|@tmpfilesdir@|$(tmpfilesdir)|g'

$(PATHS_STAMP): FORCE
	$(call write_stamp,$(bindir) $(sysconfdir) $(localstatedir) $(pkgdatadir) $(pkgdocdir) $(sysusersdir) $(tmpfilesdir))

UNITS := $(BUILD)/systemd/pgjobd.service $(BUILD)/systemd/pgjobd@.service \
	$(BUILD)/systemd/pgjob-fcgi.socket $(BUILD)/systemd/pgjob-fcgi.service
SYSTEMD_GEN := $(UNITS) $(BUILD)/systemd/pgjob.sysusers $(BUILD)/systemd/pgjob.tmpfiles

# pgjobd.service and pgjobd@.service come from one template: the first
# reads pgjob.conf, an instance NAME reads NAME.conf.
$(BUILD)/systemd/pgjobd.service: systemd/pgjobd.service.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(SUBST_SED) -e 's|@unit@|pgjobd.service|g' -e 's|@description@||g' \
		-e 's|@conffile@|$(sysconfdir)/pgjob/pgjob.conf|g' $< > $@

$(BUILD)/systemd/pgjobd@.service: systemd/pgjobd.service.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(SUBST_SED) -e 's|@unit@|pgjobd@.service|g' -e 's|@description@| (%i)|g' \
		-e 's|@conffile@|$(sysconfdir)/pgjob/%i.conf|g' $< > $@

$(BUILD)/systemd/%: systemd/%.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(SUBST_SED) $< > $@

# The web server snippets say /usr/local and /etc in the tree (the tests
# include them as they are); the installed copies say the install paths.
SNIPPETS := cgi/lighttpd-pgjob.conf cgi/apache-pgjob.conf cgi/apache-pgjob-fcgid.conf
SNIPPETS_GEN := $(patsubst cgi/%,$(BUILD)/snippets/%,$(SNIPPETS))

$(BUILD)/snippets/%.conf: cgi/%.conf $(PATHS_STAMP)
	@mkdir -p $(@D)
	sed -e 's|/usr/local/share/doc/pgjob|$(pkgdocdir)|g' -e 's|/usr/local/share/pgjob|$(pkgdatadir)|g' \
		-e 's|/usr/local/bin|$(bindir)|g' \
		-e 's|/etc/pgjob|$(sysconfdir)/pgjob|g' $< > $@

# Man pages: roff in man/; pgjob.conf(5)'s list of keys is written by
# config_write_docs (the table config.c parses with) through man/keys.awk.
# pgjobctl(1) is another's work: installed when the tree has it.
MAN8 := $(BUILD)/man/pgjobd.8 $(BUILD)/man/pgjob.fcgi.8
MAN5 := $(BUILD)/man/pgjob.conf.5
MAN_CTL := $(wildcard ctl/pgjobctl.1)
# config_docs is a build tool with objects of its own, compiled without
# the build's sanitizer flags, so that `make install` works beside any
# build (tests/integration/test_systemd.py installs beside build-asan).
CONFIG_DOCS_SRC := man/config_docs.c common/config.c common/log.c common/strnum.c common/error.c common/hostport.c
CONFIG_DOCS_OBJ := $(patsubst %.c,$(BUILD)/man/obj/%.o,$(CONFIG_DOCS_SRC))
HOST_CC ?= cc

$(BUILD)/man/obj/%.o: %.c
	@mkdir -p $(@D)
	$(HOST_CC) $(CPPFLAGS) -O1 -std=c11 -Wall -Wextra -Werror -MMD -MP -c -o $@ $<

$(BUILD)/man/config_docs: $(CONFIG_DOCS_OBJ)
	$(HOST_CC) -o $@ $(CONFIG_DOCS_OBJ)

$(BUILD)/man/%.8: man/%.8.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(SUBST_SED) $< > $@

$(BUILD)/man/pgjob.conf.5: man/pgjob.conf.5.in man/keys.awk $(BUILD)/man/config_docs $(PATHS_STAMP)
	$(BUILD)/man/config_docs | LC_ALL=C awk -f man/keys.awk > $@.keys
	$(SUBST_SED) -e '/^@keys@$$/{r $@.keys' -e 'd}' $< > $@
	rm -f $@.keys

man: $(MAN8) $(MAN5)

# README.md and pgjob.conf.example at the top of pkgdocdir, docs/ below it
# as in the tree, so that the README's links work there too.
DOCS := README.md pgjob.conf.example
SQL_EXAMPLES := $(wildcard sql/*.sql.example)
DATA_FILES := cgi/openapi.json $(wildcard cgi/openapi-*.json)
DOCS_TREE := $(shell find docs -name '*.md' 2>/dev/null | LC_ALL=C sort)

install: install-programs install-data

install-programs: $(PROGRAMS)
	install -d $(DESTDIR)$(bindir)
	install -m 0755 $(INSTALL_STRIP) $(PROGRAMS) $(DESTDIR)$(bindir)/

install-data: $(SYSTEMD_GEN) $(SNIPPETS_GEN) $(MAN8) $(MAN5)
	install -d $(DESTDIR)$(pkgdatadir)/sql $(DESTDIR)$(pkgdocdir) \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir)
	@# The configuration folder is the operator's: made 0750 when missing,
	@# its owner and mode never changed after (install -d would reset them).
	@if [ ! -d $(DESTDIR)$(sysconfdir)/pgjob ]; then \
		echo "install -d -m 0750 $(DESTDIR)$(sysconfdir)/pgjob"; \
		install -d -m 0750 $(DESTDIR)$(sysconfdir)/pgjob; \
	fi
	$(if $(SQL_FILES),install -m 0644 $(SQL_FILES) $(DESTDIR)$(pkgdatadir)/sql/)
	$(if $(SQL_EXAMPLES),install -m 0644 $(SQL_EXAMPLES) $(DESTDIR)$(pkgdatadir)/sql/)
	install -m 0644 $(DATA_FILES) $(SNIPPETS_GEN) $(DESTDIR)$(pkgdatadir)/
	install -m 0644 $(UNITS) $(DESTDIR)$(unitdir)/
	install -m 0644 $(BUILD)/systemd/pgjob.sysusers $(DESTDIR)$(sysusersdir)/pgjob.conf
	install -m 0644 $(BUILD)/systemd/pgjob.tmpfiles $(DESTDIR)$(tmpfilesdir)/pgjob.conf
	install -m 0644 $(DOCS) $(DESTDIR)$(pkgdocdir)/
	$(foreach f,$(DOCS_TREE),install -D -m 0644 $(f) $(DESTDIR)$(pkgdocdir)/$(f) &&) true
	install -m 0644 $(MAN8) $(DESTDIR)$(mandir)/man8/
	install -m 0644 $(MAN5) $(DESTDIR)$(mandir)/man5/
	$(if $(MAN_CTL),install -d $(DESTDIR)$(mandir)/man1 && install -m 0644 $(MAN_CTL) $(DESTDIR)$(mandir)/man1/)
	@# The configuration file is the operator's: written only when there is none.
	@if [ -e $(DESTDIR)$(sysconfdir)/pgjob/pgjob.conf ]; then \
		echo "install: keeping $(DESTDIR)$(sysconfdir)/pgjob/pgjob.conf"; \
	else \
		echo "install -m 0640 pgjob.conf.example $(DESTDIR)$(sysconfdir)/pgjob/pgjob.conf"; \
		install -m 0640 pgjob.conf.example $(DESTDIR)$(sysconfdir)/pgjob/pgjob.conf; \
	fi

# Removes what install wrote but the configuration file (and the users,
# the state folder and the database): the files by name, then pgjob's
# own folders if that left them empty.  Nothing is removed by folder, so
# a wrong folder on the command line cannot take other packages' files.
UNINSTALL_FILES := $(addprefix $(DESTDIR)$(bindir)/,$(notdir $(PROGRAMS))) \
	$(addprefix $(DESTDIR)$(pkgdatadir)/sql/,$(notdir $(SQL_FILES) $(SQL_EXAMPLES))) \
	$(addprefix $(DESTDIR)$(pkgdatadir)/,$(notdir $(DATA_FILES) $(SNIPPETS_GEN))) \
	$(addprefix $(DESTDIR)$(pkgdocdir)/,$(DOCS) $(DOCS_TREE)) \
	$(addprefix $(DESTDIR)$(unitdir)/,$(notdir $(UNITS))) \
	$(DESTDIR)$(sysusersdir)/pgjob.conf $(DESTDIR)$(tmpfilesdir)/pgjob.conf \
	$(addprefix $(DESTDIR)$(mandir)/man8/,$(notdir $(MAN8))) \
	$(DESTDIR)$(mandir)/man5/pgjob.conf.5 $(DESTDIR)$(mandir)/man1/pgjobctl.1
UNINSTALL_DIRS := $(DESTDIR)$(pkgdatadir)/sql $(DESTDIR)$(pkgdatadir) \
	$(addprefix $(DESTDIR)$(pkgdocdir)/,$(sort $(dir $(DOCS_TREE)))) $(DESTDIR)$(pkgdocdir)

uninstall:
	rm -f $(UNINSTALL_FILES)
	@for d in $$(printf '%s\n' $(UNINSTALL_DIRS) | LC_ALL=C sort -r); do \
		if [ -d "$$d" ]; then echo "rmdir $$d"; rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done

format:
	sh .ci/format.sh

format-check:
	sh .ci/format.sh --check

headers:
	@for h in $(HEADERS); do \
		echo "$(CC) -fsyntax-only $$h"; \
		$(CC) $(CPPFLAGS) $(UNIT_INC) $(CFLAGS) -fsyntax-only -x c $$h || exit 1; \
	done

clean:
	rm -rf $(BUILD) build build-asan $(FUZZ_BUILD)

# ---- benchmarks -------------------------------------------------------------
# Figures beside their baselines, measured in the same run; never assertions.
# wrk drives the HTTP benchmark; valgrind counts the instructions per job
# of the queue's functions and of the plain loop.  npm installs the queue
# benchmark's peers (graphile-worker, pg-boss, and the Node they need) into
# $(BUILD)/bench-peers on first use: never a dependency of pgjob.  Debian's
# npm is installed only when there is no npm at all (a NodeSource nodejs
# carries its own, and conflicts with Debian's).

.PHONY: bench
bench:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(DEB_PACKAGES) wrk valgrind'
	@command -v npm >/dev/null || $(MAKE) --no-print-directory deps DEB_PACKAGES=npm
	@$(MAKE) --no-print-directory all $(BUILD)/hello_fcgi $(BUILD)/bench_handlers \
		$(BUILD)/bench_documents $(BUILD)/bench/doc.pdf $(BUILD)/bench/doc.txt
	PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_queue.py
	PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_instructions.py
	PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_daemon.py
	PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_http.py
	@if [ "$$BENCH_LARGE" = 1 ]; then \
		echo "PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_fcgi_memory.py"; \
		PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_fcgi_memory.py; \
	fi
	PGJOB_BUILD=$(BUILD) $(PYTHON) tests/bench/bench_counters.py
	$(PYTHON) tests/invoice/make_pdf.py $(BUILD)/bench-pdf tests/invoice/corpus/*.txt
	$(BUILD)/bench_handlers tests/enrich/corpus.tsv tests/contact/corpus.jsonl \
		tests/invoice/corpus/labels.jsonl $(BUILD)/bench-pdf
	$(BUILD)/bench_documents $(BUILD)/bench/doc.pdf $(BUILD)/bench/doc.txt \
		tests/documents/article.html

# ---- trying it --------------------------------------------------------------
# A throwaway PostgreSQL under ./var, pgjobd and lighttpd with pgjob.fcgi on
# 127.0.0.1:$(PGJOB_PORT); see ctl/run.sh.

PGJOB_PORT ?= 8080

.PHONY: run stop
run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@PGJOB_PORT=$(PGJOB_PORT) PGJOB_BUILD=$(BUILD) ctl/run.sh run

stop:
	@PGJOB_BUILD=$(BUILD) ctl/run.sh stop
