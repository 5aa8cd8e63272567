"""Access table rows of invitations and password links (issue 11: items 2 and 3)."""

from .access_common import ADMIN_ONLY, ADMIN_POST, LOGIN, ROLES

# Links that do not exist: 404 for everyone, signed in or not (a link is opened by whoever holds it).
NO_SUCH_LINK = dict.fromkeys(ROLES, 404)

TABLE = [
    ("admin.invitations", "GET", {}, None, ADMIN_ONLY),
    ("admin.invite_group", "GET", {}, None, ADMIN_ONLY),
    # Without SMTP (the tests' default) the group invitation is refused with a message: back to the list.
    ("admin.invite_group", "POST", {}, {}, ADMIN_POST),
    ("admin.user_invite", "POST", {"user_id": "facilitator2"}, {}, ADMIN_POST),
    # The link is shown on the answer page itself, never put in a flash message or an address.
    (
        "admin.user_link",
        "POST",
        {"user_id": "facilitator2"},
        {"purpose": "reset"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 403, "admin": 200},
    ),
    ("auth.forgot", "GET", {}, None, dict.fromkeys(ROLES, 200)),
    ("auth.forgot", "POST", {}, {"email": "nobody@example.id"}, dict.fromkeys(ROLES, 200)),
    ("auth.invitation", "GET", {"token": "no-such-token"}, None, NO_SUCH_LINK),
    ("auth.invitation", "POST", {"token": "no-such-token"}, {}, NO_SUCH_LINK),
    ("auth.reset", "GET", {"token": "no-such-token"}, None, NO_SUCH_LINK),
    ("auth.reset", "POST", {"token": "no-such-token"}, {}, NO_SUCH_LINK),
]

WRITES = [
    ("admin.invite_group", {}, {"admin"}),
    ("admin.user_invite", {"user_id": "facilitator2"}, {"admin"}),
    ("admin.user_link", {"user_id": "facilitator2"}, {"admin"}),
]
