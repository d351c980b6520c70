# SPDX-License-Identifier: MIT
"""The documentation stays true and self-contained: docs/configuration.md
documents every configuration key the programs know and
pgjob.conf.example lists them all; every relative link of README.md and
docs/ leads to a file (and heading) of this repository and none leads
outside it; the make targets the README names exist; every built-in job
type has its page; what the docs say pgjobctl reads is what it reads."""

import glob
import os
import re
import subprocess

import programs

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG_DOC = os.path.join(ROOT, "docs", "configuration.md")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def config_keys(bindir):
    out = subprocess.run([os.path.join(bindir, "pgjobd"), "--print-config"],
                         env=programs.clean_env(), capture_output=True, text=True, check=True)
    keys = [line.split("=", 1)[0].strip() for line in out.stdout.splitlines()
            if "=" in line and not line.startswith("#")]
    assert len(keys) > 20, out.stdout
    return keys


def test_configuration_page_documents_every_key(bindir):
    doc = read(CONFIG_DOC)
    missing = [k for k in config_keys(bindir) if f"| `{k}` |" not in doc]
    assert not missing, f"docs/configuration.md lacks these keys (paste config_write_docs): {missing}"


def test_example_file_lists_every_key(bindir):
    example = read(os.path.join(ROOT, "pgjob.conf.example"))
    missing = [k for k in config_keys(bindir) if not re.search(rf"^#{re.escape(k)} = ",
                                                                 example, re.M)]
    assert not missing, f"pgjob.conf.example lacks: {missing}"


# ---- links -----------------------------------------------------------------

def doc_files():
    """README.md and every Markdown file under docs/."""
    files = [os.path.join(ROOT, "README.md")]
    files += sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    assert len(files) > 5, files
    return files


def prose(text):
    """text without fenced code blocks and inline code, where brackets and
    parentheses are code, not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def links(path):
    return LINK.findall(prose(read(path)))


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation other
    than '-' and '_' dropped, spaces made '-'."""
    heading = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings (repeats get -1, -2...)."""
    seen, out = {}, set()
    for line in prose(read(path)).splitlines():
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else f"{s}-{n}")
    return out


def test_link_helpers_work():
    """The link and anchor parsing itself, so that the tests below can fail."""
    assert slug("POST /v1/jobs") == "post-v1jobs"
    assert slug("Trying it: make run") == "trying-it-make-run"
    assert slug("GET /v1/jobs/{id}/results") == "get-v1jobsidresults"
    assert LINK.findall("see [a](b.md#c) and [d](https://e.org)") == ["b.md#c", "https://e.org"]
    assert LINK.findall(prose("`[x](y)` and\n```\n[z](w)\n```\n")) == []


def test_every_relative_link_leads_to_a_file_of_the_repository():
    bad = []
    for path in doc_files():
        here = os.path.relpath(path, ROOT)
        for target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            file_part, _, fragment = target.partition("#")
            dest = path if file_part == "" else \
                os.path.normpath(os.path.join(os.path.dirname(path), file_part))
            if os.path.commonpath([ROOT, dest]) != ROOT:
                bad.append(f"{here}: {target} leads outside the repository")
            elif not os.path.exists(dest):
                bad.append(f"{here}: {target}: no such file")
            elif fragment and dest.endswith(".md") and fragment not in anchors(dest):
                bad.append(f"{here}: {target}: no heading #{fragment} in {file_part or here}")
    assert not bad, "\n".join(bad)


def test_no_document_points_outside_the_repository():
    """A user who clones the repository has nothing beside it: no link and
    no mention of ../shared or DESIGN.md."""
    bad = [os.path.relpath(p, ROOT) for p in doc_files()
           if re.search(r"\.\./shared|DESIGN\.md", read(p))]
    assert not bad, f"these documents point outside the repository: {bad}"


# ---- what the README and docs name exists -----------------------------------

def test_make_targets_the_readme_names_exist():
    makefile = read(os.path.join(ROOT, "Makefile"))
    targets = set(re.findall(r"^([a-zA-Z][\w-]*)\s*:(?!=)", makefile, re.M))
    for phony in re.findall(r"^\.PHONY:(.*)$", makefile, re.M):
        targets.update(phony.split())
    named = set(re.findall(r"`make ([a-z][\w-]*)", read(os.path.join(ROOT, "README.md"))))
    named |= set(re.findall(r"`make [a-z][\w-]* / ([a-z][\w-]*)`",
                            read(os.path.join(ROOT, "README.md"))))
    assert {"run", "test", "install"} <= named, named
    missing = sorted(named - targets)
    assert not missing, f"README.md names make targets the Makefile lacks: {missing}"


def builtin_types():
    """The built-in job types, from the one list the front end and pgjobd
    read: common/jobtypes.def, or the array of common/jobtypes.c."""
    def_file = os.path.join(ROOT, "common", "jobtypes.def")
    if os.path.exists(def_file):
        types = re.findall(r"^JOBTYPE\((\w+)\)", read(def_file), re.M)
    else:
        array = re.search(r"jobtypes_builtin\[\]\s*=\s*\{([^}]*)\}",
                          read(os.path.join(ROOT, "common", "jobtypes.c")))
        types = re.findall(r'"([^"]+)"', array.group(1)) if array else []
    assert "echo" in types, types
    return types


def test_every_handler_has_its_page():
    pages = {os.path.basename(p)[:-3]
             for p in glob.glob(os.path.join(ROOT, "docs", "handlers", "*.md"))}
    missing = [t for t in builtin_types() + ["exec"] if t not in pages]
    assert not missing, f"docs/handlers/ lacks a page for: {missing}"
    readme = read(os.path.join(ROOT, "README.md"))
    unnamed = [t for t in builtin_types() if f"`{t}`" not in readme]
    assert not unnamed, f"README.md's table of what is built does not name: {unnamed}"


def test_docs_say_truly_whether_pgjobctl_reads_the_configuration(bindir):
    helptext = subprocess.run([os.path.join(bindir, "pgjobctl"), "migrate", "--help"],
                              env=programs.clean_env(), capture_output=True, text=True).stdout
    assert "--database" in helptext, helptext
    says_not = "`pgjobctl` | **not** `pgjob.conf`" in read(CONFIG_DOC)
    if "--config" in helptext:
        assert not says_not, "pgjobctl has --config now: update docs/configuration.md and README.md"
    else:
        assert says_not, "docs/configuration.md must say that pgjobctl does not read pgjob.conf"
