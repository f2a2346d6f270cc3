#!/usr/bin/env python3
"""Load figures for `sim class` (standard library only).

    python3 benches/class_load.py [target/release/sim]

Starts a session on a free loopback port with a fresh database, has 200
simulated students post predictions concurrently (each posts 5 times, as
students revise), and reports predictions stored per second; then times
explore reruns at the default cap (20 000 branches) and reports the median.
"""
import json, statistics, subprocess, sys, tempfile, threading, time, urllib.request

SIM = sys.argv[1] if len(sys.argv) > 1 else "target/release/sim"
SCENARIO = "scenarios/no_us_intervention.toml"
STUDENTS, POSTS, RERUNS = 200, 5, 9


def call(base, path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, json.loads(r.read() or b"null")


def main():
    db = tempfile.mkdtemp() + "/load.sqlite"
    server = subprocess.Popen([SIM, "class", SCENARIO, "--port", "0", "--db", db, "--explore-per-minute", "1000"],
                              stdout=subprocess.PIPE, text=True)
    try:
        base = None
        for line in server.stdout:
            if line.startswith("students:"):
                base = line.split()[1].rstrip("/")
                break
        _, res = call(base, "/api/revealed?scenario=no_us_intervention")
        ids = ["no_war", "dprk_unifies", "rok_unifies", "armistice_divided", "pusan_line_partition",
               "war_under_way", "superpower_war"]
        errors = []

        def student(k):
            for n in range(POSTS):
                p = {i: 0.0 for i in ids}
                p[ids[(k + n) % len(ids)]] = 1.0
                try:
                    status, _ = call(base, "/api/predictions",
                                     {"student": f"s{k}", "scenario": "no_us_intervention", "p": p, "reason": "load"})
                    if status != 201:
                        errors.append(status)
                except Exception as e:  # noqa: BLE001 - counted, reported below
                    errors.append(str(e))

        threads = [threading.Thread(target=student, args=(k,)) for k in range(STUDENTS)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - start
        print(f"{STUDENTS * POSTS} predictions from {STUDENTS} concurrent students in {took:.2f} s: "
              f"{STUDENTS * POSTS / took:.0f} predictions/s ({len(errors)} errors)")
        times = []
        for k in range(RERUNS):
            start = time.perf_counter()
            call(base, "/api/explore", {"scenario": "no_us_intervention",
                                        "set": {"truman.resolve_bar": 0.4 + 0.4 * k / (RERUNS - 1)}})
            times.append(time.perf_counter() - start)
        print(f"explore rerun at the default cap (20000 branches, paired): median {statistics.median(times) * 1000:.0f} ms "
              f"over {RERUNS}")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
