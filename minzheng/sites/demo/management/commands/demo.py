"""``minzheng demo [--persons N]``: the demo city, its staff and its people; prints the logins."""

from django.core.management.base import BaseCommand

from minzheng.foundation.cli import ProgressBar
from minzheng.foundation.demo import demo_logins_all
from minzheng.sites.demo.services import DEMO_PASSWORD, demo_build, demo_users


class Command(BaseCommand):
    help = "生成示范城市（瑞安市）：区划、各级各角色工作人员、示范人口"

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=3000, help="示范人口数（默认3000）")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, persons, seed, **opts):
        bar = None

        def progress(done, total):
            nonlocal bar
            bar = bar or ProgressBar("生成示范人口", total, self.stderr._out)
            bar.update(done)

        result = demo_build(persons=persons, seed=seed, log=lambda m: self.stderr.write(m), progress=progress)
        if bar:
            bar.close()
        self.stdout.write(f"\n示范登录（密码均为 {DEMO_PASSWORD}）：")
        for u in demo_users():
            self.stdout.write(f"  {u['username']:<22} {u['name']}")
        for login in demo_logins_all():  # the lines' other sign-ins (an institution account of the portal …)
            self.stdout.write(f"  {login.username:<22} {login.name}（{login.site}）")
        self.stdout.write(
            f"\n示范人口：{result['persons_total']} 人。工作台：http://127.0.0.1:8000/  接口文档：http://127.0.0.1:8000/api/v1/docs"
        )
