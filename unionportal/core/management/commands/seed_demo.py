from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app seeds its own demo data in <app>/demo.py, in this order (later apps use earlier ones).
DEMO_MODULES = ["members.demo", "stations.demo", "benefits.demo", "convalescence.demo"]


class Command(BaseCommand):
    help = "Load the demo federation (Quanzhou). Idempotent: running it again changes nothing."

    def handle(self, *args, **options):
        for module_name in DEMO_MODULES:
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
        from members.demo import DEMO_LOGINS, DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Logins (password %s):" % DEMO_PASSWORD))
        for phone, who in DEMO_LOGINS:
            self.stdout.write(f"  {phone}  {who}")
