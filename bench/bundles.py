"""Bundle benchmark: merging a 30-member bundle's form and materials, and projecting one submission.

Run from the repository root: `.venv/bin/python bench/bundles.py`. Prints one JSON line:
{"members", "fields", "merge_ms", "project_20_ms", ...}.

Pure Python, no database: a generated bundle of 30 members in 20 departments with 600 form fields in total
(20 a member: 12 drawn from a pool of 60 shared data elements — so merging matters — and 8 item-specific)
and 8 materials a member (4 shared by name, licence type or data elements). `merge_ms` is the median time of
merge_form + merge_materials (what publishing computes once per version); `project_20_ms` is the median time
to project one complete merged submission into the 20 departments' own forms (as data).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onetrip.bundles.merge import merge_form, merge_materials  # noqa: E402
from onetrip.bundles.projection import project  # noqa: E402
from onetrip.bundles.spec import FieldSpec, MaterialSpec, MemberSpec, QuestionSpec  # noqa: E402

MEMBERS, DEPARTMENTS, FIELDS_PER_MEMBER, SHARED_PER_MEMBER, ELEMENTS = 30, 20, 20, 12, 60
SECTIONS = ("申请人信息", "单位信息", "联系方式", "申请事项")
RUNS = 200


def element_type(i: int) -> tuple[str, int | None, tuple[object, ...]]:
    if i % 10 == 0:
        return "choice", None, ({"value": "1", "label": "是"}, {"value": "0", "label": "否"})
    if i % 7 == 0:
        return "date", None, ()
    return "string", 64, ()


def build(rng: random.Random) -> list[MemberSpec]:
    members = []
    for m in range(MEMBERS):
        chosen = rng.sample(range(ELEMENTS), SHARED_PER_MEMBER)
        fields = []
        for i in chosen:
            ftype, length, options = element_type(i)
            fields.append(
                FieldSpec(
                    code=f"f{i}",
                    label=f"字段{i}（事项{m}的说法）",
                    field_type=ftype,
                    data_element=f"el.{i:03d}",
                    element_name=f"数据元{i}",
                    max_length=length,
                    options=options,
                    section=SECTIONS[i % len(SECTIONS)],
                )
            )
        for j in range(FIELDS_PER_MEMBER - SHARED_PER_MEMBER):
            fields.append(
                FieldSpec(code=f"own{j}", label=f"事项{m}专用字段{j}", field_type="text", section="申请事项")
            )
        materials = [
            MaterialSpec("form", f"事项{m}申请表", kind="form"),
            MaterialSpec("id", "居民身份证", licence_type="居民身份证", source="e_licence"),
            MaterialSpec("hukou", "户口簿", data_elements=("el.001", "el.002")),
            MaterialSpec("photo", "近期免冠照片"),
            *(MaterialSpec(f"own{k}", f"事项{m}专用材料{k}") for k in range(4)),
        ]
        members.append(
            MemberSpec(
                code=f"m{m}",
                item_code=f"3307830000000000000000000{m:04d}",
                item_name=f"测试事项{m}",
                department_id=m % DEPARTMENTS,
                department_name=f"部门{m % DEPARTMENTS}",
                optional=m % 6 == 5,
                fields=tuple(fields),
                questions=(QuestionSpec("agent", "是否委托代理人办理？", ("no", "yes")),),
                materials=tuple(materials),
            )
        )
    return members


def median_ms(fn: object) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    rng = random.Random(4)
    members = build(rng)
    form = merge_form(members)
    materials = merge_materials(members)
    assert not form.errors, form.errors
    values = {f.key: "值" for f in form.fields}
    chosen = [m.code for m in members if m.optional]
    departments = project(members=members, values=values, chosen=chosen, question_keys=form.question_keys)
    assert len(departments) == DEPARTMENTS
    merge = median_ms(lambda: (merge_form(members), merge_materials(members)))
    projection = median_ms(
        lambda: project(members=members, values=values, chosen=chosen, question_keys=form.question_keys)
    )
    print(
        json.dumps(
            {
                "members": len(members),
                "fields": form.fields_before,
                "fields_after": form.fields_after,
                "materials": materials.before,
                "materials_after": materials.after,
                "departments": len(departments),
                "merge_ms": merge,
                "project_20_ms": projection,
            }
        )
    )


if __name__ == "__main__":
    main()
