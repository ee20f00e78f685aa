import pytest

from onetrip.core.errors import Conflict, DomainError
from onetrip.orgs import services
from onetrip.orgs.models import ApplicantKind, Role, RoleAssignment, User, WindowCategory
from onetrip.orgs.permissions import has_role, roles_of
from onetrip.orgs.tests import factories as f

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


def test_user_create_validates_id_number_phone_and_organisation():
    with pytest.raises(DomainError) as exc:
        services.user_create(
            username="corp",
            phone="12345",
            id_number="110105194912310021",
            applicant_kind=ApplicantKind.COMPANY,
        )
    got = {(e.code, e.field) for e in exc.value.errors}
    assert got >= {
        ("invalid_phone", "phone"),
        ("invalid_id_number", "id_number"),
        ("required", "organisation_code"),
        ("required", "organisation_name"),
    }
    # Error texts never echo personal data.
    assert "110105194912310021" not in str(exc.value)
    assert not User.objects.exists()


def test_user_create_stores_a_valid_user_with_an_unusable_password_when_none_given():
    user = services.user_create(
        username="zhang", display_name="张三", phone="13812345678", id_number=VALID_ID.lower()
    )
    assert user.id_number == VALID_ID
    assert not user.has_usable_password()
    with pytest.raises(Conflict):
        services.user_create(username="zhang")


def test_weak_password_is_refused():
    with pytest.raises(DomainError) as exc:
        services.user_create(username="li", password="123")
    assert {e.code for e in exc.value.errors} == {"weak_password"}


def test_handler_and_leader_need_a_department():
    chain = f.region_chain()
    dept = f.department(region=chain["county"])
    user = f.user()
    for role in (Role.HANDLER, Role.LEADER):
        with pytest.raises(DomainError) as exc:
            services.role_assign(user=user, role=role)
        assert ("role_scope_invalid", "department") in {(e.code, e.field) for e in exc.value.errors}
        with pytest.raises(DomainError):
            services.role_assign(user=user, role=role, department=dept, region=chain["county"])
        services.role_assign(user=user, role=role, department=dept)
    assert roles_of(user) == {Role.HANDLER, Role.LEADER}


def test_clerk_needs_a_region_or_a_window_and_no_department():
    chain = f.region_chain()
    hall = f.hall(region=chain["county"])
    window = services.window_create(hall=hall, number="F01", name="综合", category=WindowCategory.GENERAL)
    user = f.user()
    with pytest.raises(DomainError):
        services.role_assign(user=user, role=Role.CLERK)
    with pytest.raises(DomainError):
        services.role_assign(user=user, role=Role.CLERK, department=f.department(region=chain["county"]))
    with pytest.raises(DomainError) as exc:
        services.role_assign(user=user, role=Role.CLERK, window=window, region=chain["other"])
    assert {e.code for e in exc.value.errors} == {"window_outside_region"}
    assignment = services.role_assign(user=user, role=Role.CLERK, window=window)
    assert assignment.window == window
    other = f.user()
    services.role_assign(user=other, role=Role.CLERK, region=chain["county"])
    assert has_role(other, Role.CLERK)


def test_applicant_and_system_admin_take_no_scope_and_duplicates_conflict():
    chain = f.region_chain()
    user = f.user()
    with pytest.raises(DomainError):
        services.role_assign(user=user, role=Role.APPLICANT, region=chain["county"])
    with pytest.raises(DomainError):
        services.role_assign(
            user=user, role=Role.SYSTEM_ADMIN, department=f.department(region=chain["county"])
        )
    services.role_assign(user=user, role=Role.APPLICANT)
    with pytest.raises(Conflict) as exc:
        services.role_assign(user=user, role=Role.APPLICANT)
    assert exc.value.errors[0].code == "role_already_assigned"
    assert RoleAssignment.objects.filter(user=user).count() == 1


def test_unknown_role_is_refused():
    with pytest.raises(DomainError) as exc:
        services.role_assign(user=f.user(), role="king")
    assert exc.value.errors[0].code == "invalid_role"


def test_role_revoke_clears_the_cached_roles():
    user = f.user()
    assignment = services.role_assign(user=user, role=Role.SYSTEM_ADMIN)
    assert has_role(user, Role.SYSTEM_ADMIN)
    services.role_revoke(assignment=assignment)
    assert not has_role(user, Role.SYSTEM_ADMIN)


def test_database_refuses_a_duplicate_unscoped_assignment_on_every_backend():
    from django.db import IntegrityError, transaction

    user = f.user()
    RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN)
