"""A small server-drawn bar chart (SVG) of claims and redemptions per day, for the back office.

No JavaScript and nothing downloaded: the admin page stays within the content security policy.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 200, 16, 28, 36
CLAIMED_COLOUR, REDEEMED_COLOUR = "#c62828", "#2e7d32"


def daily_chart_svg(days: list[tuple]) -> str:
    """`days`: [(date, claimed, redeemed)], oldest first."""
    if not days:
        return _("No coupons claimed yet.")
    days = days[-60:]  # the last two months fit the page
    peak = max(max(claimed, redeemed) for _day, claimed, redeemed in days) or 1
    slot = (WIDTH - LEFT) / len(days)
    bar = min(max(slot / 2 - 1, 1), 18)
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (day, claimed, redeemed) in enumerate(days):
        x = LEFT + index * slot
        for offset, count, colour, label in ((0, claimed, CLAIMED_COLOUR, _("claimed")),
                                             (bar, redeemed, REDEEMED_COLOUR, _("used"))):
            height = plot * count / peak
            bars.append((f"{x + offset:.1f}", f"{TOP + plot - height:.1f}", f"{bar:.1f}", f"{height:.1f}", colour,
                         f"{day:%m-%d} {label} {count}"))
        if index % max(len(days) // 8, 1) == 0:
            bars.append((f"{x:.1f}", str(HEIGHT - 8), "0", "0", "none", f"{day:%m-%d}"))
    rects = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
        (b for b in bars if b[4] != "none"),
    )
    labels = format_html_join(
        "", '<text x="{}" y="{}" font-size="12" fill="#5f6b76">{}</text>',
        ((b[0], b[1], b[5]) for b in bars if b[4] == "none"),
    )
    return format_html(
        '<svg viewBox="0 0 {w} {h}" width="100%" style="max-width:{w}px" role="img" aria-label="{aria}">'
        '<text x="0" y="{top}" font-size="12" fill="#5f6b76">{peak}</text>'
        '<line x1="{left}" y1="{base}" x2="{w}" y2="{base}" stroke="#c8cdd3"/>{rects}{labels}</svg>'
        '<p><span style="color:{c1}">■</span> {claimed} &nbsp; <span style="color:{c2}">■</span> {used}</p>',
        w=WIDTH, h=HEIGHT, aria=_("claims and redemptions per day"), top=TOP, peak=peak, left=LEFT,
        base=TOP + plot, rects=rects, labels=labels, c1=CLAIMED_COLOUR, c2=REDEEMED_COLOUR,
        claimed=_("claimed"), used=_("used"),
    )
