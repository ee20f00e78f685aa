"""`onetrip audit seal` seals pending audit events; `onetrip audit verify` checks the whole chain."""

from django.core.management.base import BaseCommand, CommandError

from onetrip.core.audit import audit_seal, audit_verify


class Command(BaseCommand):
    help = "审计日志：封存（seal）或校验（verify）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["seal", "verify"])

    def handle(self, *args, action: str, **options):  # type: ignore[no-untyped-def]
        if action == "seal":
            self.stdout.write(f"已封存 {audit_seal()} 条审计记录")
            return
        check = audit_verify()
        if not check.ok:
            raise CommandError(
                f"审计链校验失败：第 {check.first_bad_seq} 条记录被篡改或缺失（已校验 {check.checked} 条）"
            )
        self.stdout.write(f"审计链完整：已校验 {check.checked} 条，待封存 {check.unsealed} 条")
