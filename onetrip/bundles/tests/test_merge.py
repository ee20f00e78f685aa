from decimal import Decimal

from onetrip.bundles.merge import MERGED_FORM_KEY, merge_form, merge_materials, normalise_name
from onetrip.bundles.spec import FieldSpec, MaterialSpec, MemberSpec, QuestionSpec

NAME = FieldSpec("name", "姓名", "string", "person.name", "姓名", max_length=64, section="申请人信息")
ID = FieldSpec("idno", "身份证号码", "id_number", "person.id_number", "公民身份号码", max_length=18)
PHONE = FieldSpec("tel", "联系电话", "phone", "person.phone", "手机号", section="联系方式")


def member(code, *fields, optional=False, dept=1, questions=(), materials=(), situation_code="", **kw):
    return MemberSpec(
        code=code,
        item_code=f"item-{code}",
        item_name=f"事项{code}",
        department_id=dept,
        department_name=f"部门{dept}",
        optional=optional,
        fields=tuple(fields),
        questions=tuple(questions),
        materials=tuple(materials),
        situation_code=situation_code,
        **kw,
    )


def test_each_data_element_is_asked_once_and_counts_before_and_after():
    a = member("a", NAME, ID, FieldSpec("reason", "申请事由", "text"))
    b = member("b", FieldSpec("xm", "申请人姓名", "string", "person.name", "姓名", max_length=64), ID, PHONE)
    form = merge_form([a, b])
    assert form.errors == []
    assert form.fields_before == 6
    assert form.fields_after == 4
    keys = [f.key for f in form.fields]
    assert keys.count("person.name") == 1 and keys.count("person.id_number") == 1
    assert "a.reason" in keys  # item-specific fields are namespaced by member
    name = next(f for f in form.fields if f.key == "person.name")
    assert name.label == "姓名" and name.members == ["a", "b"]


def test_item_specific_fields_with_the_same_code_stay_apart():
    a = member("a", FieldSpec("reason", "申请事由", "text"))
    b = member("b", FieldSpec("reason", "调动原因", "text"))
    form = merge_form([a, b])
    assert [f.key for f in form.fields] == ["a.reason", "b.reason"]
    assert form.fields_after == 2


def test_sections_applicant_first_then_first_appearance():
    a = member("a", FieldSpec("x", "单位名称", "string", section="单位信息"), PHONE)
    b = member("b", NAME, FieldSpec("y", "备注", "text"))
    form = merge_form([a, b])
    assert form.sections == ["申请人信息", "单位信息", "联系方式", "事项b"]
    assert [f.key for f in form.fields] == ["person.name", "a.x", "person.phone", "b.y"]


def test_conflicting_element_definitions_name_both_members():
    a = member("a", NAME, ID)
    b = member(
        "b",
        FieldSpec("xm", "姓名", "text", "person.name", "姓名", max_length=32),
        FieldSpec("sfz", "身份证", "id_number", "person.id_number", max_length=18),
    )
    errors = merge_form([a, b]).errors
    assert {e.code for e in errors} == {"conflicting_element"}
    assert len(errors) == 2  # type and max length of person.name
    assert all(e.field == "members.a.fields.name|members.b.fields.xm" for e in errors)
    assert "a" in errors[0].message_en and "b" in errors[0].message_en


def test_conflicting_options_are_reported_but_order_does_not_matter():
    opts = ({"value": "m", "label": "男"}, {"value": "f", "label": "女"})
    a = member("a", FieldSpec("sex", "性别", "choice", "person.sex", options=opts))
    b = member("b", FieldSpec("xb", "性别", "choice", "person.sex", options=tuple(reversed(opts))))
    c = member("c", FieldSpec("xb", "性别", "choice", "person.sex", options=("m", "f", "x")))
    assert merge_form([a, b]).errors == []
    errors = merge_form([a, c]).errors
    assert [e.code for e in errors] == ["conflicting_element"]
    assert errors[0].field == "members.a.fields.sex|members.c.fields.xb"


def test_optional_member_fields_show_only_when_chosen():
    a = member("a", NAME)
    b = member("b", NAME, PHONE, optional=True)
    form = merge_form([a, b])
    name = next(f for f in form.fields if f.key == "person.name")
    phone = next(f for f in form.fields if f.key == "person.phone")
    assert name.always and not phone.always
    assert [f.key for f in form.visible_fields()] == ["person.name"]
    assert [f.key for f in form.visible_fields({"b"})] == ["person.name", "person.phone"]


def test_situation_questions_are_merged_and_conflicts_reported():
    agent = QuestionSpec("agent", "是否委托代理人办理？", ({"value": "no"}, {"value": "yes"}))
    other = QuestionSpec("agent", "是否由单位经办人办理？", ({"value": "no"}, {"value": "yes"}))
    a = member("a", questions=[agent])
    b = member("b", questions=[other], optional=True)
    form = merge_form([a, member("c", questions=[agent]), b])
    assert form.errors == []
    assert [q.key for q in form.questions] == ["agent", "b.agent"]
    assert form.questions[0].members == ["a", "c"] and form.questions[0].always
    assert form.questions[1].members == ["b"] and not form.questions[1].always
    assert form.question_keys == {("a", "agent"): "agent", ("c", "agent"): "agent", ("b", "agent"): "b.agent"}

    bad = QuestionSpec(
        "agent", "是否委托代理人办理？", ({"value": "no"}, {"value": "yes"}, {"value": "both"})
    )
    errors = merge_form([a, member("d", questions=[bad])]).errors
    assert [e.code for e in errors] == ["conflicting_question"]


def test_member_pinned_to_a_situation_asks_no_questions():
    agent = QuestionSpec("agent", "是否委托代理人办理？", ("no", "yes"))
    form = merge_form([member("a", questions=[agent], situation_code="self")])
    assert form.questions == []


# ------------------------------------------------------------------------------------------- materials


def mat(code, name, **kw):
    return MaterialSpec(code=code, name=name, **kw)


def test_same_material_is_asked_once_with_counts_and_rates():
    a = member(
        "a",
        materials=[
            mat("form", "甲申请表", kind="form"),
            mat("id", "居民身份证", licence_type="居民身份证", source="e_licence"),
            mat("hukou", "户口簿", data_elements=("person.hukou",)),
        ],
    )
    b = member(
        "b",
        materials=[
            mat("apply", "乙申请书", kind="form"),
            mat("sfz", "身份证（原件）", kind="original", licence_type="居民身份证"),
            mat("hk", "居民户口簿", data_elements=("person.hukou",)),
            mat("cert", "退休证明"),
        ],
    )
    merged = merge_materials([a, b], merged_form_name="联办申请表")
    assert merged.before == 7
    assert merged.distinct == 4
    assert merged.duplicates == 3
    assert merged.duplication_rate == Decimal("42.86")
    names = [m.name for m in merged.materials]
    assert names == ["联办申请表", "居民身份证", "户口簿", "退休证明"]
    form = merged.materials[0]
    assert form.key == MERGED_FORM_KEY and form.members == ["a", "b"] and not form.not_submitted
    id_card = merged.materials[1]
    assert id_card.not_submitted and id_card.no_submit_reason == "电子证照获取"
    assert merged.after == 3
    assert merged.reduction_rate == Decimal("57.14")


def test_names_match_after_normalisation():
    assert normalise_name("《营业执照》（副本） ") == normalise_name("营业执照(副本)")
    a = member("a", materials=[mat("x", "营业执照（副本）")])
    b = member("b", materials=[mat("y", "营业执照(副本)")])
    assert merge_materials([a, b]).distinct == 1


def test_sameness_is_transitive():
    # x~y by licence type, y~z by name: all three are one material
    a = member("a", materials=[mat("x", "身份证", licence_type="居民身份证")])
    b = member("b", materials=[mat("y", "居民身份证", licence_type="居民身份证")])
    c = member("c", materials=[mat("z", "居民身份证")])
    merged = merge_materials([a, b, c])
    assert merged.distinct == 1 and merged.materials[0].members == ["a", "b", "c"]


def test_shared_data_supply_marks_the_merged_material_not_to_submit():
    a = member("a", materials=[mat("x", "社保缴费证明")])
    b = member("b", materials=[mat("y", "社保缴费证明", source="shared_data", source_note="人社系统")])
    merged = merge_materials([a, b])
    m = merged.materials[0]
    assert m.not_submitted and m.no_submit_reason == "共享数据获取" and m.source_note == "人社系统"
    assert merged.after == 0


def test_optional_member_material_and_situation_filter():
    a = member(
        "a",
        situation_code="self",
        materials=[mat("x", "授权委托书", situations=("agent",)), mat("y", "照片")],
    )
    b = member("b", optional=True, materials=[mat("p", "照片"), mat("q", "委托书", situations=("agent",))])
    merged = merge_materials([a, b])
    assert merged.before == 3  # a's agent-only material is left out: a is pinned to "self"
    photo = merged.materials[0]
    assert photo.always and photo.members == ["a", "b"]
    proxy = merged.materials[1]
    assert not proxy.always and proxy.conditions == {"b": ["agent"]}
    assert proxy.needed({"b"}) and not proxy.needed(set())


def test_key_and_original_win_and_deficiency_needs_every_member():
    a = member("a", materials=[mat("x", "证明", kind="copy", necessity="non_key", deficiency_allowed=True)])
    b = member(
        "b", materials=[mat("y", "证明", kind="original", necessity="non_key", deficiency_allowed=False)]
    )
    c = member("c", materials=[mat("z", "函件", necessity="non_key", deficiency_allowed=True)])
    d = member("d", materials=[mat("w", "函件", necessity="key")])
    merged = merge_materials([a, b, c, d])
    first, second = merged.materials
    assert first.kind == "original" and not first.deficiency_allowed and first.necessity == "non_key"
    assert second.necessity == "key" and not second.deficiency_allowed
