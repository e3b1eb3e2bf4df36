"""Every string a page shows goes through the catalogs, and both catalogs have it.

Strings are found the way ``pybabel extract`` finds them: ``_()``/``gettext``/``ngettext``
and ``{% trans %}`` in templates, and ``_()``/``gettext`` in the page modules. A second check
reads each template's text outside tags: words there would reach the page untranslated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2 import Environment
from jinja2.lexer import TOKEN_DATA

from aihub.web import i18n
from aihub.web.templating import TEMPLATE_DIR

WEB = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [(p, "jinja2.ext:babel_extract") for p in TEMPLATE_DIR.rglob("*.html")]
    sources += [(p, "python") for p in WEB.rglob("*.py")]
    for path, method in sources:
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if "jinja" in method else {}
        for lineno, message, _, _ in extract_from_file(method, path, keywords=KEYWORDS,
                                                       options=options):
            # A plural (ngettext) is one catalog entry, found by its singular.
            ids = message[:1] if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, f"{path.relative_to(WEB)}:{lineno}")
    return found


def test_strings_are_found() -> None:
    assert "Skip to content" in _extracted()


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_string_has_a_translation(locale: str) -> None:
    catalog = i18n.catalog(locale)
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in sorted(_extracted().items(), key=lambda item: item[1])
        if not (catalog.get(msgid) and catalog[msgid].string)
    ]
    assert not missing, f"{len(missing)} strings lack a {locale} translation in " \
        f"src/aihub/web/i18n/{locale}/*.po:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_no_fuzzy_or_unused_entries(locale: str) -> None:
    used = set(_extracted())
    catalog = i18n.catalog(locale)
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    unused = [m.id for m in catalog
              if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used]
    assert not fuzzy, f"fuzzy {locale} entries: {fuzzy}"
    assert not unused, f"{locale} entries no template or page uses (remove them): {unused}"


# Text between tags that is only punctuation, numbers, symbols or entities is not language.
_WORDS = re.compile(r"[A-Za-z\uac00-\ud7a3]{2,}")
_ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


def _untranslated(path: Path, root: Path = TEMPLATE_DIR) -> list[str]:
    """Words in a template's own text (not in tags, attributes, scripts or Jinja code)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    pieces: list[str] = []
    starts: list[tuple[int, int]] = []  # (offset in the joined text, template line)
    in_trans, length = False, 0
    for lineno, kind, value in env.lex(path.read_text(encoding="utf-8")):
        if kind == "name" and value in ("trans", "pluralize"):
            in_trans = True
        elif kind == "name" and value == "endtrans":
            in_trans = False
        # Jinja code stands in as one placeholder, so a tag with an expression in an
        # attribute is still one tag to strip.
        piece = value if kind == TOKEN_DATA and not in_trans else "\x00"
        starts.append((length, lineno))
        pieces.append(piece)
        length += len(piece)
    text = "".join(pieces)
    text = re.sub(r"<(script|style)\b.*?</\1>", lambda m: " " * len(m.group(0)), text,
                  flags=re.S)
    text = re.sub(r"<[^>]*>", lambda m: " " * len(m.group(0)), text)
    text = _ENTITY.sub(lambda m: " " * len(m.group(0)), text)
    problems = []
    for match in _WORDS.finditer(text):
        offset, lineno = next(item for item in reversed(starts) if item[0] <= match.start())
        lineno += text[offset:match.start()].count("\n")
        problems.append(f"{path.relative_to(root)}:{lineno}: {match.group(0)!r}")
    return problems


def test_templates_hold_no_bare_words() -> None:
    problems = [p for path in sorted(TEMPLATE_DIR.rglob("*.html")) for p in _untranslated(path)]
    assert not problems, "words outside _() or {% trans %} in templates:\n" + "\n".join(problems)


def test_the_scan_finds_bare_words(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<p class="x" title="{{ t }}">{{ _("Fine") }} Submit</p>\n'
        "<script>var words = 1;</script>{% trans %}Also fine{% endtrans %}\n"
        "<span>&nbsp;3 · 4%</span>\n<b>점수</b>\n",
        encoding="utf-8",
    )
    assert _untranslated(page, tmp_path) == ["page.html:1: 'Submit'", "page.html:4: '점수'"]
