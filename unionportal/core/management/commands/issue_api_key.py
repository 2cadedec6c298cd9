from django.core.management.base import BaseCommand, CommandError

from benefits.models import Merchant
from stations.models import Station
from unionportal.core.models import ApiKey
from unionportal.core.services import api_key_issue


class Command(BaseCommand):
    help = "Issue a partner API key and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. coupons:redeem,members:verify")
        parser.add_argument("--merchant", type=int, help="id of the merchant the key belongs to")
        parser.add_argument("--station", type=int, help="id of the station the key belongs to")

    def handle(self, *args, name, scopes, merchant=None, station=None, **options):
        wanted = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        unknown = sorted(set(wanted) - set(ApiKey.Scope.values))
        if not wanted or unknown:
            raise CommandError(f"unknown scopes: {', '.join(unknown) or '(none given)'}; known: {', '.join(ApiKey.Scope.values)}")
        try:
            merchant_obj = Merchant.objects.get(pk=merchant) if merchant else None
            station_obj = Station.objects.get(pk=station) if station else None
        except (Merchant.DoesNotExist, Station.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        raw, key = api_key_issue(name=name, scopes=wanted, merchant=merchant_obj, station=station_obj)
        self.stdout.write(f"API key for {key.name} (scopes {', '.join(key.scopes)}); it is shown only once:")
        self.stdout.write(raw)
