from onetrip.bundles.pdf import projection_html, projection_pdf
from onetrip.bundles.projection import project
from onetrip.bundles.spec import FieldSpec, MemberSpec, QuestionSpec

SEX = ({"value": "m", "label": "男"}, {"value": "f", "label": "女"})


def member(code, dept, fields, optional=False, questions=()):
    return MemberSpec(
        code=code,
        item_code=f"code-{code}",
        item_name=f"事项{code}",
        department_id=dept,
        department_name=f"部门{dept}",
        optional=optional,
        fields=tuple(fields),
        questions=tuple(questions),
    )


MEMBERS = [
    member(
        "a",
        1,
        [
            FieldSpec("xm", "申请人姓名", "string", "person.name"),
            FieldSpec("xb", "性别", "choice", "person.sex", options=SEX),
            FieldSpec("reason", "调出原因", "text"),
        ],
        questions=[
            QuestionSpec(
                "agent", "是否委托？", ({"value": "yes", "label": "委托"}, {"value": "no", "label": "本人"})
            )
        ],
    ),
    member(
        "b",
        2,
        [
            FieldSpec("sex", "性别（男/女）", "choice", "person.sex", options=SEX),
            FieldSpec("name", "姓名", "string", "person.name"),
        ],
    ),
    member(
        "c",
        1,
        [
            FieldSpec("name", "职工姓名", "string", "person.name"),
            FieldSpec("bank", "开户行", "string", required=True),
        ],
    ),
    member("d", 3, [FieldSpec("name", "姓名", "string", "person.name")], optional=True),
]
VALUES = {"person.name": "张三", "person.sex": "f", "a.reason": "工作需要"}


def test_each_department_gets_its_items_forms_in_their_own_wording_and_order():
    out = project(members=MEMBERS, values=VALUES, answers={"agent": "no"})
    assert [d.department_id for d in out] == [1, 2]  # d is optional and not chosen
    dept1 = out[0]
    assert [f.member for f in dept1.forms] == ["a", "c"]
    a = dept1.forms[0]
    assert [(f.label, f.display) for f in a.fields] == [
        ("申请人姓名", "张三"),
        ("性别", "女"),
        ("调出原因", "工作需要"),
    ]
    assert [(x.text, x.display) for x in a.answers] == [("是否委托？", "本人")]
    b = out[1].forms[0]
    assert [f.label for f in b.fields] == ["性别（男/女）", "姓名"]  # b's own order
    c = dept1.forms[1]
    assert c.missing == ["bank"]


def test_chosen_optional_member_is_projected():
    out = project(members=MEMBERS, values=VALUES, chosen=["d"])
    assert [d.department_id for d in out] == [1, 2, 3]
    assert out[2].forms[0].fields[0].value == "张三"


def test_printable_page_and_pdf():
    departments = project(members=MEMBERS, values=VALUES, chosen=["d"])
    html = projection_html(bundle_name="人员调动一件事", departments=departments)
    assert html.count('class="department"') == 3
    assert "申请人姓名" in html and "工作需要" in html and "（未填写）" in html
    pdf = projection_pdf(bundle_name="人员调动一件事", departments=departments)
    assert pdf.startswith(b"%PDF")
