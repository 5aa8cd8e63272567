"""Create or drop the throw-away PostgreSQL database of a test run: `pg_test_db.py create|drop NAME`."""

import os
import sys

import psycopg

ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def main() -> int:
    """Run the sub-command; exit 2 when the server cannot be reached."""
    action, name = sys.argv[1], sys.argv[2]
    if not name.replace("_", "").isalnum():
        print(f"refusing odd database name {name!r}", file=sys.stderr)
        return 1
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            if action == "create":
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
            elif action == "drop":
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                print(f"unknown action {action}", file=sys.stderr)
                return 1
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable at {ADMIN_URL}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
