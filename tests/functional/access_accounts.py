"""Access table rows of invitations and password links (issue 11: items 2 and 3)."""

from .access_common import ROLES

# Links that do not exist: 404 for everyone, signed in or not (a link is opened by whoever holds it).
NO_SUCH_LINK = dict.fromkeys(ROLES, 404)

TABLE = [
    ("auth.forgot", "GET", {}, None, dict.fromkeys(ROLES, 200)),
    ("auth.forgot", "POST", {}, {"email": "nobody@example.id"}, dict.fromkeys(ROLES, 200)),
    ("auth.invitation", "GET", {"token": "no-such-token"}, None, NO_SUCH_LINK),
    ("auth.invitation", "POST", {"token": "no-such-token"}, {}, NO_SUCH_LINK),
    ("auth.reset", "GET", {"token": "no-such-token"}, None, NO_SUCH_LINK),
    ("auth.reset", "POST", {"token": "no-such-token"}, {}, NO_SUCH_LINK),
]

WRITES: list = []
