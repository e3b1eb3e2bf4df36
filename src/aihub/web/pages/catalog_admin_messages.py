"""The catalog services' refusals, said in the reader's language on the pages.

The services (``aihub.datasets``) say what is wrong in English, for the API and the CLI.
The pages show the same refusal next to the field it is about: each sentence the forms can
meet is matched here, its variable parts named, and said again through the page's
catalogs. A sentence not listed shows as the service wrote it, so a new refusal is never
lost, only untranslated until it is added here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from aihub.errors import AihubError, Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from aihub.web.context import Page, PageDep


def N_(message: str) -> str:  # noqa: N802 - the name message extractors look for
    return message


_VALUE = r"(?P<value>'.{0,200}')"
_KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), msgid) for pattern, msgid in (
        # Any text field (services.text_field, access reasons).
        (r"is required\.", N_("Fill this in.")),
        (r"is (?P<length>\d+) characters long; the limit is (?P<limit>\d+)(?:: say it "
         r"shortly)?\.", N_("This is %(length)s characters long; the limit is %(limit)s.")),
        (r"holds a NUL character \(\\0\); remove it\.",
         N_("Remove the NUL character from this field.")),
        # A dataset's metadata.
        (r"a dataset's name is 2 to 100 lowercase letters.*",
         N_("A dataset's name is 2 to 100 lowercase letters, digits, '-' or '_', for example "
            "busan-air-quality.")),
        (_VALUE + r" is reserved for the hub's pages; choose another\.",
         N_("%(value)s is reserved for the hub's pages; choose another.")),
        (_VALUE + r" is not a tag: .*",
         N_("%(value)s is not a tag: a tag is 1 to 50 letters, digits, spaces, '-', '_' "
            "or '.'.")),
        (r"(?P<count>\d+) tags given; the limit is (?P<limit>\d+)\.",
         N_("%(count)s tags given; the limit is %(limit)s.")),
        (_VALUE + r" is not a tier; .*", N_("Choose an access tier from the list.")),
        (r"unknown licence .*", N_("Choose a licence from the list.")),
        (r"a custom licence needs its terms.*",
         N_("A custom licence needs its terms: write them here, or choose a named licence.")),
        (r"only the custom licence takes a text; (?P<licence>\S+) has its own terms.*",
         N_("Only the custom licence takes a text; %(licence)s has its own terms. Leave it "
            "empty.")),
        (r"no organization is called (?P<slug>'.{0,100}')\.",
         N_("No organization is called %(slug)s.")),
        (r"A dataset called " + _VALUE + r" exists already; choose another name\.",
         N_("A dataset called %(value)s exists already; choose another name.")),
        (r"No dataset is called " + _VALUE + r"; .*", N_("No dataset is called %(value)s.")),
        (r"Only the hosts of " + _VALUE + r" and the curators .*",
         N_("Only the hosts of %(value)s and the curators may do this.")),
        (r"You cannot create datasets for " + _VALUE + r": .*",
         N_("Only the members of %(value)s and the curators create its datasets.")),
        (r"Version (?P<label>\S+) of " + _VALUE + r" has no file (?P<path>'.{0,300}')\.",
         N_("Version %(label)s has no file %(path)s.")),
        (_VALUE + r" has no version (?P<ref>'.{0,80}')\.",
         N_("This dataset has no version %(ref)s.")),
        # Access requests.
        (r"the period ends before it starts\.", N_("The period ends before it starts.")),
        (r"the period is over already; .*",
         N_("The period is over already; give the dates you will use the data.")),
        (r"a period is at most five years; .*",
         N_("A period is at most five years; ask again later.")),
        (r"Access request \d+ asked for the data until (?P<day>[0-9-]+), which is over; .*",
         N_("The member asked for the data until %(day)s, which is over: refuse the request, "
            "and they may ask again for new dates.")),
        (r"the licence (?P<licence>\S+) forbids commercial use of this data\.",
         N_("The licence %(licence)s forbids commercial use of this data.")),
        (r"You have a \w+ request for " + _VALUE + r" already; .*",
         N_("You have asked for this dataset already; its page shows your request.")),
        (r".* is (?P<old>\w+) and cannot become (?P<new>\w+); .*",
         N_("This was changed in the meantime (it is %(old)s now); load the page again.")),
        # Versions and their review.
        (_VALUE + r" is not a version label; .*",
         N_("%(value)s is not a version label; use numbers such as 1.0.0 (optionally -beta "
            "or +build).")),
        (r"every version needs a message .*",
         N_("Every version needs a message saying what it holds or what changed.")),
        (_VALUE + r" has a version (?P<label>\S+) already; .*",
         N_("This dataset has a version %(label)s already; labels are never reused. Choose "
            "the next one.")),
        (_VALUE + r" has no version (?P<ref>'.{0,80}'); .*",
         N_("This dataset has no version %(ref)s.")),
        (r".* has a file " + _VALUE + r" already; remove it first to replace it\.",
         N_("This version has a file %(value)s already; remove it first to replace it.")),
        (r".* has no files; attach at least one, then submit\.",
         N_("This version has no files; attach at least one, then submit.")),
        (r".* holds exactly the files of the published version (?P<label>\S+); .*",
         N_("This version holds exactly the files of the published version %(label)s; "
            "change the data, or keep using %(label)s.")),
        (r"choose cleared or confirmed\.", N_("Choose cleared or confirmed.")),
        (r".* has no finding .*", N_("This version has no such finding; load the page again.")),
        (r".* cannot be published yet: .*",
         N_("This version cannot be published yet: its review page says why.")),
        # Why a version may not be published yet (findings.publication_blockers).
        (r"(?P<path>.+?): the intake failed \((?P<error>.*)\); run the intake again or "
         r"reject the version\.",
         N_("%(path)s: the intake failed (%(error)s); run the intake again or reject the "
            "version.")),
        (r"(?P<path>.+?): not scanned for personal data yet\.",
         N_("%(path)s: not scanned for personal data yet.")),
        (r"(?P<path>.+?) column (?P<column>'.*?'): \w+ finding (?P<pattern>\S+) "
         r"\((?P<count>\d+)\) awaits a curator's decision\.",
         N_("%(path)s, column %(column)s: %(count)s of %(pattern)s await a curator's "
            "decision.")),
        (r"(?P<path>.+?): \w+ finding (?P<pattern>\S+) \((?P<count>\d+)\) awaits a "
         r"curator's decision\.",
         N_("%(path)s: %(count)s of %(pattern)s await a curator's decision.")),
        (r"(?P<path>.+?)(?: column (?P<column>'.*?'))?: (?P<pattern>\S+) was confirmed as "
         r"personal data; .*",
         N_("%(path)s: %(pattern)s was confirmed as personal data; reject the version and "
            "ask for data without it.")),
        # Data requests.
        (r"No data request (?P<id>\d+); .*", N_("No data request %(id)s.")),
        (r"This is your own request; it counts you already\.",
         N_("This is your own request; it counts you already.")),
        (r"choose under_review, accepted or rejected\.", N_("Choose a status from the list.")),
        (r"a request is fulfilled by linking a dataset: .*",
         N_("A request is fulfilled by linking a dataset: use the form for that below.")),
        (_VALUE + r" has no published version yet; .*",
         N_("%(value)s has no published version yet; publish one first, so that the "
            "requester can see it.")),
        (r"Data request \d+ was extended already, on (?P<day>[0-9-]+); .*",
         N_("This request was extended already, on %(day)s; only one extension is allowed.")),
    ))


def say(page: Page, message: str) -> str:
    """``message`` of a service in the reader's language, if it is a known sentence."""
    for pattern, msgid in _KNOWN:
        match = pattern.fullmatch(message)
        if match:
            return page.gettext(msgid, **match.groupdict())
    return message


def say_fields(page: Page, fields: dict[str, str]) -> dict[str, str]:
    return {name: say(page, message) for name, message in fields.items()}


def say_error(page: Page, exc: AihubError) -> str:
    """The refusal as one sentence (or one per field) for a message above a form."""
    if isinstance(exc, FieldErrors):
        return " ".join(say(page, message) for message in exc.fields.values())
    return say(page, exc.detail)


def readers_words(page: PageDep) -> Iterator[None]:
    """A router dependency: a refusal no route caught (a dataset not found, a page that is
    not the reader's) reaches the error page in the reader's language."""
    try:
        yield
    except (NotFound, Forbidden, Conflict, InvalidInput) as exc:
        if type(exc) not in (NotFound, Forbidden, Conflict, InvalidInput):
            raise  # its own kind (FieldErrors, VersionWithdrawn): as it is
        raise type(exc)(say(page, exc.detail)) from None
