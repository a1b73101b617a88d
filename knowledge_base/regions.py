"""Regions of applicability: national texts apply everywhere, a province's texts to the province
and its cities, a city's texts to that city only."""

from __future__ import annotations

NATIONAL = "全国"

SHANDONG_CITIES: tuple[str, ...] = (
    "济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市",
    "泰安市", "威海市", "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市",
)
CITY_PROVINCE: dict[str, str] = {city: "山东省" for city in SHANDONG_CITIES}
CITY_PROVINCE.update({"郑州市": "河南省", "杭州市": "浙江省", "宁波市": "浙江省", "广州市": "广东省", "深圳市": "广东省"})
PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省",
    "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区",
    "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
)
KNOWN_REGIONS: frozenset[str] = frozenset((NATIONAL, *PROVINCES, *CITY_PROVINCE))


def normalize_region(name: str | None) -> str | None:
    """Map 济南 / 济南市 / 山东 / 山东省 to the official name; ``None`` when unknown."""
    if not name:
        return None
    name = name.strip()
    if name in KNOWN_REGIONS:
        return name
    for candidate in KNOWN_REGIONS:
        if candidate.startswith(name) and len(name) >= 2:
            return candidate
    return None


def province_of(region: str) -> str:
    """The province of a city (or the region itself)."""
    return CITY_PROVINCE.get(region, region)


def applies_to(doc_region: str, user_region: str | None) -> bool:
    """Whether a text of ``doc_region`` applies to a citizen in ``user_region``.

    Without a known citizen region only national texts are said to apply.
    """
    if doc_region == NATIONAL:
        return True
    if not user_region:
        return False
    if doc_region == user_region:
        return True
    return doc_region in PROVINCES and province_of(user_region) == doc_region
