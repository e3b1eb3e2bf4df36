"""Code challenges end to end: a zip is checked at upload, runs in the sandbox with only
the data meant for it, and its predictions are scored; failures say why."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from aihub.hub import Hub
from factories import Factories, Person
from sandboxed import code_extra, run_queued, zipped

API = "/api/v1"
MODEL = '''
import numpy as np

class Model:
    def fit(self, X, y):
        print("training on", len(X), "rows")
        self.mean = float(X["x"].mean())

    def predict(self, X):
        return 1 / (1 + np.exp(-(X["x"].to_numpy() - self.mean)))
'''


def _setup(factories: Factories, **extra: Any) -> tuple[str, Person]:
    host = factories.host()
    challenge = factories.challenge(host, extra=code_extra(**extra))
    member = factories.person()
    factories.join(challenge, member)
    return challenge.slug, member


def _submit(api: TestClient, person: Person, slug: str, data: bytes) -> Any:
    return api.post(f"{API}/challenges/{slug}/submissions", headers=person.headers,
                    files={"file": ("code.zip", data)})


def _result(api: TestClient, person: Person, submission_id: int) -> dict[str, Any]:
    response = api.get(f"{API}/submissions/{submission_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_model_trains_predicts_and_is_scored(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    slug, member = _setup(code_factories)
    response = _submit(code_api, member, slug, zipped({"model.py": MODEL}))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    assert run_queued(code_hub) == 1
    result = _result(code_api, member, response.json()["id"])
    assert result["status"] == "finished", result
    assert result["public_score"] > 0.6
    assert "training on 200 rows" in result["log"]


def test_main_py_reads_data_and_writes_predictions(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    slug, member = _setup(code_factories, fmt="main")
    main = (
        "import csv\n"
        "rows = list(csv.DictReader(open('/data/test.csv')))\n"
        "with open('/predictions/predictions.csv', 'w') as out:\n"
        "    out.write('id,target\\n')\n"
        "    for row in rows:\n"
        "        out.write(f\"{row['id']},{float(row['x'])}\\n\")\n"
    )
    # One top folder around the files is fine: people zip the folder itself.
    response = _submit(code_api, member, slug, zipped({"mine/main.py": main}))
    assert response.status_code == 201, response.text
    run_queued(code_hub)
    result = _result(code_api, member, response.json()["id"])
    assert result["status"] == "finished", result
    assert result["public_score"] > 0.6


def test_the_upload_is_checked_at_once(code_api: TestClient, code_factories: Factories) -> None:
    slug, member = _setup(code_factories)
    response = _submit(code_api, member, slug, zipped({"main.py": "print(1)"}))
    assert response.status_code == 422
    assert "no model.py at its top" in response.json()["detail"]
    response = _submit(code_api, member, slug, b"id,target\n1,0\n")
    assert response.status_code == 422
    assert "not a valid zip file" in response.json()["detail"]
    assert "does not count against your limits" in response.json()["detail"]


def test_a_crash_shows_the_end_of_the_traceback(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    slug, member = _setup(code_factories)
    broken = "class Model:\n    def fit(self, X, y):\n        raise ValueError('bad column z')\n"
    response = _submit(code_api, member, slug, zipped({"model.py": broken}))
    run_queued(code_hub)
    result = _result(code_api, member, response.json()["id"])
    assert result["status"] == "failed"
    assert "exited with status" in result["error"]
    assert "ValueError: bad column z" in result["error"]
    usage = code_api.get(f"{API}/challenges/{slug}/limits", headers=member.headers).json()
    assert usage["today"] == 0, usage


def test_time_and_memory_limits_give_plain_reasons(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    slug, member = _setup(code_factories, limits={"time_seconds": 2, "memory_mb": 128})
    sleeper = "import time\nclass Model:\n    def fit(self, X, y):\n        time.sleep(600)\n"
    hog = ("class Model:\n    def fit(self, X, y):\n        keep = []\n"
           "        while True:\n            keep.append(bytearray(16 * 1024 * 1024))\n")
    first = _submit(code_api, member, slug, zipped({"model.py": sleeper})).json()["id"]
    second = _submit(code_api, member, slug, zipped({"model.py": hog})).json()["id"]
    run_queued(code_hub)
    assert "time limit of 2 s" in _result(code_api, member, first)["error"]
    assert "ran out of memory" in _result(code_api, member, second)["error"]


def test_sandbox_only_files_are_never_served(
    code_api: TestClient, code_factories: Factories
) -> None:
    slug, member = _setup(code_factories)
    names = [f["name"] for f in
             code_api.get(f"{API}/challenges/{slug}/files", headers=member.headers).json()]
    assert names == ["train.csv", "sample_submission.csv"]
    response = code_api.get(f"{API}/challenges/{slug}/files/test.csv", headers=member.headers)
    assert response.status_code == 404


def test_hidden_files_hide_the_output_unless_the_host_shows_it(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    slug, member = _setup(code_factories, show_log=None)
    leak = ("import sys\nclass Model:\n    def fit(self, X, y):\n        pass\n"
            "    def predict(self, X):\n"
            "        sys.stderr.write(open('/data/test.csv').read())\n"
            "        raise SystemExit(1)\n")
    response = _submit(code_api, member, slug, zipped({"model.py": leak}))
    run_queued(code_hub)
    result = _result(code_api, member, response.json()["id"])
    assert result["status"] == "failed"
    assert result["log"] == ""
    assert result["error"] == ("The program exited with status 1. This challenge does not "
                               "show programs' output.")
    host = code_api.get(f"{API}/submissions/{result['id']}",
                        headers=code_factories.curator().headers).json()
    assert "id,x" in host["host_log"]  # hosts read everything


# The program copies a row of the code-only test.csv into what the scorer quotes: an id,
# a value, the header, an output file's name. Each would reach the participant through
# the reason the scorer gives, were it not withheld.
SMUGGLERS = {
    "an id": "out.write('id,target\\n' + secret.replace(',', '_') + ',0.5\\n')",
    "a value": "out.write('id,target\\n' + first + ',' + secret.replace(',', '_') + '\\n')",
    "the header": "out.write('id,' + secret.replace(',', '_') + '\\n1,0.5\\n')",
    "a file name": "os.symlink('/data/test.csv', '/predictions/' + secret.replace(',', '_'))",
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about messages, not storage
@pytest.mark.parametrize("channel", SMUGGLERS)
def test_hidden_files_do_not_leak_through_the_scorers_reasons(
    code_api: TestClient, code_factories: Factories, code_hub: Hub, channel: str
) -> None:
    slug, member = _setup(code_factories, fmt="main", show_log=None)
    main = (
        "import os\n"
        "lines = open('/data/test.csv').read().splitlines()\n"
        "secret, first = 'LEAK' + lines[1], lines[1].split(',')[0]\n"
        "out = open('/predictions/predictions.csv', 'w')\n"
        f"{SMUGGLERS[channel]}\n"
        "out.close()\n"
    )
    response = _submit(code_api, member, slug, zipped({"main.py": main}))
    assert response.status_code == 201, response.text
    run_queued(code_hub)
    result = _result(code_api, member, response.json()["id"])
    assert result["status"] == "failed"
    assert "LEAK" not in result["error"] and "LEAK" not in (result["log"] or "")
    assert "does not show programs' output" in result["error"]
    host = code_api.get(f"{API}/submissions/{result['id']}",
                        headers=code_factories.curator().headers).json()
    assert "LEAK" in host["host_error"]  # the channel was real: hosts read the reason
