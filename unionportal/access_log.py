"""gunicorn's access log without clear ID or mobile numbers.

Staff find a member by a full ID or mobile number (`?q=` in the API and the back office), and
the request line and the next page's Referer would carry it into the access log in clear.
"""

from gunicorn.glogging import Logger

from unionportal.core.pii import mask_personal_numbers

# The atoms that carry a URL; the rest (status, sizes, times, agent) hold no personal numbers.
_URL_ATOMS = ("r", "U", "q", "f", "{referer}i")


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = mask_personal_numbers(atoms[name])
        return atoms
