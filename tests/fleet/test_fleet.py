#!/usr/bin/env python3
"""Fleet tests through real processes on 127.0.0.1.

  haproxy_pg  three `teepkit tam serve` workers on one throwaway PostgreSQL
              server behind HAProxy (round robin per request), driven by
              fleet_load: 300 sessions from 20 concurrent agents, replays
              and two workers racing on one QueryResponse. Checks through
              the store, the metrics and the admin API that every session
              completed once, every report is stored once and no token was
              accepted twice.
  cli_json    `teepkit tam ... --json` prints the objects of the admin API.
  contrib     the systemd unit, HAProxy and TAM configuration examples pass
              systemd-analyze verify, haproxy -c and the TAM's parser.

Environment: TK_CLI (teepkit), TK_FLEET_LOAD (fleet_load), TK_PG_SERVER
(tools/pg-test-server.sh), TK_CONTRIB (contrib/), TK_FLEET_WORK (work
folder).
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fleet import SKIP, Failure, check, check_equal, run  # noqa: E402

AGENTS = 20
SESSIONS = 300
REPLAY_EVERY = 10
RACE_EVERY = 15
WORKERS = 3


def fleet_load(fleet, db, url, workers, *extra):
    """Runs the load driver and returns its JSON summary."""
    args = [os.environ["TK_FLEET_LOAD"], "--db", db, "--key-dir",
            fleet.path("keys"), "--url", url]
    for w in workers:
        args += ["--worker", w.url]
    proc = fleet.run(args + list(extra), expect=None, timeout=600)
    try:
        summary = json.loads(proc.stdout)
    except ValueError:
        raise Failure(f"fleet_load printed no JSON (exit {proc.returncode}):"
                      f"\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    if proc.returncode != 0:
        raise Failure(f"fleet_load exited with {proc.returncode}:\n"
                      f"{proc.stderr[-4000:]}\n{json.dumps(summary)}")
    return summary


def sum_series(workers, series):
    return sum(w.metrics().get(series, 0) for w in workers)


def case_haproxy_pg(fleet):
    if shutil.which("haproxy") is None and not os.path.exists(
            "/usr/sbin/haproxy"):
        print("haproxy is not installed (Debian package haproxy)")
        sys.exit(SKIP)
    db = fleet.start_postgres()
    init = json.loads(fleet.run([fleet.cli, "tam", "init", "--db", db,
                                 "--key-dir", fleet.path("keys"),
                                 "--json"]).stdout)
    check_equal(init["store"]["backend"], "postgresql", "store backend")
    workers = [fleet.start_worker(f"w{i + 1}", db, fleet.path("keys"))
               for i in range(WORKERS)]
    url = fleet.start_haproxy(workers)

    # One agent alone: round robin sends each message of a session to
    # another worker than the message before.
    alone = fleet_load(fleet, db, url, workers, "--agents", "1",
                       "--sessions", "6")
    check_equal(alone["completed"], 6, "sessions of the lone agent")
    check_equal(alone["crossed_sessions"], 6,
                "sessions of the lone agent served by several workers")
    check_equal(sorted(alone["messages_by_worker"]), ["w1", "w2", "w3"],
                "workers that served the lone agent")

    # Concurrent agents, replays and races.
    load = fleet_load(fleet, db, url, workers, "--agents", str(AGENTS),
                      "--sessions", str(SESSIONS), "--replay-every",
                      str(REPLAY_EVERY), "--race-every", str(RACE_EVERY))
    check_equal(load["completed"], SESSIONS, "completed sessions")
    check_equal(load["failures"], 0, "failed checks of fleet_load")
    replays = 2 * (SESSIONS // REPLAY_EVERY)
    races = SESSIONS // RACE_EVERY
    check_equal(load["replays"], {"rejected": replays, "accepted": 0},
                "replayed messages")
    check_equal(load["races"], {"single_winner": races, "other": 0},
                "QueryResponses raced on two workers")
    store = load["store"]
    for key in ("reports", "attestations", "sessions",
                "update_success_audits"):
        check_equal(store[key], SESSIONS, f"store {key}")
    check_equal(store["installed"], AGENTS, "installed components")
    check_equal(store["duplicate_report_sessions"], 0,
                "sessions with two reports")
    check_equal(store["sessions_without_report"], 0,
                "sessions without a report")
    check(load["crossed_sessions"] > SESSIONS // 2,
          f"only {load['crossed_sessions']} of {SESSIONS} sessions were "
          f"served by more than one worker")
    check_equal(len(load["messages_by_worker"]), WORKERS,
                "workers that served the load")
    for name, count in load["messages_by_worker"].items():
        check(count > SESSIONS // WORKERS,
              f"worker {name} served only {count} messages")

    # The workers' metrics add up to the same sessions.
    total = 6 + SESSIONS
    check_equal(sum_series(workers, "teepkit_tam_sessions_started_total"),
                total, "sessions started, summed over the workers")
    check_equal(sum_series(workers,
                           'teepkit_tam_sessions_total{outcome="success"}'),
                total, "sessions that ended with Success")
    check_equal(sum_series(workers,
                           'teepkit_tam_sessions_total{outcome="rejected"}'),
                replays + races, "rejected messages (replays, race losers)")
    check_equal(sum_series(workers,
                           'teepkit_tam_sessions_total{outcome="tam_error"}'),
                0, "TAM errors")
    check_equal(sum_series(workers,
                           'teepkit_http_requests_total{listener="teep",'
                           'code="409"}'),
                replays + races, "409 replies")
    for w in workers:
        m = w.metrics()
        check_equal(m.get('teepkit_fleet_reports{status="ok"}'), total,
                    f"fleet gauge of stored reports on {w.name}")
        info = [k for k in m if k.startswith("teepkit_info{")]
        check(len(info) == 1 and 'store="postgresql"' in info[0],
              f"teepkit_info of {w.name}: {info}")

    # The admin API of any worker reports the whole fleet.
    status, _, summary = workers[2].api("GET", "/api/v1/summary")
    check_equal(status, 200, "GET /api/v1/summary")
    check_equal(summary["reports"]["ok"], total, "reports in the summary")
    check_equal(summary["devices"]["active"], 1 + AGENTS,
                "active devices in the summary")
    check_equal(summary["worker"]["store"], "postgresql", "worker store")

    # Workers stop cleanly on SIGTERM.
    for w in workers:
        check_equal(fleet.stop(w.proc), 0, f"exit status of {w.name}")


def tam(fleet, db, *args):
    """Runs `teepkit tam ARGS --db DB --json` and parses its output."""
    out = fleet.run([fleet.cli, "tam", *args, "--db", db, "--json"]).stdout
    try:
        return json.loads(out)
    except ValueError:
        raise Failure(f"teepkit tam {' '.join(args)} printed no JSON:\n{out}")


def case_cli_json(fleet):
    db = fleet.path("tam.db")
    cli = fleet.cli
    init = tam(fleet, db, "init")
    check_equal(init["store"]["backend"], "sqlite", "init store backend")
    check_equal(init["keys_created"], True, "init keys_created")
    check(os.path.exists(init["cose_keys"]["esp256"]),
          "init names the ESP256 COSE_Key file")
    with open(fleet.path("app.json"), "w") as f:
        json.dump({"manifest-sequence-number": 7,
                   "components": [["fleet", "app"]]}, f)
    fleet.run([cli, "key", "generate", "--alg", "ES256", "-o", "author.pem"])
    fleet.run([cli, "key", "public", "author.pem", "-o", "author.pub"])
    fleet.run([cli, "key", "generate", "--alg", "ES256", "-o", "agent.pem"])
    fleet.run([cli, "key", "public", "agent.pem", "-o", "agent.pub"])
    fleet.run([cli, "suit", "create", "app.json", "-o", "app.unsigned"])
    fleet.run([cli, "suit", "sign", "--key", "author.pem", "app.unsigned",
               "-o", "app.suit"])

    device = tam(fleet, db, "device", "add", "--id", "0102030405060708",
                 "--agent-key", "agent.pub", "--hwmodel", "0102",
                 "--hwversion", "1.0", "--class", "lab", "--name", "bench")
    check_equal(device["ueid"], "0102030405060708", "device add ueid")
    check_equal(device["class"], "lab", "device add class")
    check_equal(device["name"], "bench", "device add name")
    check_equal([k["use"] for k in device["keys"]], ["agent"],
                "device add keys")
    check_equal([v["kind"] for v in device["reference_values"]],
                ["hwmodel", "hwversion"], "device add reference values")

    added = tam(fleet, db, "component", "add", "app.suit", "--signer",
                "author.pub", "--name", "app")
    check_equal(added["component"]["name"], "app", "component add name")
    check_equal(added["version"]["sequence"], 7, "component add sequence")
    component = str(added["component"]["id"])

    listed = tam(fleet, db, "component", "list")
    check_equal([(c["name"], c["version_count"], c["newest_sequence"])
                 for c in listed], [("app", 1, 7)], "component list")
    rule = tam(fleet, db, "policy", "set", "--device", "0102030405060708",
               "--component", component)
    check_equal(rule["action"], "install", "policy set action")
    check_equal(rule["device_id"], device["id"], "policy set device")
    rules = tam(fleet, db, "policy", "show")
    check_equal([r["id"] for r in rules], [rule["id"]], "policy show")

    devices = tam(fleet, db, "device", "list")
    check_equal([(d["ueid"], d["state"]) for d in devices],
                [("0102030405060708", "pending")], "device list")
    shown = tam(fleet, db, "device", "show", "0102030405060708")
    check_equal(shown["latest_attestation"], None, "device show attestation")
    check_equal(shown["installed"], [], "device show installed")
    check_equal(tam(fleet, db, "reports"), [], "reports")
    actions = [e["action"] for e in tam(fleet, db, "audit")]
    for action in ("class.add", "device.add", "component.add",
                   "policy.set"):
        check(any(a.startswith(action.split(".")[0]) for a in actions),
              f"audit lists no {action} entry: {actions}")

    # Errors keep their exit status and go to standard error as text.
    proc = fleet.run([cli, "tam", "device", "show", "ffff", "--db", db,
                      "--json"], expect=1)
    check_equal(proc.stdout, "", "output of a failed --json command")
    check("no device" in proc.stderr, "message of a failed --json command")
    fleet.run([cli, "tam", "serve", "--db", db, "--json"], expect=2)

    removed = tam(fleet, db, "device", "remove", "0102030405060708")
    check_equal(removed, {"removed": {"device": device["id"]}},
                "device remove")
    removed = tam(fleet, db, "component", "remove", component)
    check_equal(removed, {"removed": {"component": int(component)}},
                "component remove")
    check_equal(tam(fleet, db, "device", "list"), [], "device list after")


def case_contrib(fleet):
    """The files of contrib/ pass the checks of their own tools."""
    contrib = os.environ["TK_CONTRIB"]
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if os.path.exists(haproxy):
        fleet.run([haproxy, "-c", "-f",
                   os.path.join(contrib, "haproxy.cfg.example")])
    analyze = shutil.which("systemd-analyze")
    if analyze is not None:
        with open(os.path.join(contrib, "teepkit-tam.service")) as f:
            unit = f.read()
        check("/usr/local/bin/teepkit tam serve --config" in unit,
              "the unit does not start teepkit tam serve")
        # Point the unit at the built program, which exists here.
        path = fleet.path("teepkit-tam.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/teepkit", fleet.cli))
        proc = fleet.run([analyze, "verify", path], expect=0)
        check_equal(proc.stderr.strip(), "", "systemd-analyze verify")
    # The example configuration loads; its files are absent here, so the
    # command fails at the store, after the configuration was accepted.
    proc = fleet.run([fleet.cli, "tam", "device", "list", "--config",
                      os.path.join(contrib, "tam.conf.example"), "--db",
                      fleet.path("tam.db"), "--json"])
    check_equal(json.loads(proc.stdout), [], "device list of a new store")


if __name__ == "__main__":
    run({"haproxy_pg": case_haproxy_pg, "cli_json": case_cli_json,
         "contrib": case_contrib}, sys.argv)
