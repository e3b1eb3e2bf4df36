"""Who hosts the demo challenges, and the rules every demo challenge shares.

The organizations are demo fixtures modelled on the hosts named in Daejeon's AI strategy
(the city's AI team, its traffic centre, a smart-factory testbed in Daedeok Innopolis); the
demo users who belong to them are created by the code that seeds the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from aihub.demo._bundle import Bilingual, ChallengeSpec


@dataclass(frozen=True)
class DemoOrganization:
    """A host organization of the demo, as the seeding code creates it."""

    slug: str
    name_ko: str
    name_en: str
    summary_ko: str
    summary_en: str


DAEJEON_CITY = DemoOrganization(
    slug="daejeon-city",
    name_ko="대전광역시",
    name_en="Daejeon Metropolitan City",
    summary_ko=(
        "과학산업국 인공지능팀이 시정 문제를 데이터와 AI 경진대회로 풀어냅니다 (대덕 AI& 솔루션)."
    ),
    summary_en=(
        "The city's AI team in the Science and Industry Bureau turns civic problems into"
        " data and AI challenges (Daedeok AI& Solution)."
    ),
)

DAEJEON_ITS = DemoOrganization(
    slug="daejeon-its",
    name_ko="대전광역시 교통정보센터",
    name_en="Daejeon Traffic Information Center",
    summary_ko="시내 도로의 구간 속도와 돌발 상황을 모아 신호 운영과 교통 안내에 씁니다.",
    summary_en=(
        "Collects segment speeds and incidents on the city's roads for signal control"
        " and traveller information."
    ),
)

DAEDEOK_SMART_FACTORY = DemoOrganization(
    slug="daedeok-smart-factory",
    name_ko="대덕 스마트공장 실증센터",
    name_en="Daedeok Smart Factory Testbed",
    summary_ko=(
        "대덕연구개발특구의 중소 제조기업과 함께 가공 라인 데이터로 AI 품질 검사를 실증합니다."
    ),
    summary_en=(
        "Runs machining lines with small manufacturers in Daedeok Innopolis to trial"
        " AI quality inspection on line data."
    ),
)

DEMO_ORGANIZATIONS: tuple[DemoOrganization, ...] = (
    DAEJEON_CITY,
    DAEJEON_ITS,
    DAEDEOK_SMART_FACTORY,
)


def demo_rules(spec: ChallengeSpec, *, extra_ko: str, extra_en: str) -> Bilingual:
    """The rules of a demo challenge: the shared terms plus one challenge-specific rule."""
    ko = f"""# 대회 규칙

1. 참가자는 한 사람당 하나의 계정만 사용합니다. 팀은 최대 {spec.max_team_size}명이며, 팀 밖의
   사람과 코드나 예측 결과를 따로 주고받을 수 없습니다. 대회 토론 게시판에 모두에게
   공개한 코드는 예외입니다.
2. 제출은 팀당 하루 {spec.daily_limit}회(한국 시간 자정에 초기화), 대회 기간 전체
   {spec.total_limit}회까지입니다. 최종 평가에 쓸 제출은 {spec.final_selections}개까지
   고를 수 있습니다.
3. 공개 리더보드는 평가 데이터의 약 30%로 계산합니다. 최종 순위는 나머지 약 70%로 계산한
   비공개 리더보드로 정하며, 대회가 끝난 뒤 공개됩니다.
4. 평가 데이터에 사람이 직접 정답을 붙이거나, 여러 계정으로 리더보드를 조회해 정답을
   추정하는 행위는 금지합니다.
5. {extra_ko}
6. 수상 후보 팀은 대회 종료 후 7일 안에 학습부터 예측까지 재현할 수 있는 코드와 설명서를
   제출해야 합니다. 주최 기관은 우수 팀에 실증(PoC) 협력을 제안할 수 있습니다.
7. 데이터는 이 대회 참가 목적으로만 쓰고 다시 배포하지 않습니다. 이 데모의 데이터는
   실제 기록이 아닌 합성 데이터입니다.
"""
    en = f"""# Competition rules

1. One account per person. Teams have at most {spec.max_team_size} members and may not share
   code or predictions privately with anyone outside the team; code posted publicly on the
   challenge forum is fine.
2. Each team may make {spec.daily_limit} scored submissions a day (reset at midnight Korean
   time) and {spec.total_limit} in total. Each team picks up to {spec.final_selections}
   submissions for the final evaluation.
3. The public leaderboard uses about 30% of the test data. The final ranking uses the other
   70% (the private leaderboard), revealed when the challenge ends.
4. Do not label the test data by hand, and do not probe the leaderboard from several accounts
   to infer the answers.
5. {extra_en}
6. Prize candidates must hand in code that reproduces their predictions from training to
   inference, with a short write-up, within 7 days of the end. The host may invite top teams
   to a pilot (PoC).
7. Use the data only to take part in this challenge and do not redistribute it. The data of
   this demo is synthetic, not real records.
"""
    return Bilingual(ko=ko, en=en)
