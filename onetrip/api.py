"""The REST API under /api/v1/ (Django Ninja); the OpenAPI document is /api/v1/openapi.json."""

from django.db import DataError, OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from onetrip.core.errors import DomainError, ErrorDetail

api = NinjaAPI(
    title="OneTrip API",
    version="1",
    description="OneTrip 最多跑一次 政务服务平台接口。认证：浏览器会话，或请求头 `X-API-Key`（按应用授权范围）。",
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.append(
            {
                "code": "invalid",
                "field": ".".join(loc) or None,
                "message_zh": "输入不符合要求：" + str(err.get("msg", "")),
                "message_en": str(err.get("msg", "invalid input")),
            }
        )
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {
        "errors": [
            {
                "code": "unauthenticated",
                "message_zh": "请先登录或提供有效的 API 密钥",
                "message_en": "Authentication required",
            }
        ]
    }
    return api.create_response(request, body, status=401)


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A value the database cannot hold (an id beyond 64 bits, text longer than its column): the input's
    fault, and nothing was written (the transaction rolled back)."""
    detail = ErrorDetail(
        "out_of_range", "输入的数值或长度超出允许范围", "A value is out of the allowed range"
    )
    return api.create_response(request, DomainError(detail).as_dict(), status=400)


@api.exception_handler(OperationalError)
def _database_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """The database is unreachable or busy: try again later (503), in the standard error body."""
    detail = ErrorDetail("unavailable", "系统繁忙，请稍后重试", "The service is temporarily unavailable")
    response = api.create_response(request, DomainError(detail).as_dict(), status=503)
    response["Retry-After"] = "5"
    return response


def _register_routers() -> None:
    from onetrip.bundles.api import router as bundles_router
    from onetrip.catalog.api import router as catalog_router
    from onetrip.flow.api import router as flow_router
    from onetrip.intake.api import router as intake_router
    from onetrip.notify.api import router as notify_router
    from onetrip.orders.api import router as orders_router
    from onetrip.orgs.api import router as orgs_router
    from onetrip.ratings.api import router as ratings_router
    from onetrip.sharing.api import router as sharing_router
    from onetrip.stats.api import router as stats_router
    from onetrip.supervision.api import router as supervision_router
    from onetrip.workdays.api import router as workdays_router

    api.add_router("/bundles", bundles_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/flow", flow_router)
    api.add_router("/intake", intake_router)
    api.add_router("/notify", notify_router)
    api.add_router("/orders", orders_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/ratings", ratings_router)
    api.add_router("/sharing", sharing_router)
    api.add_router("/stats", stats_router)
    api.add_router("/supervision", supervision_router)
    api.add_router("/workdays", workdays_router)


_register_routers()
