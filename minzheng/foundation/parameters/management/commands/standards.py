"""``minzheng standards list|set``: the standards in force for a place and date, and setting one."""

import datetime as dt
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from minzheng.foundation.audit.context import Actor, acting_as
from minzheng.foundation.parameters import standards as st
from minzheng.foundation.parameters.models import Standard
from minzheng.foundation.parameters.selectors import standards_in_force
from minzheng.foundation.parameters.services import standard_set
from minzheng.foundation.regions.selectors import region_get


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期 {value!r} 格式应为 YYYY-MM-DD") from None


def _region(code: str) -> str:
    if not code:
        return ""
    region = region_get(code)
    if region is None:
        raise CommandError(f"区划代码 {code} 不存在")
    return region.code


class Command(BaseCommand):
    help = "保障标准：minzheng standards list --region CODE [--hukou urban|rural] [--date D] | set KEY VALUE …"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="列出某区划、户籍类型、日期适用的全部标准")
        ls.add_argument("--region", default="", help="12位区划代码或6位代码；省略为全国默认")
        ls.add_argument("--hukou", default="urban", choices=["urban", "rural"])
        ls.add_argument("--date", default="", help="适用日期，默认今天")
        ls.add_argument("--key", default="", help="只列出该标准类型的全部版本")
        ls.add_argument("--json", action="store_true", help="输出 JSON")
        s = sub.add_parser("set", help="自某日起设定一个标准（原标准在该日截止，历史保留）")
        s.add_argument("key")
        s.add_argument("value")
        s.add_argument("--region", default="", help="12位区划代码或6位代码；省略为全国默认")
        s.add_argument("--hukou", default="", choices=["", "urban", "rural"], help="省略为城乡通用")
        s.add_argument("--mode", default="", help="方式/档次，如 dispersed、partial、C")
        s.add_argument("--from", dest="effective_from", required=True, help="起始日期 YYYY-MM-DD")
        s.add_argument("--source", default="", help="依据文件（文号、条款）")

    def handle(self, *args, action, **o):
        if action == "set":
            return self._set(**o)
        region = _region(o["region"])
        on = _date(o["date"]) if o["date"] else dt.date.today()
        if o["key"]:
            if o["key"] not in st.TYPES:
                raise CommandError(f"不认识的标准类型：{o['key']}（可用：{'、'.join(st.TYPES)}）")
            rows = Standard.objects.filter(key=o["key"], region_code__in=st.ancestor_codes(region or "0" * 12))
            rows = [
                {"region_code": r.region_code or "全国", "hukou_type": r.hukou_type or "通用", "mode": r.mode,
                 "effective_from": r.effective_from.isoformat(),
                 "effective_to": r.effective_to.isoformat() if r.effective_to else None,
                 "value": st.display(st.value_of(r)), "source_document": r.source_document}
                for r in rows.order_by("region_code", "hukou_type", "mode", "effective_from")
            ]  # fmt: skip
        else:
            rows = [
                {"key": t.key, "label": t.label, "mode": mode, "value": None if value is None else st.display(value),
                 "unit": t.unit, "region_code": (row.region_code or "全国") if row else None,
                 "effective_from": row.effective_from.isoformat() if row else None,
                 "source_document": row.source_document if row else ""}
                for t, mode, value, row in standards_in_force(region_code=region or "0" * 12, hukou_type=o["hukou"], as_of=on)
            ]  # fmt: skip
        if o["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            if o["key"]:
                self.stdout.write(
                    f"{r['region_code']:<12} {r['hukou_type']:<5} {r['mode']:<11} {r['effective_from']} → "
                    f"{r['effective_to'] or '      至今'}  {r['value']:>10}  {r['source_document']}"
                )
            else:
                label = r["label"] + (f"〔{r['mode']}〕" if r["mode"] else "")
                value = "未配置" if r["value"] is None else f"{r['value']} {r['unit']}"
                where = f"（{r['region_code']} 自 {r['effective_from']}）" if r["region_code"] else ""
                self.stdout.write(f"{r['key']:<34} {label:<24} {value}{where}")

    def _set(self, *, key, value, region, hukou, mode, effective_from, source, **_):
        try:
            with acting_as(Actor(None, "cli", "", "cli")):
                row = standard_set(
                    user=None, key=key, region_code=_region(region), hukou_type=hukou, mode=mode, value=value,
                    effective_from=_date(effective_from), source_document=source,
                )  # fmt: skip
        except ValidationError as exc:
            msgs = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise CommandError("；".join(m for v in msgs.values() for m in v)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        out = {
            "key": row.key, "region_code": row.region_code, "hukou_type": row.hukou_type, "mode": row.mode,
            "effective_from": row.effective_from.isoformat(),
            "effective_to": row.effective_to.isoformat() if row.effective_to else None,
            "value": st.display(st.value_of(row)),
        }  # fmt: skip
        self.stdout.write(json.dumps(out, ensure_ascii=False))
