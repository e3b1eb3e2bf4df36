"""What participants read about ``daejeon-traffic-speed``, in Korean and English."""

from __future__ import annotations

from aihub.demo._bundle import Bilingual, ChallengeSpec, ChallengeText
from aihub.demo.content import demo_rules

DESCRIPTION_KO = """\
# 대전 도로 구간별 다음 1시간 평균 속도 예측

> 이 대회는 aihub 데모용 **합성 데이터**로 만들었습니다. 실제 교통 기록이 아닙니다.

## 배경

대전광역시 교통정보센터는 시내 주요 도로의 구간 속도를 모아 도로 전광판(VMS) 안내, 신호
운영, 교통 방송에 씁니다. 지금 막힌 곳을 알려 주는 것만으로는 늦습니다. **한 시간 뒤의
속도**를 미리 알면 출퇴근길 우회 안내와 신호 주기 조정을 먼저 할 수 있습니다. 대전시 AI
전략의 '교통 혼잡 해소' 과제를 경진대회로 풀어 보는 문제입니다.

## 데이터

계룡로, 대덕대로, 한밭대로, 유성대로, 둔산대로, 갑천도시고속화도로 등 16개 도로의 100개
링크를 방향별로 나눈 **200개 구간**입니다. 한 행은 "어느 구간에서, 어느 정각에 내는 예측"
하나이며, 그 시각부터 한 시간 동안의 평균 속도 `speed_kmh`를 맞히는 것이 목표입니다. 전체
구간-시간 중 약 6분의 1을 무작위로 뽑았습니다.

- `train.csv`: 2024-09-02 ~ 2024-10-13 (6주), 32,000행, 정답 포함. 추석 연휴(9월 16~18일),
  임시공휴일(10월 1일), 개천절, 한글날이 들어 있습니다.
- `test.csv`: 2024-10-14 ~ 2024-10-27 (2주), 10,000행, 정답 없음. 학습 기간 **이후**의
  기간이므로 실제 운영처럼 과거로 미래를 예측해야 합니다.

| 열 | 설명 |
|---|---|
| `id` | 행 번호(정수). 제출 파일의 키 |
| `base_time` | 예측 시각(정각, 한국 시간). 목표는 이 시각부터 1시간 평균 속도 |
| `segment_id` | 구간 ID (`S001` ~ `S200`) |
| `road_name`, `link_no` | 도로 이름과 도로 안의 링크 번호 |
| `direction` | `상행`(도심 방향) 또는 `하행` |
| `road_type` | `arterial`(간선도로), `expressway`(도시고속화도로), `collector`(보조간선) |
| `lanes`, `speed_limit_kmh`, `length_m` | 방향별 차로 수, 제한 속도, 구간 길이 |
| `hour`, `dow`, `is_holiday` | 시(0~23), 요일(0 = 월요일), 공휴일 여부 |
| `rain_mm` | 직전 1시간 강수량 (mm) |
| `rain_forecast_mm` | 다음 1시간 초단기 예보 강수량 (mm, 예보라서 틀릴 수 있음) |
| `incident_active` | 예측 시각에 이 구간에 접수된 돌발 상황(사고, 공사)이 있으면 1 |
| `speed_lag1` ~ `speed_lag3` | 1~3시간 전 한 시간 평균 속도 (km/h) |
| `speed_last_week` | 일주일 전 같은 시간의 평균 속도 (km/h) |
| `speed_kmh` | 목표: 다음 1시간 평균 속도 (km/h, train에만 있음) |

평일 아침에는 도심으로 들어가는 상행이, 저녁에는 하행이 더 막힙니다. 비가 오면 느려지고,
예측 시각 이후에 새로 생긴 사고는 데이터에 나타나지 않습니다.

## 평가

`rmse` (km/h, 작을수록 좋음). 평가 데이터의 약 30%로 공개 리더보드를, 나머지 70%로 최종
순위를 정합니다.

```csv
id,speed_kmh
32001,38.5
32002,41.0
```

## 왜 중요한가

출퇴근 시간 몇 분의 지연은 시민 수십만 명의 시간입니다. 정확한 1시간 예측이 있으면 막히기
전에 전광판과 내비게이션으로 우회를 안내하고, 교차로 신호를 미리 조정할 수 있습니다. 좋은
모델은 교통정보센터의 안내 시스템에 실증으로 연결될 수 있습니다.
"""

DESCRIPTION_EN = """\
# Next-hour average speed on Daejeon's road segments

> This challenge is built on **synthetic data** for the aihub demo. It is not real traffic
> records.

## Background

Daejeon's Traffic Information Center collects segment speeds on the city's main roads for its
variable message signs (VMS), signal control and traffic radio. Showing where traffic is slow
now is too late: knowing **the speed an hour ahead** lets the centre suggest detours and
adjust signal timing before the rush builds. This is the "easing congestion" task of the city's
AI strategy, put as a challenge.

## Data

**200 segments**: the 100 links of 16 roads (계룡로 Gyeryong-ro, 대덕대로 Daedeok-daero,
한밭대로 Hanbat-daero, 유성대로 Yuseong-daero, 둔산대로 Dunsan-daero, the Gapcheon urban
expressway and more), each in both directions. A row is one forecast, made on the hour for one
segment; the goal is `speed_kmh`, the average speed over the following hour. About one in six
segment-hours was sampled at random.

- `train.csv`: 2024-09-02 to 2024-10-13 (6 weeks), 32,000 rows with the target. It includes
  the Chuseok holidays (16–18 September), the one-off holiday of 1 October, National
  Foundation Day and Hangul Day.
- `test.csv`: 2024-10-14 to 2024-10-27 (2 weeks), 10,000 rows without the target. It comes
  **after** the training period: as in operation, you forecast the future from the past.

| column | meaning |
|---|---|
| `id` | row number (integer), the key of your submission |
| `base_time` | when the forecast is made (on the hour, Korean time); the target is the next hour |
| `segment_id` | segment (`S001` to `S200`) |
| `road_name`, `link_no` | road name and the link's number along the road |
| `direction` | `상행` (towards the city centre) or `하행` (away from it) |
| `road_type` | `arterial`, `expressway` (urban expressway) or `collector` |
| `lanes`, `speed_limit_kmh`, `length_m` | lanes in this direction, speed limit, length |
| `hour`, `dow`, `is_holiday` | hour (0–23), day of week (0 = Monday), public holiday |
| `rain_mm` | rain in the hour before `base_time` (mm) |
| `rain_forecast_mm` | the weather service's forecast for the next hour (mm; can be wrong) |
| `incident_active` | 1 if an incident (crash, roadworks) on the segment is known at `base_time` |
| `speed_lag1` … `speed_lag3` | average speed 1, 2 and 3 hours before (km/h) |
| `speed_last_week` | average speed in the same hour a week earlier (km/h) |
| `speed_kmh` | target: average speed over the next hour (km/h; train only) |

On weekday mornings the inbound side (상행) is slower, in the evening the outbound side. Rain
slows traffic, and incidents that begin after `base_time` are not in the features.

## Evaluation

`rmse` in km/h (lower is better). About 30% of the test rows make the public leaderboard; the
other 70% decide the final ranking.

```csv
id,speed_kmh
32001,38.5
32002,41.0
```

## Why this matters to the city

A few minutes' delay at rush hour, times hundreds of thousands of commuters, is a great deal
of time. With a reliable one-hour forecast the city can suggest detours on signs and in
navigation apps, and retime signals, before the jam forms. Strong models can go on to a trial
in the centre's traveller-information system.
"""


def challenge_text(spec: ChallengeSpec) -> ChallengeText:
    """The texts of the bundle; the rules quote the spec's limits."""
    return ChallengeText(
        title=Bilingual(
            ko="대전 도로 구간별 다음 1시간 평균 속도 예측",
            en="Next-hour average speed on Daejeon's road segments",
        ),
        summary=Bilingual(
            ko="최근 속도, 날씨, 돌발 상황으로 200개 구간의 한 시간 뒤 속도를 예측합니다.",
            en="Forecast the next hour's speed on 200 road segments from recent speeds,"
            " rain and incidents.",
        ),
        description=Bilingual(ko=DESCRIPTION_KO, en=DESCRIPTION_EN),
        rules=demo_rules(
            spec,
            extra_ko=(
                "기상청 관측·예보 자료처럼 누구나 받을 수 있는 공개 자료는 쓸 수 있습니다. 단,"
                " 예측 시각 이후의 정보(실제 강수량, 사고 기록 등)는 쓸 수 없습니다."
            ),
            extra_en=(
                "Public data anyone can obtain, such as weather observations and forecasts, may"
                " be used, but nothing known only after `base_time` (actual rain, incident logs)."
            ),
        ),
        train_file=Bilingual(
            ko="학습 데이터: 구간-시간 32,000행, 정답 speed_kmh 포함",
            en="Training data: 32,000 segment-hours with the speed_kmh target",
        ),
        test_file=Bilingual(
            ko="평가 데이터: 구간-시간 10,000행 (정답 없음)",
            en="Test data: 10,000 segment-hours without the target",
        ),
        baseline_name=Bilingual(
            ko="직전 속도 + 시간대별 평균 변화", en="Last hour plus the usual hourly change"
        ),
    )
