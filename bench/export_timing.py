"""Member exports at city scale: a staff member's whole tree written to a workbook, as the
Celery worker writes it (members.exports), in this one process against the bench database.

Prints `EXPORT who= rows= seconds= rows_per_s= cpu_s= file_kb= peak_mb=` for the district
staff member (13900000002) and, asked with `city`, for the city's superuser (13900000001, every
member: about ten minutes). The exports it made are deleted afterwards, files and rows.
"""

import resource
import sys
import time

from bench.django_process import setup_django

STAFF = {"district": "13900000002", "city": "13900000001"}


def main(args: list[str]) -> int:
    setup_django()
    from members import exports
    from members.models import MemberExport, User

    for who in ["district"] + [name for name in args if name == "city"]:
        user = User.objects.get_by_phone(STAFF[who])
        asked = exports.member_export_request(actor=user, query_string="", description="bench")
        wall, cpu = time.perf_counter(), time.process_time()
        export = exports.member_export_build(asked.pk)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if export is None or export.status != MemberExport.Status.READY:
            print(f"EXPORT who={who} failed={export and export.failure}")
            return 1
        size_kb = export.file.size // 1024
        print(f"EXPORT who={who} rows={export.row_count} seconds={wall:.1f} rows_per_s={export.row_count / wall:.0f} "
              f"cpu_s={cpu:.1f} file_kb={size_kb} peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}",
              flush=True)
        export.file.delete(save=False)
        export.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
