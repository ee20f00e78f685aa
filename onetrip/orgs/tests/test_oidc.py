import pytest

from onetrip.orgs.models import Role, RoleAssignment, User
from onetrip.orgs.oidc import OneTripOIDCBackend, claims_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend(settings):
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.invalid/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.invalid/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.invalid/jwks"
    settings.OIDC_RP_CLIENT_ID = "onetrip"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    return OneTripOIDCBackend()


CLAIMS = {
    "sub": "zlb-0001",
    "preferred_username": "wangfang",
    "name": "王芳",
    "phone_number": "+86 138-1234-5678",
}


def test_first_login_creates_an_applicant_from_the_claims(backend):
    assert backend.verify_claims(CLAIMS)
    assert not backend.filter_users_by_claims(CLAIMS).exists()
    user = backend.create_user(CLAIMS)
    assert (user.username, user.display_name, user.phone, user.oidc_subject) == (
        "wangfang",
        "王芳",
        "13812345678",
        "zlb-0001",
    )
    assert not user.has_usable_password()
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [Role.APPLICANT]
    assert list(backend.filter_users_by_claims(CLAIMS)) == [user]


def test_users_are_matched_by_subject_not_by_username(backend):
    User.objects.create(username="wangfang")  # a local account with the same name is not taken over
    user = backend.create_user(CLAIMS)
    assert user.username.startswith("oidc-") and user.username != "wangfang"
    assert list(backend.filter_users_by_claims({"sub": "zlb-0001", "preferred_username": "wangfang"})) == [
        user
    ]
    assert not backend.filter_users_by_claims({"sub": "other"}).exists()


def test_later_logins_refresh_name_and_phone(backend):
    user = backend.create_user(CLAIMS)
    backend.update_user(user, {"sub": "zlb-0001", "name": "王芳芳", "phone": "13900001111"})
    user.refresh_from_db()
    assert (user.display_name, user.phone) == ("王芳芳", "13900001111")


def test_claims_without_subject_are_refused(backend):
    assert not backend.verify_claims({"preferred_username": "x"})
    assert not backend.filter_users_by_claims({}).exists()


def test_log_description_carries_no_personal_data(backend):
    text = backend.describe_user_by_claims(CLAIMS)
    assert "zlb-0001" not in text and "王芳" not in text


def test_malformed_phone_claim_is_dropped():
    assert claims_phone({"phone": "12345"}) == ""
    assert claims_phone({"phone_number": "13812345678"}) == "13812345678"
