"""What participants read about ``elderly-care-power``, in Korean and English."""

from __future__ import annotations

from aihub.demo._bundle import Bilingual, ChallengeSpec, ChallengeText
from aihub.demo.content import demo_rules

DESCRIPTION_KO = """\
# 전력 사용량으로 홀몸 어르신 이상 징후 찾기

> 이 대회는 aihub 데모용 **합성 데이터**로 만들었습니다. 실제 가구의 기록이 아닙니다.

## 배경

대전광역시는 '인공지능과 함께 품격 있는 대전' 전략의 하나로 **전력 데이터 기반 홀몸 어르신
돌봄 서비스**를 준비하고 있습니다. 스마트 전력량계(AMI)가 한 시간마다 보내는 사용량만으로
"오늘은 평소와 다른" 가구를 찾아, 생활지원사가 먼저 안부 전화를 하거나 방문하도록 돕는 것이
목표입니다. 아침에 밥솥과 TV가 켜지지 않은 날, 밤새 불이 켜진 날, 평소 없던 큰 사용량이 몇
시간 이어진 날이 그런 신호입니다.

## 데이터

대전 5개 자치구에 사는 홀몸 어르신 300가구의 120일(2023-10-16 ~ 2024-02-12) 시간별 전력
사용량입니다. 한 행은 한 가구의 하루입니다.

- `train.csv`: 앞 90일(2023-10-16 ~ 2024-01-13), 27,000행, 정답 `anomaly` 포함
- `test.csv`: 같은 가구의 뒤 30일(2024-01-14 ~ 2024-02-12), 9,000행, 정답 없음

**날짜로 나눈 이유.** 실제 서비스는 이미 등록된 가구의 지난 기록으로 배우고 오늘을
판단합니다. 가구마다 기상 시간, 식사 시간, 난방 습관이 달라 "그 가구의 평소"와 비교하는 것이
핵심이므로, 가구가 아닌 날짜로 나눴습니다. 평가 기간은 더 춥고 설 연휴(2월 9~12일)가 들어
있어, 계절과 명절의 변화에도 견디는 모델이 유리합니다.

| 열 | 설명 |
|---|---|
| `id` | 행 번호(정수). 제출 파일의 키 |
| `household_id` | 가구 가명 ID (`H0001` ~ `H0300`) |
| `date`, `dow` | 날짜, 요일 (0 = 월요일 … 6 = 일요일) |
| `is_holiday` | 공휴일이면 1 (성탄절, 신정, 설 연휴) |
| `district` | 자치구: 동구, 중구, 서구, 유성구, 대덕구 |
| `dwelling` | 주거 형태: 아파트, 다세대, 단독주택 |
| `floor_area_m2` | 전용면적 (m²) |
| `age_band` | 연령대: `65-74`, `75-84`, `85+` |
| `electric_heating` | 전기 난방(전기장판·전기히터)을 주로 쓰면 1 |
| `temp_c` | 그날 대전의 일평균 기온 (°C) |
| `h00` … `h23` | 시간대별 사용량 (kWh). `h07`은 07:00~08:00 |
| `anomaly` | 생활지원사가 확인한 이상 징후면 1, 아니면 0 (train에만 있음) |

**이상 징후(1)** 는 방문이나 전화로 확인된 날입니다: 어느 시각부터 움직임이 없는 날(낙상,
급성 질환), 밤을 새운 날(불면, 배회), 전열기구를 켜 둔 채 방치한 날. 자녀 집 방문이나 입원으로
**집을 비운 날은 0**입니다. 사용량이 적다고 모두 이상은 아닙니다. 전체의 약 4~5%가 1입니다.

## 평가

`roc_auc`: 각 행이 이상 징후일 확률(또는 점수가 클수록 이상)을 내면 됩니다. 평가 데이터의
약 30%로 공개 리더보드를, 나머지 70%로 최종 순위를 정합니다.

```csv
id,anomaly
27001,0.03
27002,0.81
```

## 왜 중요한가

생활지원사 한 명이 많은 가구를 맡기 때문에, 매일 아침 위험한 순서대로 확인하면 같은
인력으로 더 빨리 도움이 닿습니다. 카메라나 웨어러블 기기 없이 이미 설치된 전력량계만
쓰므로 어르신의 사생활 부담도 적습니다. 좋은 모델은 대전시 '대덕 AI& 솔루션'을 통해 돌봄
현장 실증으로 이어질 수 있습니다.
"""

DESCRIPTION_EN = """\
# Spotting trouble from elderly households' power use

> This challenge is built on **synthetic data** for the aihub demo. It is not real households'
> records.

## Background

As part of its strategy for a city that lives well with AI, Daejeon Metropolitan City is
preparing an **elder-care service built on electricity data**. From the hourly readings that
smart meters (AMI) already send, find the homes where today is unlike the usual day, so that a
care worker calls or visits first. A morning without the rice cooker and TV, a night with the
lights on throughout, or hours of unusually heavy use are such signals.

## Data

Hourly electricity use of 300 people aged 65 and over living alone in Daejeon's five districts,
over 120 days (2023-10-16 to 2024-02-12). One row is one household-day.

- `train.csv`: the first 90 days (2023-10-16 to 2024-01-13), 27,000 rows, with `anomaly`
- `test.csv`: the same households' last 30 days (2024-01-14 to 2024-02-12), 9,000 rows

**Why split by date.** The real service learns from the past days of households it already
serves and judges today. Wake-up times, meals and heating habits differ from home to home, so
the key is comparing a day with *that household's* usual day; the split is therefore by date,
not by household. The test period is colder and holds the Seollal holidays (9–12 February), so
models that cope with the season and the holidays do better.

| column | meaning |
|---|---|
| `id` | row number (integer), the key of your submission |
| `household_id` | pseudonymous household (`H0001` to `H0300`) |
| `date`, `dow` | date and day of week (0 = Monday … 6 = Sunday) |
| `is_holiday` | 1 on public holidays (Christmas, New Year's Day, Seollal) |
| `district` | district: 동구 (Dong), 중구 (Jung), 서구 (Seo), 유성구 (Yuseong), 대덕구 (Daedeok) |
| `dwelling` | home: 아파트 (apartment), 다세대 (low-rise multi-family), 단독주택 (house) |
| `floor_area_m2` | floor area (m²) |
| `age_band` | `65-74`, `75-84` or `85+` |
| `electric_heating` | 1 if heated mainly by electric mats or heaters |
| `temp_c` | Daejeon's daily mean temperature (°C) |
| `h00` … `h23` | electricity used in each hour (kWh); `h07` is 07:00–08:00 |
| `anomaly` | 1 if a care worker confirmed trouble that day, else 0 (train only) |

**Trouble (1)** means a day confirmed by a visit or a call: no activity from some hour on (a
fall, an acute illness), a night spent awake (insomnia, wandering), or a heating appliance left
running. **Days away from home** (staying with children, in hospital) **are 0**: low use alone
is not trouble. About 4–5% of the rows are 1.

## Evaluation

`roc_auc`: submit, for every row, the probability of trouble (or any score that is larger for
more likely trouble). About 30% of the test rows make the public leaderboard; the other 70%
decide the final ranking.

```csv
id,anomaly
27001,0.03
27002,0.81
```

## Why this matters to the city

A care worker looks after many homes; checking them each morning in order of risk gets help to
people sooner with the same staff. It needs no cameras or wearables, only the meters already
installed, which spares older residents' privacy. Strong models can go on to a field trial
through the city's Daedeok AI& Solution programme.
"""


def challenge_text(spec: ChallengeSpec) -> ChallengeText:
    """The texts of the bundle; the rules quote the spec's limits."""
    return ChallengeText(
        title=Bilingual(
            ko="전력 사용량으로 홀몸 어르신 이상 징후 찾기",
            en="Spotting trouble from elderly households' power use",
        ),
        summary=Bilingual(
            ko="스마트 전력량계의 시간별 사용량으로 돌봄이 필요한 날을 찾아냅니다.",
            en="Find the days an older person living alone needs a call, from hourly meter data.",
        ),
        description=Bilingual(ko=DESCRIPTION_KO, en=DESCRIPTION_EN),
        rules=demo_rules(
            spec,
            extra_ko=(
                "가구를 다시 식별하려는 시도(외부 자료와 맞춰 보기 등)는 금지합니다. 공개된 기상"
                " 자료는 쓸 수 있습니다."
            ),
            extra_en=(
                "Do not try to re-identify households (for example by matching outside data)."
                " Public weather data may be used."
            ),
        ),
        train_file=Bilingual(
            ko="학습 데이터: 가구-일 27,000행, 정답 anomaly 포함",
            en="Training data: 27,000 household-days with the anomaly label",
        ),
        test_file=Bilingual(
            ko="평가 데이터: 가구-일 9,000행 (정답 없음)",
            en="Test data: 9,000 household-days without labels",
        ),
        baseline_name=Bilingual(
            ko="가구별 평소 대비 로지스틱 회귀", en="Logistic regression on household norms"
        ),
    )
