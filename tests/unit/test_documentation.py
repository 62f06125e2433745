"""The documentation holds together: the README stays short, every link and every cited path
points at a file in the repository, the site's navigation lists every page, and nothing cites
the design document that no longer exists. Plain file reads, no network, no mkdocs run
(``scripts/test`` builds the site with ``mkdocs build --strict``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain import vocabulary
from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.notifications.rules import rule_rows

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README_LIMIT = 12 * 1024  # bytes
GONE = "DESIGN" + ".md"  # spelt in two parts so that this file does not cite it either
# Not the repository's own files: tools' caches, the virtualenv, built output.
NOT_OURS = {
    ".git",
    ".venv",
    "site",
    ".laurel",
    "build",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "test-artifacts",
}

FENCE = re.compile(r"^( {0,3})(```|~~~).*?^\1\2[^\n]*$", re.MULTILINE | re.DOTALL)
INDENTED = re.compile(r"(?:^(?: {4}|\t).*\n?)+", re.MULTILINE)  # indented code blocks
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
# A path cited in a code span: a top-level folder of the repository, then a file or folder name.
TOP = r"(?:domain|workflows|projections|api|cli|infra|tests|bench|scripts|docs)"
CITED_PATH = re.compile(rf"^{TOP}/[\w./-]*$")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def prose(text: str) -> str:
    """The text without code blocks (links and paths there are examples, not citations)."""
    text = FENCE.sub("", text)
    return INDENTED.sub("", text)


def links(text: str) -> list[str]:
    text = CODE_SPAN.sub("", prose(text))
    return INLINE_LINK.findall(text) + REFERENCE.findall(text)


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)) or target.startswith("//")


def repository_files() -> Iterator[Path]:
    """The repository's files as git sees them (tracked, or new and not ignored); outside a git
    checkout, every file but the folders of NOT_OURS."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        yield from (ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file())
        return
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if path.is_file() and not any(p in NOT_OURS or p.endswith(".egg-info") for p in parts):
            yield path


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml whatever tags it uses (``!!python/name:``, ``!ENV``): only the nav matters."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def mkdocs_config() -> dict[str, Any]:
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)


def nav_pages(entry: Any) -> Iterator[str]:
    if isinstance(entry, str):
        if not is_external(entry):
            yield entry
    elif isinstance(entry, list):
        for item in entry:
            yield from nav_pages(item)
    elif isinstance(entry, dict):
        for value in entry.values():
            yield from nav_pages(value)


def test_the_readme_lists_every_notification_with_who_and_when() -> None:
    """Issue 24: the README's table names each kind (marked \\* when it cannot be muted), and
    the guide's table names each rule's kind and event."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Notifications") :].split("\n## ")[0]
    for kind in NoticeKind:
        mark = "`\\*" if kind in MANDATORY else "` "
        assert f"`{kind}{mark}" in table, kind
    guide = (DOCS / "notifications.md").read_text(encoding="utf-8")
    for row in rule_rows():
        event = row["event"] if row["event"] != "(sender)" else "(the sender)"
        assert f"`{row['kind']}`" in guide and event in guide, row["kind"]


def test_readme_is_at_most_12_kb() -> None:
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_LIMIT, (
        f"README.md is {size} bytes; move detail to docs/ (limit {README_LIMIT})"
    )


@pytest.mark.parametrize("page", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(page: Path) -> None:
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if not path or is_external(target):
            continue
        resolved = (page.parent / path).resolve()
        if not resolved.exists() or ROOT not in resolved.parents:
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to what the repository does not hold: {broken}"


def gitignored() -> set[str]:
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return {line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")}


# A decision record names the code as it was when the decision was taken: not checked.
CURRENT_PAGES = [page for page in markdown_files() if "adr" not in page.relative_to(ROOT).parts]


@pytest.mark.parametrize("page", CURRENT_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_cited_in_code_exists(page: Path) -> None:
    missing = []
    made_at_run_time = gitignored()
    for _, span in CODE_SPAN.findall(prose(page.read_text(encoding="utf-8"))):
        cited = span.strip().split("::", 1)[0]
        if not CITED_PATH.match(cited) or cited.rstrip("/") in made_at_run_time:
            continue
        if not (ROOT / cited).exists():
            missing.append(cited)
    assert not missing, f"{page.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_no_file_in_the_repository_cites_the_removed_design_document() -> None:
    needle = GONE.encode()
    citing = [str(path.relative_to(ROOT)) for path in repository_files() if needle in path.read_bytes()]
    assert not citing, f"{GONE} does not exist, yet these files cite it: {citing}"


def test_every_page_of_the_site_is_in_its_navigation() -> None:
    config = mkdocs_config()
    listed = set(nav_pages(config.get("nav", [])))
    excluded = set(config.get("not_in_nav", "").split()) if config.get("not_in_nav") else set()
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages - listed - excluded == set(), "pages missing from mkdocs.yml's nav"
    assert listed - pages == set(), "mkdocs.yml's nav lists pages that do not exist"


def test_the_site_builds_outside_the_docs_and_without_web_fonts() -> None:
    config = mkdocs_config()
    site_dir = (ROOT / config.get("site_dir", "site")).resolve()
    assert DOCS.resolve() not in [site_dir, *site_dir.parents], "the built site must not land in docs/"
    assert config["theme"].get("font") is False, "theme.font: false keeps Google Fonts out (offline)"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert f"{site_dir.relative_to(ROOT)}/" in ignored, "the built site is gitignored"


# The terms docs/concepts.md explains (WebhookStatus is on the webhooks page).
CONCEPT_TERMS = [
    vocabulary.NominationState,
    vocabulary.Step,
    vocabulary.PhaseStatus,
    vocabulary.TitleStatus,
    vocabulary.PreReviewDecision,
    vocabulary.InspectionVerdict,
    vocabulary.InspectionMethod,
    vocabulary.RevocationCause,
    vocabulary.Role,
    vocabulary.Level,
    vocabulary.MemberStatus,
    vocabulary.SessionKind,
    vocabulary.StudyTopic,
    vocabulary.FiveHave,
]


@pytest.mark.parametrize("term", CONCEPT_TERMS, ids=lambda t: t.__name__)
def test_the_concepts_page_names_every_term_with_its_chinese_label(term: type[vocabulary.Term]) -> None:
    page = (DOCS / "concepts.md").read_text(encoding="utf-8")
    absent = [f"{m} {m.zh}" for m in term if f"`{m}`" not in page or m.zh not in page]
    assert not absent, f"docs/concepts.md does not explain {term.__name__}: {absent}"
