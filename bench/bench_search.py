"""Catalog search with 10,000 datasets: p50/p95/max per query kind and overall, on SQLite
and (when it answers) PostgreSQL. Goal: p95 <= 30 ms.

The catalog is generated deterministically (Korean and English titles as Korean portals
write them, descriptions, tags, column names, 40 organizations, licences, tiers, formats;
10% of datasets unpublished), bulk-inserted with Core statements, then indexed through
``search_index.reindex_datasets``: the same path the services' flush hook takes.

Each query runs ``search_datasets`` in a read session, as the API does; "page" adds the
API's page of 20 summaries (``schemas.dataset_page``). The first query after indexing
loads the in-memory snapshot; that load is timed apart ("snapshot load").

    .venv/bin/python bench/bench_search.py [--datasets 10000] [--runs 400] [--no-postgres]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, insert, select, text

from aihub import migrate
from aihub.accounts import services as accounts
from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import OrgRole
from aihub.datasets.models import Dataset, DatasetFile, DatasetTag, DatasetVersion
from aihub.datasets.schemas import dataset_page
from aihub.datasets.search import Filter, SearchQuery, search_datasets
from aihub.datasets.search_index import reindex_datasets
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.settings import Settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REGIONS = [("대전광역시", "Daejeon"), ("대전", "Daejeon"), ("광주광역시", "Gwangju"),
           ("광주", "Gwangju"), ("세종특별자치시", "Sejong"), ("유성구", "Yuseong-gu"),
           ("서구", "Seo-gu"), ("동구", "Dong-gu"), ("중구", "Jung-gu"),
           ("대덕구", "Daedeok-gu"), ("광산구", "Gwangsan-gu"), ("부산광역시", "Busan")]
TOPICS = [
    ("교통량", "traffic volume"), ("교통속도", "traffic speed"), ("미세먼지", "fine dust"),
    ("초미세먼지", "ultrafine dust"), ("대기질", "air quality"), ("전력사용량", "power usage"),
    ("가구", "household"), ("버스정류장", "bus stop"), ("버스노선", "bus route"),
    ("승하차", "boarding"), ("도로", "road"), ("센서", "sensor"), ("기상관측", "weather"),
    ("강수량", "rainfall"), ("기온", "temperature"), ("습도", "humidity"),
    ("공공자전거", "public bicycle"), ("대여", "rental"), ("주차장", "parking lot"),
    ("의료기관", "medical institution"), ("병원", "hospital"), ("약국", "pharmacy"),
    ("인구이동", "population movement"), ("상권", "commercial district"),
    ("카드매출", "card sales"), ("하천수위", "river level"), ("홍수", "flood"),
    ("지하철", "subway"), ("혼잡도", "congestion"), ("택시", "taxi"), ("소음", "noise"),
    ("쓰레기", "waste"), ("에너지", "energy"), ("태양광", "solar"), ("발전량", "generation"),
    ("상수도", "waterworks"), ("학교", "school"), ("어린이집", "daycare"),
    ("도서관", "library"), ("관광지", "tourist site"), ("축제", "festival"),
    ("음식점", "restaurant"), ("화재", "fire"), ("범죄", "crime"),
    ("가로등", "street light"), ("신호등", "traffic light"), ("교차로", "intersection"),
    ("교통사고", "traffic accident"), ("전기차", "electric vehicle"),
    ("충전소", "charging station"), ("아파트", "apartment"), ("실거래가", "transaction price"),
    ("일자리", "jobs"), ("특허", "patent"), ("농산물", "agricultural products"),
    ("노인", "elderly"), ("복지", "welfare"), ("공원", "park"), ("드론", "drone"),
    ("영상", "video"), ("음성", "speech"), ("말뭉치", "corpus"), ("의료영상", "medical imaging"),
]
SUFFIXES = [("현황", "status"), ("정보", "information"), ("데이터", "data"),
            ("통계", "statistics"), ("목록", "list"), ("이력", "history"), ("예측", "forecast")]
COLUMNS = ["station_id", "측정소명", "측정일시", "pm10", "pm25", "o3", "no2", "speed_kmh",
           "link_id", "도로명", "lat", "lon", "위도", "경도", "정류장ID", "승차인원", "하차인원",
           "일자", "시간대", "usage_kwh", "가구ID", "temperature", "humidity", "rainfall_mm",
           "주소", "기관명", "개설일", "병상수", "매출액", "업종", "행정동", "세대수", "인구수",
           "수위_cm", "label", "image_path", "transcript", "bbox", "category", "품목", "거래일"]
LICENCES = ["KOGL-1", "KOGL-1", "KOGL-1", "KOGL-2", "KOGL-3", "KOGL-4", "CC-BY-4.0", "CC0-1.0"]
MEDIA = ["text/csv", "text/csv", "text/csv", "application/vnd.apache.parquet",
         "application/json", "application/jsonl", "application/zip", "image/png"]
ORGANIZATIONS = 40


def generate(n: int, rng: random.Random) -> dict[str, Any]:
    """Dataset ``n``: texts, tags, columns, organization, licence, tier, formats."""
    region = rng.choice(REGIONS)
    topics = rng.sample(TOPICS, rng.choice([1, 2, 2, 3]))
    suffix = rng.choice(SUFFIXES)
    joined = rng.random() < 0.5
    title_ko = f"{region[0]} {('' if joined else ' ').join(t[0] for t in topics)} {suffix[0]}"
    if rng.random() < 0.3:
        title_ko = title_ko.replace(" ", "_" if rng.random() < 0.5 else "")
    year, more = rng.randint(2015, 2023), rng.sample(TOPICS, 2)
    return {
        "slug": f"ds-{n:05d}", "title_ko": title_ko,
        "title_en": f"{' '.join(t[1] for t in topics).capitalize()} {suffix[1]}, {region[1]}",
        "description_ko": (f"{region[0]}에서 수집한 {topics[0][0]} {suffix[0]} 데이터입니다. "
                           f"{year}년부터 {rng.choice(['시간', '일', '월', '5분'])} 단위로 측정한 "
                           f"값을 제공합니다. {more[0][0]}와 {more[1][0]} 분석에 활용합니다."),
        "description_en": (f"{topics[0][1].capitalize()} {suffix[1]} collected in "
                           f"{region[1]} since {year}, for {more[0][1]} analysis."),
        "tags": sorted({t[0] for t in topics} | {rng.choice(topics)[1]}),
        "columns": rng.sample(COLUMNS, rng.randint(5, 14)),
        "organization": n % ORGANIZATIONS, "licence": rng.choice(LICENCES),
        "tier": rng.choices(["open", "registered", "approval"], [7, 2, 1])[0],
        "media": sorted({rng.choice(MEDIA) for _ in range(rng.choice([1, 1, 2, 3]))}),
        "published": rng.random() < 0.9,
    }


def seed(hub: Hub, count: int) -> tuple[Actor, float]:
    """Bulk-insert ``count`` datasets and index them; the indexing's seconds."""
    with hub.db.transaction() as session:
        user = accounts.create_user(session, username="host", email="h@example.org",
                                    password="benchmark-pass")
        orgs = [accounts.create_organization(session, slug=f"org-{i}",
                                             name_ko=f"{REGIONS[i % 12][0]} 기관 {i}",
                                             name_en=f"Agency {i}", can_host=True)
                for i in range(ORGANIZATIONS)]
        accounts.add_member(session, orgs[3], user, role=OrgRole.OWNER)
        org_ids, user_id = [org.id for org in orgs], user.id
    rng, now = random.Random(5), utcnow()
    items = [generate(n, rng) for n in range(count)]
    with hub.db.transaction() as session:
        conn = session.connection()
        conn.execute(insert(Dataset), [{
            "slug": d["slug"], "organization_id": org_ids[d["organization"]],
            "created_by_id": user_id, "title_ko": d["title_ko"], "title_en": d["title_en"],
            "description_ko": d["description_ko"], "description_en": d["description_en"],
            "licence_id": d["licence"], "licence_text": "", "access_tier": d["tier"],
            "source": "", "published_at": now if d["published"] else None,
            "created_at": now - timedelta(minutes=n), "updated_at": now - timedelta(minutes=n),
        } for n, d in enumerate(items)])
        ids = dict(conn.execute(select(Dataset.slug, Dataset.id)).all())
        conn.execute(insert(DatasetTag), [{"dataset_id": ids[d["slug"]], "name": tag}
                                          for d in items for tag in d["tags"]])
        conn.execute(insert(DatasetVersion), [{
            "dataset_id": ids[d["slug"]], "label": "1.0.0", "message": "first",
            "status": "published", "file_count": len(d["media"]), "total_bytes": 1,
            "created_by_id": user_id, "created_at": now, "published_at": now, "reason": "",
        } for d in items if d["published"]])
        versions = dict(conn.execute(select(DatasetVersion.dataset_id, DatasetVersion.id)).all())
        conn.execute(insert(DatasetFile), [{
            "version_id": versions[ids[d["slug"]]], "path": f"data-{i}", "sha256": "0" * 64,
            "size": 1, "media_type": media, "created_at": now, "intake_error": "",
            "profile": {"columns": [{"name": c} for c in d["columns"]]}, "pii_report": None,
        } for d in items if d["published"] for i, media in enumerate(d["media"])])
        began = time.perf_counter()
        reindex_datasets(session, list(ids.values()))
        seconds = time.perf_counter() - began
    with hub.db.reading() as session:
        actor = accounts.actor_for(session, accounts.get_user(session, "host"))
    return actor, seconds


def query_mix(host: Actor) -> list[tuple[str, SearchQuery, Actor]]:
    """Kinds of queries people send, each with several texts; a host now and then."""
    texts = {
        "ko 1 syllable": ["교", "도", "버", "수", "전", "광"],
        "ko 2 syllables": ["교통", "대전", "먼지", "버스", "주차", "기온", "병원", "광주"],
        "ko 3+ syllables": ["교통량", "미세먼지", "버스정류장", "공공자전거", "실거래가",
                            "측정일시", "유성구 교통", "하천수위 현황"],
        "english": ["traffic", "bus stop", "air quality", "solar", "pm10", "hosp",
                    "Traffic Speed Daejeon", "rainfall"],
        "mixed": ["대전 traffic", "광주 bus", "미세먼지 pm10", "solar 발전량"],
    }
    mix = [(kind, SearchQuery(text=t), VISITOR) for kind, ts in texts.items() for t in ts]
    mix += [
        ("facet-filtered", SearchQuery(text="교통", filters=(
            Filter("tier", ("open",)), Filter("format", ("csv",)))), VISITOR),
        ("facet-filtered", SearchQuery(filters=(Filter("organization", ("org-7",)),)), VISITOR),
        ("facet-filtered", SearchQuery(text="먼지", filters=(
            Filter("licence", ("KOGL-1", "CC-BY-4.0")), Filter("tag", ("대기질",)))), VISITOR),
        ("facet-filtered", SearchQuery(text="data", filters=(
            Filter("tier", ("approval",), negate=True),)), host),
        ("empty + facets", SearchQuery(), VISITOR),
        ("empty + facets", SearchQuery(sort="title"), VISITOR),
        ("empty + facets", SearchQuery(), host),
    ]
    return mix


def timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def run(hub: Hub, label: str, count: int, runs: int) -> list[float]:
    host, indexing = seed(hub, count)
    print(f"\n{label}: {count} datasets indexed in {indexing:.1f} s "
          f"({count / indexing:.0f} datasets/s, reindex_datasets)")

    def search(query: SearchQuery, actor: Actor) -> None:
        with hub.db.reading() as session:
            search_datasets(session, actor, query)

    print(f"  snapshot load (first query after a change): "
          f"{timed(lambda: search(SearchQuery(), VISITOR)):.1f} ms")
    mix = query_mix(host)
    rng = random.Random(11)
    for _kind, query, actor in mix:  # warm-up: code paths and the database's caches
        search(query, actor)
    per_kind: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        kind, query, actor = rng.choice(mix)
        per_kind[kind].append(timed(lambda q=query, a=actor: search(q, a)))  # type: ignore[misc]
    pages = []
    for _ in range(max(runs // 4, 20)):
        kind, query, actor = rng.choice(mix)

        def page(q: SearchQuery = query, a: Actor = actor) -> None:
            with hub.db.reading() as session:
                dataset_page(session, a, q, page=1, per_page=20)
        pages.append(timed(page))
    everything = [t for values in per_kind.values() for t in values]
    print(f"  {'kind':<18}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}   ms")
    for kind in sorted(per_kind):
        report(kind, per_kind[kind])
    report("overall", everything)
    report("page (API's 20)", pages)
    return everything


def report(kind: str, values: list[float]) -> None:
    array = np.asarray(values)
    print(f"  {kind:<18}{len(values):>5}{np.percentile(array, 50):>9.1f}"
          f"{np.percentile(array, 95):>9.1f}{array.max():>9.1f}")


def on_sqlite(count: int, runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="aihub-bench-search-"))
    try:
        hub = Hub(Settings(data_dir=folder, workers_in_process=0), start_workers=False)
        migrate.upgrade(hub.db.engine)
        run(hub, "SQLite (FTS5 trigram)", count, runs)
        hub.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def on_postgres(count: int, runs: int) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"aihub_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure means: no PostgreSQL to measure here
        print(f"\nPostgreSQL: not measured ({type(exc).__name__}: {exc})")
        return
    folder = Path(tempfile.mkdtemp(prefix="aihub-bench-search-"))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        hub = Hub(Settings(data_dir=folder, database_url=url, workers_in_process=0),
                  start_workers=False)
        migrate.upgrade(hub.db.engine)
        run(hub, "PostgreSQL (pg_trgm + grams GIN)", count, runs)
        hub.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"catalog search, {args.datasets} datasets, {args.runs} queries per database; "
          "goal p95 <= 30 ms")
    on_sqlite(args.datasets, args.runs)
    if not args.no_postgres:
        on_postgres(args.datasets, args.runs)


if __name__ == "__main__":
    main()
