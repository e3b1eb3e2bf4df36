"""``aihub datasets``: the data catalog over the hub's API. Uploads go over tus and resume
when the same command runs again; downloads resume with Range and are checked against the
version's manifest (docs/datasets.md, docs/uploads.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from aihub.cli.client import Client, ClientError
from aihub.cli.common import (
    JsonOption,
    Lang,
    LangOption,
    TokenOption,
    UrlOption,
    client,
    console,
    err_console,
    fail,
    in_lang,
    print_json,
)
from aihub.cli.transfer import (
    CHUNK_BYTES,
    UPLOADS_PATH,
    ResumeStore,
    Retry,
    download_verified,
    fingerprint,
    http_client,
    transfer_progress,
    upload_resumable,
)

datasets_app = typer.Typer(help="Browse, publish and download datasets of the catalog.",
                           no_args_is_help=True)

DEFAULT_URL = "http://127.0.0.1:8000"
API = "/api/v1/datasets"
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Retries = Annotated[int, typer.Option(
    min=1, max=100, help="Failures in a row (network, busy hub) before giving up; run the "
    "command again to resume.")]



def _say(text: str) -> None:
    """Print a line as written: no colours guessed for numbers and paths in it (the
    console reads no markup either, see cli/common.py)."""
    console.print(text, highlight=False)


def _path(slug: str, *rest: str) -> str:
    """An API path with each part quoted: labels and file paths may hold anything."""
    return "/".join([API, quote(slug, safe=""), *(quote(part, safe="/") for part in rest)])


@contextmanager
def _transfers(url: str, token: str | None) -> Iterator[httpx.Client]:
    """The transfer client, whose refusals are printed like the other verbs' errors."""
    http = http_client(url, token, timeout=300.0)
    try:
        yield http
    except ClientError as exc:
        fail(str(exc))
    except httpx.TransportError as exc:
        fail(f"Cannot reach the hub at {url}: {exc}. Set --url or AIHUB_URL to its "
             "address.")
    finally:
        http.close()


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """Rich progress bars on stderr, so ``--json`` output and pipes stay clean."""
    if quiet:
        yield None
        return
    with transfer_progress(err_console) as progress:
        yield progress


@datasets_app.command("list")
def datasets_list(
    q: Annotated[str, typer.Option("--q", help="Words to search for.")] = "",
    organization: Annotated[str | None, typer.Option(help="Only this organization's.")] = None,
    tier: Annotated[str | None, typer.Option(help="open, registered or approval.")] = None,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
    lang: LangOption = Lang.ko,
) -> None:
    """List the datasets you can see (the first 100 matches)."""
    params = {"q": q, "organization": organization, "tier": tier, "per_page": 100}
    with client(url, token) as api:
        page = api.get(API, params={k: v for k, v in params.items() if v})
    if as_json:
        print_json(page)
        return
    # The slug is what the other verbs take: it is never cut; the title wraps.
    table = Table()
    table.add_column("slug", no_wrap=True)
    table.add_column("title", min_width=16)
    for name in ("tier", "licence", "latest"):
        table.add_column(name)
    for item in page["items"]:
        latest = item["latest_version"]
        table.add_row(
            item["slug"], in_lang(item["title"], lang), item["access_tier"], item["licence"]["id"],
            latest["label"] if latest else "-")
    console.print(table)
    console.print(f"{page['count']} dataset(s)", highlight=False)


@datasets_app.command("show")
def datasets_show(
    slug: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None,
    as_json: JsonOption = False, lang: LangOption = Lang.ko,
) -> None:
    """Show a dataset: description, licence, tier and versions."""
    with client(url, token) as api:
        item = api.get(_path(slug))
    if as_json:
        print_json(item)
        return
    licence = item["licence"]
    console.print(Text.assemble((in_lang(item["title"], lang), "bold"), f" ({item['slug']})"),
                  highlight=False)
    console.print(in_lang(item["description"], lang), highlight=False, markup=False)
    _say(f"organization: {item['organization']['slug']}; tier: {item['access_tier']}; "
         f"licence: {licence['id']} ({in_lang(licence['title'], lang)}); "
         f"tags: {', '.join(item['tags']) or '-'}")
    table = Table("version", "status", "files", "bytes", "published", "message")
    for version in item["versions"]:
        table.add_row(
            version["label"], version["status"], str(version["file_count"]),
            str(version["total_bytes"]), (version["published_at"] or "")[:10],
            version["message"][:60])
    console.print(table)


@datasets_app.command("create")
def datasets_create(
    slug: str,
    organization: Annotated[str, typer.Option(help="The owning organization (its slug).")],
    title_ko: Annotated[str, typer.Option("--title-ko", help="The Korean title.")],
    title_en: Annotated[str, typer.Option("--title-en", help="The English title.")] = "",
    licence: Annotated[str, typer.Option(help="A licence id ('KOGL-1', 'CC-BY-4.0'…).")]
    = "KOGL-1",
    tier: Annotated[str, typer.Option(help="open, registered or approval.")] = "open",
    tag: Annotated[list[str] | None, typer.Option(help="A tag (repeat for several).")] = None,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
) -> None:
    """Create a dataset of your organization (hidden until a version is published)."""
    body = {"organization": organization, "slug": slug, "title_ko": title_ko,
            "title_en": title_en, "licence": licence, "access_tier": tier, "tags": tag or []}
    with client(url, token) as api:
        item = api.post(API, json=body)
    if as_json:
        print_json(item)
        return
    _say(f"Created {item['slug']}. Next: aihub datasets version {item['slug']} "
         "1.0.0 --message '...'")


@datasets_app.command("version")
def datasets_version(
    slug: str, label: str,
    message: Annotated[str, typer.Option("--message", "-m", help="What it holds or changed.")],
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
) -> None:
    """Start a draft version; attach files with 'aihub datasets upload'."""
    with client(url, token) as api:
        item = api.post(_path(slug, "versions"), json={"label": label, "message": message})
    if as_json:
        print_json(item)
        return
    _say(f"Draft {slug} {item['label']}. Next: aihub datasets upload {slug} "
         f"{item['label']} FILE...")


def _resuming(http: httpx.Client, file: Path, store: ResumeStore) -> int | None:
    """Where an earlier run's upload of ``file`` stands, to tell the person it resumes."""
    known = store.get(fingerprint(file, str(http.base_url.join(UPLOADS_PATH))))
    if known is None:
        return None
    try:
        answer = http.head(known, headers={"Tus-Resumable": "1.0.0"})
    except httpx.TransportError:
        return None
    offset = answer.headers.get("upload-offset", "")
    return int(offset) if answer.status_code == 200 and offset.isdigit() else None


@datasets_app.command("upload")
def datasets_upload(
    slug: str, label: str,
    files: Annotated[list[Path], typer.Argument(help="Files to attach to the draft.")],
    path: Annotated[str | None, typer.Option(
        help="Path in the dataset (default: the file's name; with several files, a folder "
        "they go into).")] = None,
    chunk_mb: Annotated[int, typer.Option(min=1, max=1024, help="MiB sent per request.")]
    = CHUNK_BYTES // 2**20,
    retries: Retries = 8, quiet: Quiet = False,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
) -> None:
    """Upload files to a draft version (run it again to resume an interrupted upload)."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"Not a file: {', '.join(missing)}. Name existing files.")
    store = ResumeStore()
    with _transfers(url, token) as http, client(url, token) as api:
        # A wrong slug or label, or a version past its draft, fails before any byte is sent.
        version = api.get(_path(slug, "versions", label))
        if version["status"] != "draft":
            fail(f"{slug} {label} is {version['status']}: files are attached to drafts "
                 f"only. Start a new version: aihub datasets version {slug} LABEL "
                 "--message '...'")
        for file in files:
            target = _target_path(file, path, several=len(files) > 1)
            offset = _resuming(http, file, store)
            if offset:
                _say(f"Resuming {file.name} at byte {offset}.")
            with _progress(quiet) as progress:
                sent = upload_resumable(http, UPLOADS_PATH, file, None, progress,
                                        chunk_size=chunk_mb * 2**20, store=store,
                                        retry=Retry(tries=retries))
            item = api.post(_path(slug, "versions", label, "uploads"),
                            json={"upload_id": sent.upload_id, "path": target})
            _say(f"{item['path']} ({item['size']} bytes, sha256 {item['sha256'][:12]}…)")


def _target_path(file: Path, path: str | None, *, several: bool) -> str:
    if path is None:
        return file.name
    return f"{path.rstrip('/')}/{file.name}" if several else path


@datasets_app.command("submit")
def datasets_submit(
    slug: str, label: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fix a draft's files and send it to intake (personal-data scan, then review)."""
    with client(url, token) as api:
        item = api.post(_path(slug, "versions", label, "submit"))
    if as_json:
        print_json(item)
        return
    _say(f"{slug} {item['label']}: {item['status']} (rev {item['rev']}). A curator "
         "publishes it after the review.")


def _manifest(http: httpx.Client, api: Client, slug: str, ref: str) -> dict[str, Any]:
    """The version's manifest, checked to hash to its rev (so every sha256 in it holds)."""
    version = api.get(_path(slug, "versions", ref))
    answer = http.get(_path(slug, "versions", ref, "manifest"))
    if not answer.is_success:
        raise ClientError(f"The manifest of {slug} {ref}: HTTP {answer.status_code}.")
    rev = hashlib.sha256(answer.content).hexdigest()
    if version["rev"] is None or rev != version["rev"]:
        raise ClientError(f"The manifest of {slug} {ref} hashes to {rev}, not its rev "
                          f"{version['rev']}; it cannot be trusted. Try again later.")
    manifest: dict[str, Any] = json.loads(answer.content)
    manifest["rev"] = rev
    return manifest


def _chosen(files: list[dict[str, Any]], wanted: list[str]) -> list[dict[str, Any]]:
    """Files named in ``wanted``, or inside a folder named there; all when none."""
    if not wanted:
        return files
    found = [f for f in files if any(f["path"] == w or f["path"].startswith(w.rstrip("/") + "/")
                                     for w in wanted)]
    unknown = [w for w in wanted if not any(f["path"] == w or f["path"].startswith(
        w.rstrip("/") + "/") for f in found)]
    if unknown:
        raise ClientError(f"No such file or folder in the version: {', '.join(unknown)}. "
                          "'aihub datasets show SLUG' lists the versions; the manifest "
                          "lists the files.")
    return found


def _local(dest: Path, path: str) -> Path:
    """Where a manifest path lands under ``dest``, refusing one that would leave it."""
    parts = PurePosixPath(path).parts
    if not parts or any(part in ("", ".", "..") for part in parts) or path.startswith("/"):
        raise ClientError(f"The manifest names an unsafe path {path!r}; nothing was written.")
    return dest.joinpath(*parts)


def _same(target: Path, size: int, sha256: str) -> bool:
    if not target.is_file() or target.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest() == sha256


@datasets_app.command("download")
def datasets_download(
    slug: str,
    paths: Annotated[list[str] | None, typer.Argument(
        help="Files or folders of the version (default: all).")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="A label or rev (default: the latest published).")] = None,
    dest: Annotated[Path | None, typer.Option(help="Folder to write to (default: ./SLUG).")]
    = None,
    retries: Retries = 8, quiet: Quiet = False,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
) -> None:
    """Download a version's files, checked against its manifest's sha256 (resumable)."""
    folder = dest or Path(slug)
    with _transfers(url, token) as http, client(url, token) as api:
        ref = version or _latest(api, slug)
        manifest = _manifest(http, api, slug, ref)
        for item in _chosen(manifest["files"], paths or []):
            target = _local(folder, item["path"])
            if _same(target, item["size"], item["sha256"]):
                _say(f"{target} (already there, sha256 ok)")
                continue
            _make_folder(target.parent)
            with _progress(quiet) as progress, _cli_hint(slug):
                download_verified(http, _path(slug, "versions", manifest["rev"], "files",
                                              item["path"]),
                                  target, item["sha256"], progress, retry=Retry(tries=retries))
            _say(f"{target} ({item['size']} bytes, sha256 ok)")


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, a full disk
        raise ClientError(f"Cannot write {folder}: {exc.strerror or exc}. Choose another "
                          "folder with --dest.") from exc


@contextmanager
def _cli_hint(slug: str) -> Iterator[None]:
    """The hub names the API call that grants access; add the verb that makes it."""
    try:
        yield
    except ClientError as exc:
        text = str(exc)
        if f"/{slug}/licence" in text:
            text += f" With this command line: aihub datasets accept-licence {slug}"
        elif f"/{slug}/access-requests" in text:
            text += (f" With this command line: aihub datasets request-access {slug} "
                     "--purpose ... --starts YYYY-MM-DD --ends YYYY-MM-DD")
        raise ClientError(text) from exc


def _latest(api: Client, slug: str) -> str:
    item = api.get(_path(slug))
    latest = item["latest_version"]
    if latest is None:
        raise ClientError(f"{slug} has no published version yet; name one with --version.")
    return str(latest["label"])


@datasets_app.command("accept-licence")
def datasets_accept_licence(
    slug: str,
    purpose: Annotated[str, typer.Option(help="What you will use the data for.")] = "",
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
) -> None:
    """Accept a registered-tier dataset's licence, after which you may download it."""
    with client(url, token) as api:
        item = api.post(_path(slug, "licence"), json={"purpose": purpose})
    _say(f"You accepted {item['licence']} for {slug}. Next: aihub datasets download {slug}")


@datasets_app.command("request-access")
def datasets_request_access(
    slug: str,
    purpose: Annotated[str, typer.Option(help="Why you need the data.")],
    starts: Annotated[str, typer.Option(help="First day of use, YYYY-MM-DD.")],
    ends: Annotated[str, typer.Option(help="Last day of use, YYYY-MM-DD.")],
    organization: Annotated[str, typer.Option(help="Your organization.")] = "",
    commercial: Annotated[bool, typer.Option(help="The use is commercial.")] = False,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
) -> None:
    """Ask for access to an approval-tier dataset; its hosts answer by the due date."""
    body = {"purpose": purpose, "starts_on": _day(starts, "--starts"),
            "ends_on": _day(ends, "--ends"), "organization": organization,
            "commercial_use": commercial}
    with client(url, token) as api:
        item = api.post(_path(slug, "access-requests"), json=body)
    if as_json:
        print_json(item)
        return
    _say(f"Access request {item['id']} for {slug}: {item['status']}, due "
         f"{str(item['due_at'])[:10]}.")


def _day(value: str, option: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD.")
        raise  # unreachable: fail() exits


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
