"""What participants read about ``smart-factory-defects``, in Korean and English."""

from __future__ import annotations

from aihub.demo._bundle import Bilingual, ChallengeSpec, ChallengeText
from aihub.demo.content import demo_rules

DESCRIPTION_KO = """\
# 가공 라인 센서로 불량 유형 분류하기

> 이 대회는 aihub 데모용 **합성 데이터**로 만들었습니다. 실제 공장의 기록이 아닙니다.

## 배경

대덕 스마트공장 실증센터는 대덕연구개발특구의 중소 제조기업과 함께 전기차용 알루미늄 모터
하우징을 가공하는 CNC 라인 4개(L1~L4)를 24시간 운영합니다. 지금은 공정이 끝난 뒤 비전
검사기로 불량을 찾기 때문에, 공구가 닳거나 클램프 압력이 떨어져도 몇십 개를 더 만든 뒤에야
알게 됩니다. **가공 중에 이미 기록되는 센서 값으로 불량과 그 유형을 바로 알아내면**, 불량품을
다음 공정 전에 빼고 원인(공구 교체, 고정구 점검)을 곧바로 조치할 수 있습니다.

## 데이터

2024년 11월 4일부터 약 3주 동안 생산한 제품 40,000개입니다. 한 행은 제품 하나입니다.

- `train.csv`: 먼저 생산한 30,000개 (11월 4일 ~ 20일 새벽), 정답 `defect_type` 포함
- `test.csv`: 그 뒤에 생산한 10,000개 (11월 20일 ~ 25일), 정답 없음

평가 데이터는 학습 기간 **이후**에 생산한 제품입니다. 라인 상태는 시간에 따라 변합니다(예:
고정구가 닳는 라인이 있습니다).

| 열 | 설명 |
|---|---|
| `id` | 제품 일련번호 (`P-000001` 형식의 문자열). 제출 파일의 키 |
| `produced_at` | 가공 완료 시각 (한국 시간) |
| `line` | 라인 `L1` ~ `L4`. 라인마다 센서 보정값이 조금씩 다릅니다 |
| `shift` | 근무조: `A` 06~14시, `B` 14~22시, `C` 22~06시 |
| `tool_life_used_pct` | 현재 공구의 사용 수명 (%; 공구를 바꾸면 0) |
| `spindle_speed_rpm` | 주축 회전 속도 평균 (rpm) |
| `spindle_load_pct` | 주축 부하 평균 (정격 대비 %) |
| `vibration_rms_mm_s` | 주축 진동 RMS (mm/s) |
| `coolant_temp_c` | 절삭유 온도 (°C) |
| `clamp_pressure_bar` | 고정구 유압 클램프 압력 (bar) |
| `cycle_time_s` | 가공 사이클 시간 (초) |
| `ambient_temp_c`, `humidity_pct` | 작업장 온도 (°C)와 상대습도 (%) |
| `defect_type` | 목표: 불량 유형 (train에만 있음) |

`defect_type`은 `normal`(정상), `scratch`(긁힘), `dent`(찍힘), `crack`(균열), `misalign`(가공
위치 틀어짐) 다섯 가지입니다. 정상품이 약 90%이고 불량 유형은 각각 제품의 1~4% 정도로 드뭅니다.

## 평가

`f1_macro`: 다섯 유형의 F1 점수를 단순 평균합니다. 드문 불량 유형도 정상과 같은 무게로
계산하므로, 모두 `normal`로 내면 점수가 낮습니다. 제출 파일의 `defect_type`에는 위 다섯 가지
라벨 중 하나를 적습니다. 평가 데이터의 약 30%로 공개 리더보드를, 나머지 70%로 최종 순위를
정합니다.

```csv
id,defect_type
P-030001,normal
P-030002,scratch
```

## 왜 중요한가

불량 하나를 다음 공정 전에 걸러내면 조립과 출하 뒤에 생기는 훨씬 큰 비용을 막습니다. 유형까지
알면 "공구를 바꿔라", "클램프를 점검하라"처럼 현장에서 바로 할 일이 정해집니다. 대전시는 이런
제조 현장의 문제를 '대덕 AI& 솔루션' 경진대회로 풀어 지역 중소기업의 스마트공장 전환을
돕고자 합니다.
"""

DESCRIPTION_EN = """\
# Classifying defect types from machining-line sensors

> This challenge is built on **synthetic data** for the aihub demo. It is not a real factory's
> records.

## Background

With small manufacturers in Daedeok Innopolis, the Daedeok Smart Factory Testbed runs four CNC
lines (L1–L4) around the clock, machining aluminium motor housings for electric vehicles.
Defects are found today by a vision inspection at the end of the line, so a worn tool or a
fixture losing clamp pressure shows only after dozens more parts. **Recognising a defect, and
its type, from the sensor readings already recorded during machining** lets the line pull the
part before the next process and fix the cause (change the tool, check the fixture) at once.

## Data

40,000 products made over about three weeks from 4 November 2024. One row is one product.

- `train.csv`: the first 30,000 products (4 November to the early hours of 20 November), with
  `defect_type`
- `test.csv`: the next 10,000 products (20 to 25 November), without labels

The test products were made **after** the training ones, and lines change over time (one
line's fixture, for example, is wearing out).

| column | meaning |
|---|---|
| `id` | serial number, a string such as `P-000001`, the key of your submission |
| `produced_at` | when machining finished (Korean time) |
| `line` | line `L1` to `L4`; each line's sensors are calibrated slightly differently |
| `shift` | `A` 06–14 h, `B` 14–22 h, `C` 22–06 h |
| `tool_life_used_pct` | share of the current tool's life used (%; 0 after a tool change) |
| `spindle_speed_rpm` | mean spindle speed (rpm) |
| `spindle_load_pct` | mean spindle load (% of rated) |
| `vibration_rms_mm_s` | spindle vibration RMS (mm/s) |
| `coolant_temp_c` | coolant temperature (°C) |
| `clamp_pressure_bar` | hydraulic fixture clamp pressure (bar) |
| `cycle_time_s` | machining cycle time (s) |
| `ambient_temp_c`, `humidity_pct` | shop-floor temperature (°C) and relative humidity (%) |
| `defect_type` | target: `normal`, `scratch`, `dent`, `crack` or `misalign` (train only) |

About 90% of products are normal; each defect type is rare, 1–4% of products.

## Evaluation

`f1_macro`: the plain mean of the five types' F1 scores. Rare defects weigh as much as normal
parts, so predicting `normal` everywhere scores poorly. Put one of the five labels in the
`defect_type` column of your submission. About 30% of the test rows make the public
leaderboard; the other 70% decide the final ranking.

```csv
id,defect_type
P-030001,normal
P-030002,scratch
```

## Why this matters to the city

A defect caught before the next process avoids far larger costs after assembly and shipping,
and knowing its type tells the floor what to do: change the tool, check the clamp. Daejeon
puts problems like this to AI challenges through its Daedeok AI& Solution programme, to help
the region's small manufacturers make their factories smart.
"""


def challenge_text(spec: ChallengeSpec) -> ChallengeText:
    """The texts of the bundle; the rules quote the spec's limits."""
    return ChallengeText(
        title=Bilingual(
            ko="가공 라인 센서로 불량 유형 분류하기",
            en="Classifying defect types from machining-line sensors",
        ),
        summary=Bilingual(
            ko="CNC 가공 중 기록된 센서 값으로 제품의 불량 유형 다섯 가지를 가려냅니다.",
            en="Tell five defect types apart from the sensor readings of each machining cycle.",
        ),
        description=Bilingual(ko=DESCRIPTION_KO, en=DESCRIPTION_EN),
        rules=demo_rules(
            spec,
            extra_ko=(
                "공개된 사전학습 모델과 공개 데이터는 쓸 수 있으며, 최종 코드 설명서에 출처를"
                " 밝혀야 합니다. 제품 순서나 id만으로 정답을 추정하는 방식은 인정하지 않습니다."
            ),
            extra_en=(
                "Public pretrained models and public data may be used if the write-up names"
                " them. Solutions that infer labels from product order or ids alone do not count."
            ),
        ),
        train_file=Bilingual(
            ko="학습 데이터: 제품 30,000개, 정답 defect_type 포함",
            en="Training data: 30,000 products with the defect_type label",
        ),
        test_file=Bilingual(
            ko="평가 데이터: 제품 10,000개 (정답 없음)",
            en="Test data: 10,000 products without labels",
        ),
        baseline_name=Bilingual(
            ko="라인별 표준화 + 가우시안 나이브 베이즈",
            en="Gaussian naive Bayes on line-standardised sensors",
        ),
    )
