"""Factories for orgs tests: a valid region chain (浙江省 › 丽水市 › 莲都区 › 紫金街道), departments with valid
USCCs, users, halls and windows, and catalogue items bound to a department (for scope tests)."""

from __future__ import annotations

import itertools

from stdnum.cn import uscc as uscc_mod

from onetrip.catalog.models import Item, ItemType
from onetrip.orgs import services
from onetrip.orgs.models import Department, Region, RegionLevel, ServiceHall, User

_seq = itertools.count(1)


def uscc(region_code: str = "331102") -> str:
    body = f"11{region_code[:6]}{next(_seq):09d}"
    return body + uscc_mod.calc_check_digit(body)


def region_chain() -> dict[str, Region]:
    province = services.region_create(code="330000000000", name="浙江省", level=RegionLevel.PROVINCE)
    city = services.region_create(code="331100000000", name="丽水市", level=RegionLevel.CITY, parent=province)
    county = services.region_create(code="331102000000", name="莲都区", level=RegionLevel.COUNTY, parent=city)
    township = services.region_create(
        code="331102001000", name="紫金街道", level=RegionLevel.TOWNSHIP, parent=county
    )
    other_county = services.region_create(
        code="331121000000", name="青田县", level=RegionLevel.COUNTY, parent=city
    )
    return {"province": province, "city": city, "county": county, "township": township, "other": other_county}


def department(*, region: Region, parent: Department | None = None, name: str | None = None) -> Department:
    n = next(_seq)
    return services.department_create(
        code=f"d{n:05d}",
        name=name or f"测试部门{n}",
        uscc=uscc(region.code),
        level=region.level + 1,
        region=region,
        parent=parent,
    )


def user(*, username: str | None = None, **fields: object) -> User:
    n = next(_seq)
    return services.user_create(username=username or f"user{n}", **fields)  # type: ignore[arg-type]


def item(*, department: Department, name: str | None = None) -> Item:
    n = next(_seq)
    basic = f"01{n:05d}00000"
    return Item.objects.create(
        basic_code=basic,
        implementation_code=f"{department.uscc}{department.level}{basic}",
        department=department,
        name=name or f"测试事项{n}",
        item_type=ItemType.LICENSING,
        level=department.level,
    )


def hall(*, region: Region) -> ServiceHall:
    return services.hall_create(name=f"{region.name}政务服务中心", region=region)
