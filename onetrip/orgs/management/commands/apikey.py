"""`onetrip apikey create NAME --scope catalog:read …` / `onetrip apikey revoke PREFIX` / `onetrip apikey list`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onetrip.core import clock
from onetrip.core.errors import DomainError
from onetrip.orgs.auth import API_SCOPES, api_key_create, api_key_revoke
from onetrip.orgs.models import ApiKey, Department


class Command(BaseCommand):
    help = "管理 API 密钥：create 创建（密钥只显示一次）、revoke 吊销、list 列出"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="创建 API 密钥")
        create.add_argument("name", help="应用名称")
        create.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            required=True,
            choices=sorted(API_SCOPES),
            help="权限范围，可重复",
        )
        create.add_argument("--department", help="限定到该部门（部门编码）")
        create.add_argument("--expires-days", type=int, help="多少天后过期")
        revoke = sub.add_parser("revoke", help="吊销 API 密钥")
        revoke.add_argument("prefix", help="密钥前缀（ot_ 之后的8位）")
        sub.add_parser("list", help="列出 API 密钥")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as exc:
            raise CommandError("；".join(e.message_zh for e in exc.errors)) from exc

    def _create(
        self, *, name: str, scopes: list[str], department: str | None, expires_days: int | None, **_: Any
    ) -> None:
        dept = None
        if department:
            dept = Department.objects.filter(code=department).first()
            if dept is None:
                raise CommandError(f"部门编码“{department}”不存在")
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days 须为正整数")
        expires_at = clock.now() + dt.timedelta(days=expires_days) if expires_days else None
        key, plaintext = api_key_create(
            name=name, scopes=scopes, department=dept, created_by=None, expires_at=expires_at
        )
        self.stdout.write(f"已创建 API 密钥“{key.name}”（前缀 {key.prefix}，范围 {', '.join(key.scopes)}）。")
        self.stdout.write("密钥只显示这一次，请立即妥善保存：")
        self.stdout.write(plaintext)

    def _revoke(self, *, prefix: str, **_: Any) -> None:
        prefix = prefix.removeprefix("ot_").split("_", 1)[0]
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"前缀为“{prefix}”的 API 密钥不存在")
        api_key_revoke(key=key)
        self.stdout.write(f"已吊销 API 密钥“{key.name}”（前缀 {key.prefix}）。")

    def _list(self, **_: Any) -> None:
        for key in ApiKey.objects.select_related("department").order_by("created_at"):
            state = "启用" if key.is_active else "已吊销"
            expires = key.expires_at.isoformat() if key.expires_at else "永不过期"
            dept = key.department.code if key.department else "-"
            self.stdout.write(f"{key.prefix}\t{state}\t{key.name}\t{','.join(key.scopes)}\t{dept}\t{expires}")
