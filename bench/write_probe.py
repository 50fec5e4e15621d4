#!/usr/bin/env python3
"""Write-pause probe for the switchover benchmark.

Inserts one row at a time (autocommit) through HOST:PORT as fast as it can (at most one
every 5 ms) and prints the monotonic time of every acknowledged insert, one per line, to
stdout. On any error it reconnects. Stops after --seconds. Reads the password from
--password-file (never from argv).
"""
import argparse
import time

import pymysql


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="admin")
    p.add_argument("--password-file", required=True)
    p.add_argument("--seconds", type=float, required=True)
    # Also print the @@server_id of the member that took the insert, read once per connection
    # (HAProxy keeps a connection on one server): "TIME SERVER_ID".
    p.add_argument("--server-id", action="store_true")
    a = p.parse_args()
    with open(a.password_file) as f:
        password = f.read().strip()
    end = time.monotonic() + a.seconds
    conn = None
    n = 0
    while time.monotonic() < end:
        try:
            if conn is None:
                conn = pymysql.connect(host="127.0.0.1", port=a.port, user=a.user,
                                       password=password, autocommit=True,
                                       connect_timeout=2, read_timeout=5, write_timeout=5)
                conn.cursor().execute(
                    "CREATE TABLE IF NOT EXISTS bench.probe (id BIGINT AUTO_INCREMENT "
                    "PRIMARY KEY, t DOUBLE) ENGINE=InnoDB")
                sid = ""
                if a.server_id:
                    cur = conn.cursor()
                    cur.execute("SELECT @@server_id")
                    sid = f" {cur.fetchone()[0]}"
            n += 1
            conn.cursor().execute("INSERT INTO bench.probe (t) VALUES (%s)", (time.time(),))
            print(f"{time.monotonic():.4f}{sid}", flush=True)
        except Exception:  # any failure: a new connection, as a client would
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
            conn = None
            time.sleep(0.01)
        time.sleep(0.005)


if __name__ == "__main__":
    main()
