"""Verbs that take part in a hub's challenges over its API, in the habits of the Kaggle CLI."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from aihub.cli.client import Client
from aihub.cli.common import (
    JsonOption,
    Lang,
    LangOption,
    TokenOption,
    UrlOption,
    client,
    console,
    fail,
    in_lang,
    print_json,
)

challenges_app = typer.Typer(help="Browse, join and create challenges.", no_args_is_help=True)
teams_app = typer.Typer(help="Your teams and invitations.", no_args_is_help=True)

DEFAULT_URL = "http://127.0.0.1:8000"



def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.5f}"


@challenges_app.command("list")
def challenges_list(
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
    lang: LangOption = Lang.ko,
) -> None:
    """List the challenges you can see."""
    with client(url, token) as api:
        items = api.get("/api/v1/challenges")
    if as_json:
        print_json(items)
        return
    table = Table("title", "host", "metric", "phase", "ends", "teams")
    table.add_column("slug", no_wrap=True)
    for item in items:
        phase = item["phase"]
        table.add_row(
            in_lang(item["title"], lang), in_lang(item["organization"]["name"], lang),
            item["metric"], f"{phase['name']} ({phase['status']})", phase["ends_at"][:10],
            str(item["teams"]), item["slug"],
        )
    console.print(table)


@challenges_app.command("show")
def challenges_show(
    slug: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None,
    as_json: JsonOption = False, lang: LangOption = Lang.ko,
) -> None:
    """Show a challenge: description, phases, files and your status."""
    with client(url, token) as api:
        item = api.get(f"/api/v1/challenges/{slug}")
    if as_json:
        print_json(item)
        return
    console.print(Text.assemble((in_lang(item["title"], lang), "bold"), f" ({item['slug']})"))
    console.print(Markdown(in_lang(item["description"], lang)))
    table = Table("phase", "status", "starts", "ends", "daily", "total", "finals")
    for phase in item["phases"]:
        table.add_row(phase["name"], phase["status"], phase["starts_at"][:16],
                      phase["ends_at"][:16], str(phase["daily_limit"]),
                      str(phase["total_limit"] or "-"), str(phase["final_selections"]))
    console.print(table)
    files = Table("file", "bytes", "description")
    for f in item["files"]:
        files.add_row(f["name"], str(f["size"]), in_lang(f["description"], lang))
    console.print(files)
    console.print(f"metric: {item['metric']} ({item['direction']}); "
                  f"rules accepted: {'yes' if item['accepted_rules'] else 'no'}; "
                  f"team: {item['team'] or '-'}")


@challenges_app.command("join")
def challenges_join(
    slug: str, yes: Annotated[bool, typer.Option("--yes", "-y", help="Accept without asking.")]
    = False, url: UrlOption = DEFAULT_URL, token: TokenOption = None, lang: LangOption = Lang.ko,
) -> None:
    """Show the challenge's rules and accept them (needed to download data and submit)."""
    with client(url, token) as api:
        item = api.get(f"/api/v1/challenges/{slug}")
        if item["accepted_rules"]:
            console.print(f"You accepted the rules of {slug} already.")
            return
        console.print(Markdown(in_lang(item["rules"], lang)))
        if not yes and not typer.confirm("Do you accept these rules?", default=False):
            fail("Rules not accepted; nothing was changed.")
        api.post(f"/api/v1/challenges/{slug}/join")
    console.print(f"You joined {slug}. Next: aihub challenges download {slug}")


@challenges_app.command("download")
def challenges_download(
    slug: str,
    file: Annotated[str | None, typer.Option("--file", "-f", help="Only this file.")] = None,
    path: Annotated[Path | None, typer.Option("--path", "-p", help="Folder to write to "
                                              "(default: ./SLUG).")] = None,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Download a challenge's files, checking each one's sha256."""
    dest = path or Path(slug)
    dest.mkdir(parents=True, exist_ok=True)
    with client(url, token) as api:
        files = api.get(f"/api/v1/challenges/{slug}/files")
        chosen = [f for f in files if file is None or f["name"] == file]
        if not chosen:
            fail(f"{slug} has no file {file!r}; its files: "
                 f"{', '.join(f['name'] for f in files)}.")
        for f in chosen:
            target = dest / Path(f["name"]).name
            api.download(f["url"], target, expected_sha256=f["sha256"],
                         show_progress=not quiet)
            console.print(f"{target} ({f['size']} bytes, sha256 ok)")


def _zip_folder(folder: Path, tmp: Path) -> Path:
    return Path(shutil.make_archive(str(tmp / folder.name), "zip", root_dir=folder))


@challenges_app.command("create")
def challenges_create(
    bundle: Annotated[Path, typer.Argument(
        help="A folder or zip with challenge.yaml, or a Codabench bundle (competition.yaml).")],
    organization: Annotated[str | None, typer.Option(
        help="The hosting organization of a Codabench bundle (default: your only one).")] =
    None,
    slug: Annotated[str | None, typer.Option(
        help="The address name of a Codabench bundle's challenge (default: from its title).")]
    = None,
    allow_reduced_sandbox: Annotated[bool, typer.Option(
        help="Let its code run in the reduced sandbox where machines have no user "
        "namespaces (curators only; docs/sandbox.md).")] = False,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
) -> None:
    """Create a challenge from a bundle (see docs/challenge-format.md, docs/codabench.md)."""
    if not bundle.exists():
        fail(f"{bundle} does not exist.")
    form = {key: value for key, value in (("organization", organization), ("slug", slug))
            if value}
    if allow_reduced_sandbox:
        form["allow_reduced_sandbox"] = "true"
    with tempfile.TemporaryDirectory() as tmp, client(url, token) as api:
        archive = _zip_folder(bundle, Path(tmp)) if bundle.is_dir() else bundle
        item = api.upload("/api/v1/challenges", archive, data=form)
    if as_json:
        print_json(item)
    else:
        console.print(f"Created {item['slug']}: {item['title']['ko']}")
        if item.get("import_report"):
            console.print(f"Import report:\n{item['import_report']}")
        if not item["approved"]:
            console.print("It waits for a curator's approval before participants can see it.")


@challenges_app.command("approve")
def challenges_approve(
    slug: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Open a host's new challenge to participants (curators only)."""
    with client(url, token) as api:
        item = api.post(f"/api/v1/challenges/{slug}/approve")
    console.print(f"Approved {item['slug']}: participants can now see and join it.")


@challenges_app.command("sandbox")
def challenges_sandbox(
    slug: str,
    allow_reduced: Annotated[bool, typer.Option(
        "--allow-reduced/--full-only",
        help="Let its code run in the reduced sandbox (bubblewrap as root, on machines "
        "without user namespaces), or only in the full one.")],
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
) -> None:
    """Choose where a challenge's code may run (curators only; docs/sandbox.md)."""
    with client(url, token) as api:
        item = api.post(f"/api/v1/challenges/{slug}/sandbox",
                        json={"reduced_allowed": allow_reduced})
    where = ("in the full sandbox, or the reduced one where machines have no user namespaces"
             if item["reduced_sandbox_allowed"] else "only in the full sandbox")
    console.print(f"{item['slug']}: its code runs {where}.")


def _print_submission(item: dict[str, Any]) -> None:
    line = f"submission {item['id']}: {item['status']}"
    if item["public_score"] is not None:
        line += f", public score {item['public_score']:.6f}"
    if item.get("private_score") is not None:
        line += f", private score {item['private_score']:.6f}"
    console.print(line, highlight=False)
    if item["error"]:
        console.print(item["error"], style="red", highlight=False)


def _wait(api: Client, submission_id: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = max(0.0, deadline - time.monotonic())
        item: dict[str, Any] = api.get(f"/api/v1/submissions/{submission_id}",
                                       params={"wait": min(left, 30.0)})
        if item["status"] in ("finished", "failed", "cancelled") or left <= 0:
            return item


def submit(
    slug: str,
    file: Path,
    message: Annotated[str, typer.Option("--message", "-m", help="A note for yourself.")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Return when the score is known.")] =
    False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 600.0,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Submit a prediction file to a challenge."""
    with client(url, token) as api:
        item = api.upload(f"/api/v1/challenges/{slug}/submissions", file,
                          data={"message": message}, show_progress=not quiet)
        if wait:
            item = _wait(api, item["id"], timeout)
    if as_json:
        print_json(item)
    else:
        _print_submission(item)
    if item["status"] == "failed":
        raise typer.Exit(1)


def submissions(
    slug: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None,
    as_json: JsonOption = False,
    everyone: Annotated[bool, typer.Option("--all", help="Every team's (hosts only).")] = False,
) -> None:
    """List your team's submissions to a challenge."""
    with client(url, token) as api:
        items = api.get(f"/api/v1/challenges/{slug}/submissions",
                        params={"everyone": everyone})
    if as_json:
        print_json(items)
        return
    table = Table("id", "date", "file", "status", "public", "private", "final", "message")
    for s in items:
        table.add_row(str(s["id"]), s["created_at"][:19], s["filename"], s["status"],
                      _score(s["public_score"]), _score(s["private_score"]),
                      "*" if s["selected"] else "", s["error"][:60] or s["message"])
    console.print(table)


def leaderboard(
    slug: str,
    private: Annotated[bool, typer.Option("--private", help="The private board, once open.")]
    = False,
    phase: Annotated[str | None, typer.Option(help="Phase name (default: current).")] = None,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None, as_json: JsonOption = False,
    lang: LangOption = Lang.ko,
) -> None:
    """Show a challenge's leaderboard."""
    params: dict[str, str] = {"split": "private" if private else "public", "lang": lang.value}
    if phase:
        params["phase"] = phase
    with client(url, token) as api:
        board = api.get(f"/api/v1/challenges/{slug}/leaderboard", params=params)
    if as_json:
        print_json(board)
        return
    table = Table("rank", "team", board["metric"], "entries", "submitted",
                  title=f"{slug} · {board['phase']} · {board['split']}")
    for row in board["rows"]:
        name = Text(f"{row['team']} (baseline)", "dim") if row["is_baseline"] else row["team"]
        table.add_row(str(row["rank"] or "-"), name, f"{row['score']:.5f}",
                      str(row["entries"]), row["submitted_at"][:16])
    console.print(table)


def select(
    submission_id: int,
    off: Annotated[bool, typer.Option("--off", help="Unselect instead.")] = False,
    url: UrlOption = DEFAULT_URL, token: TokenOption = None,
) -> None:
    """Pick a submission for the private leaderboard (or unpick it with --off)."""
    with client(url, token) as api:
        item = api.post(f"/api/v1/submissions/{submission_id}/select",
                        json={"selected": not off})
    console.print(f"submission {item['id']}: {'selected' if item['selected'] else 'not selected'}")


@teams_app.command("create")
def teams_create(slug: str, name: str, url: UrlOption = DEFAULT_URL,
                 token: TokenOption = None) -> None:
    """Create a team in a challenge."""
    with client(url, token) as api:
        team = api.post(f"/api/v1/challenges/{slug}/teams", json={"name": name})
    console.print(f"Team {team['name']} created in {slug}.")


@teams_app.command("invite")
def teams_invite(slug: str, username: str, url: UrlOption = DEFAULT_URL,
                 token: TokenOption = None) -> None:
    """Invite a member to your team."""
    with client(url, token) as api:
        invite = api.post(f"/api/v1/challenges/{slug}/team/invites", json={"username": username})
    console.print(f"Invited {username} to {invite['team']} (invitation {invite['id']}).")


@teams_app.command("invites")
def teams_invites(url: UrlOption = DEFAULT_URL, token: TokenOption = None,
                  as_json: JsonOption = False) -> None:
    """Your pending invitations."""
    with client(url, token) as api:
        items = api.get("/api/v1/invites")
    if as_json:
        print_json(items)
        return
    table = Table("id", "challenge", "team", "from")
    for i in items:
        table.add_row(str(i["id"]), i["challenge"], i["team"], i["invited_by"])
    console.print(table)


@teams_app.command("accept")
def teams_accept(invite_id: int, decline: Annotated[bool, typer.Option("--decline")] = False,
                 url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Accept (or decline) an invitation."""
    with client(url, token) as api:
        team = api.post(f"/api/v1/invites/{invite_id}", json={"accept": not decline})
    console.print("Declined." if decline else f"You are in team {team['name']}.")


@teams_app.command("leave")
def teams_leave(slug: str, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Leave your team in a challenge (only before it has submissions)."""
    with client(url, token) as api:
        api.request("DELETE", f"/api/v1/challenges/{slug}/team")
    console.print(f"You left your team in {slug}.")


def register(app: typer.Typer) -> None:
    app.add_typer(challenges_app, name="challenges")
    app.command()(submit)
    app.command()(submissions)
    app.command()(leaderboard)
    app.command()(select)
    app.add_typer(teams_app, name="teams")
