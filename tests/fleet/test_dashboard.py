#!/usr/bin/env python3
"""The dashboard of the admin listener in headless Chromium, with a real
TAM (`teepkit tam serve --admin` on SQLite) and a real teep-agent behind
it. The device, the component and the policy are set up through the
admin REST API, the agent installs the component, and the page must then
show the device, the component with its version, the attestation result
and the SUIT report. A second component, which no device has, checks
that the component list reads every component's devices per version in
one API request. Screenshots of every view go to the screenshots folder
of the test's work folder.

Environment: TK_CLI, TK_AGENT, TK_FLEET_WORK (see fleet.py).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cdp import Browser, find_chromium  # noqa: E402
from fleet import (LOOPBACK, SKIP, Failure, check, check_equal,  # noqa: E402
                   run)

VENDOR_ID = "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe"
CLASS_ID = "1492af14-2569-5e48-bf42-9b2d51f2ab45"
COMPONENT = ["fleet", "hello"]
SPARE_COMPONENT = ["fleet", "spare"]
TOKEN_KEY = "teepkit-admin-token"


def make_envelope(fleet, payload, component=COMPONENT, name="hello"):
    """Writes a signed SUIT envelope that installs payload (integrated in
    the envelope) under component, in files named after name. The first
    call makes the signing key author.pem. Returns (envelope bytes,
    signer public key path)."""
    cli = fleet.cli
    with open(fleet.path(f"{name}.bin"), "wb") as f:
        f.write(payload)

    spec = {
        "manifest-sequence-number": 1,
        "components": [component],
        "shared-sequence": [
            {"directive-override-parameters": {
                "vendor-id": VENDOR_ID, "class-id": CLASS_ID,
                "image-digest": {"file": f"{name}.bin"},
                "image-size": {"file": f"{name}.bin"}}},
            {"condition-vendor-identifier": 15},
            {"condition-class-identifier": 15}],
        "install": [
            {"directive-override-parameters": {
                "content": {"file": f"{name}.bin"}}},
            {"directive-write": 15},
            {"condition-image-match": 15}],
        "validate": [{"condition-image-match": 15}],
    }
    with open(fleet.path(f"{name}.json"), "w") as f:
        json.dump(spec, f)

    if not os.path.exists(fleet.path("author.pem")):
        fleet.run([cli, "key", "generate", "--alg", "ES256", "-o",
                   "author.pem"])
        fleet.run([cli, "key", "public", "author.pem", "-o", "author.pub"])
    fleet.run([cli, "suit", "create", f"{name}.json", "-o",
               f"{name}.unsigned"])
    fleet.run([cli, "suit", "sign", "--key", "author.pem", f"{name}.unsigned",
               "-o", f"{name}.suit"])
    with open(fleet.path(f"{name}.suit"), "rb") as f:
        return f.read(), fleet.path("author.pub")


def file_hex(path):
    with open(path, "rb") as f:
        return f.read().hex()


def api_ok(worker, method, path, body=None, content_type=None, status=200):
    got, _, reply = worker.api(method, path, body, content_type)
    check_equal(got, status, f"{method} {path} ({reply})")
    return reply


def set_up(fleet):
    """Starts the TAM, registers the device and the component through the
    API, and runs one teep-agent session. Returns (worker, ueid,
    component number)."""
    cli = fleet.cli
    agent = os.environ["TK_AGENT"]
    fleet.run([cli, "tam", "init", "--db", fleet.path("tam.db")])
    envelope, signer = make_envelope(fleet, b"hello from the fleet test\n")
    worker = fleet.start_worker("tam", fleet.path("tam.db"),
                                fleet.path("tam-keys"),
                                extra=["--signer", signer])
    identity = json.loads(fleet.run(
        [agent, "init", "--store", fleet.path("device"), "--hwmodel",
         "dashboard-test-model", "--vendor-id", VENDOR_ID, "--class-id",
         CLASS_ID, "--json"]).stdout)
    ueid = identity["ueid"]
    device = api_ok(worker, "POST", "/api/v1/devices", {
        "ueid": ueid,
        "name": "dashboard test device",
        "class": "lab",
        "agent_keys": [file_hex(k["cose"]) for k in identity["agent-keys"]],
        "attestation_keys": [file_hex(identity["attestation-key"]["cose"])],
        "hwmodel": [identity["hwmodel"]],
    }, status=201)
    check_equal(device["state"], "pending", "state of the new device")
    added = api_ok(worker, "POST", "/api/v1/components?name=hello", envelope,
                   "application/suit-envelope+cose", status=201)
    component = added["component"]["id"]
    spare, _ = make_envelope(fleet, b"not installed anywhere\n",
                             SPARE_COMPONENT, "spare")
    api_ok(worker, "POST", "/api/v1/components?name=spare", spare,
           "application/suit-envelope+cose", status=201)
    api_ok(worker, "PUT", f"/api/v1/devices/{ueid}/policy/{component}",
           {"action": "install"})

    keys = os.path.join(fleet.path("tam-keys"))
    proc = fleet.run([agent, "--tam", worker.url, "--store",
                      fleet.path("device"), "--tam-key",
                      os.path.join(keys, "tam-esp256.pub.cose"), "--tam-key",
                      os.path.join(keys, "tam-ed25519.pub.cose"),
                      "--signer-key", signer, "--timeout", "30"],
                     expect=None)
    check_equal(proc.returncode, 0, f"teep-agent exit status\n{proc.stderr}")
    shown = json.loads(fleet.run([agent, "show", "--store",
                                  fleet.path("device"), "--json"]).stdout)
    check(len(shown.get("components", [])) == 1,
          f"the device has no component after the session: {shown}")
    return worker, ueid, component


def text_of(browser, selector):
    """Returns the text of the first element matching selector, or ''."""
    return browser.evaluate(
        f"(document.querySelector({json.dumps(selector)}) || "
        f"{{textContent: ''}}).textContent")


def show(browser, base, hash_path, shots, name):
    """Opens a view of the dashboard, waits until it has loaded and saves
    a screenshot."""
    browser.evaluate("document.getElementById('main').dataset.state = "
                     "'navigating'")
    browser.evaluate(f"location.hash = {json.dumps(hash_path)}")
    state = browser.wait_for(
        "['ready', 'error'].includes(document.getElementById('main')"
        ".dataset.state) && document.getElementById('main').dataset.state")
    browser.screenshot(os.path.join(shots, name))
    if state != "ready":
        raise Failure(f"{base}/{hash_path} shows an error: "
                      f"{text_of(browser, '#error')}")


def sign_in(browser, token):
    browser.evaluate("document.getElementById('token').focus()")
    browser.insert_text(token)
    browser.evaluate("document.getElementById('sign-in').click()")


def case_dashboard(fleet):
    chromium = find_chromium()
    if chromium is None:
        print("chromium is not installed (Debian package chromium)")
        sys.exit(SKIP)
    worker, ueid, component = set_up(fleet)
    base = f"http://{LOOPBACK}:{worker.admin_port}"
    shots = fleet.path("screenshots")
    os.makedirs(shots)
    browser = Browser(chromium, fleet.path("chromium-profile"),
                      fleet.path("chromium.log"))
    try:
        check_views(browser, fleet, base, shots, ueid, component)
    finally:
        browser.close()
    print(f"screenshots: {shots}")


def check_views(browser, fleet, base, shots, ueid, component):
    browser.navigate(base + "/")
    browser.wait_for("document.getElementById('main') && "
                     "document.getElementById('main').dataset.state === "
                     "'signed-out'")
    browser.screenshot(os.path.join(shots, "01-sign-in.png"))

    # A wrong token leads back to the sign-in form with the API's reason.
    sign_in(browser, "not-the-admin-token-0000")
    browser.wait_for("document.getElementById('login-error').textContent"
                     ".includes('invalid bearer token')")
    browser.screenshot(os.path.join(shots, "02-wrong-token.png"))
    check_equal(browser.evaluate(
        f"sessionStorage.getItem('{TOKEN_KEY}')"), None,
        "token kept after a rejected sign-in")

    sign_in(browser, fleet.token)
    browser.wait_for("document.getElementById('main').dataset.state === "
                     "'ready'")
    browser.screenshot(os.path.join(shots, "03-overview.png"))
    check_equal(browser.evaluate(
        "getComputedStyle(document.getElementById('login')).display"),
        "none", "display of the sign-in form after signing in")
    check_equal(text_of(browser, "#card-devices .value"), "1",
                "devices on the overview")
    check_equal(text_of(browser, "#card-components .value"), "2",
                "components on the overview")
    check_equal(text_of(browser, "#card-affirming .value"), "1",
                "affirming attestations on the overview")
    check_equal(text_of(browser, "#card-reports-ok .value"), "1",
                "successful reports on the overview")
    check_equal(browser.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')"),
                fleet.token, "token in sessionStorage")
    check_equal(browser.evaluate("localStorage.length"), 0,
                "entries in localStorage")

    show(browser, base, "#/devices", shots, "04-devices.png")
    devices = text_of(browser, "#device-table")
    check(ueid in devices, f"the device list lacks {ueid}: {devices}")
    check("active" in devices, f"the device is not active: {devices}")

    show(browser, base, f"#/devices/{ueid}", shots, "05-device.png")
    installed = text_of(browser, "#installed-table")
    check("hello" in installed, f"installed components: {installed}")
    check_equal(browser.evaluate(
        "document.querySelector('#installed-table tbody tr td:nth-child(3)')"
        ".textContent"), "1", "installed sequence number")
    attestation = text_of(browser, "#attestation")
    check("affirming" in attestation, f"attestation result: {attestation}")
    check_equal(text_of(browser, "#attestation .verdict-affirming"),
                "affirming", "verdict of the last attestation")
    reports = text_of(browser, "#report-table")
    check_equal(text_of(browser, "#report-table .status-ok"), "ok",
                f"result of the SUIT report ({reports})")
    check("dashboard test device" in text_of(browser, "#device-facts"),
          "the device's name is missing")
    report_link = browser.evaluate(
        "document.querySelector('#report-table a') && "
        "document.querySelector('#report-table a').getAttribute('href')")
    check(report_link is not None, "no link to the report")

    # Record the page's API requests: the component list must take one.
    browser.evaluate(
        "window.apiRequests = []; window.realFetch = window.realFetch || "
        "window.fetch; window.fetch = (url, options) => { "
        "window.apiRequests.push(String(url)); "
        "return window.realFetch(url, options); }; true")
    show(browser, base, "#/components", shots, "06-components.png")
    check_equal(browser.evaluate("window.apiRequests"),
                ["/api/v1/components?include=devices&limit=50"],
                "API requests of the component list")
    rows = browser.evaluate(
        "Array.from(document.querySelectorAll('#component-table tbody tr'))"
        ".map((row) => Array.from(row.cells).map((c) => c.textContent))")
    check_equal(len(rows), 2, f"rows of the component list ({rows})")
    by_name = {row[0]: row for row in rows}
    check("hello" in by_name and "spare" in by_name,
          f"component list: {rows}")
    check_equal(by_name["hello"][2], "sequence 1: 1 device",
                "devices per version of hello")
    check_equal(by_name["hello"][3], "1", "devices that have hello")
    check_equal(by_name["spare"][2], "sequence 1: 0 devices",
                "devices per version of spare")
    check_equal(by_name["spare"][3], "0", "devices that have spare")

    show(browser, base, f"#/components/{component}", shots,
         "07-component.png")
    check(ueid in text_of(browser, "#holder-table"),
          "the component's device list lacks the device")
    check_equal(text_of(browser, "#version-table tbody td"), "1",
                "sequence of the component's version")

    show(browser, base, report_link, shots, "08-report.png")
    check(len(text_of(browser, "#report-diag")) > 10,
          "the report's diagnostic notation is empty")

    show(browser, base, "#/audit", shots, "09-audit.png")
    audit = text_of(browser, "#audit-table")
    for action in ("device.add", "policy.set", "update.success"):
        check(action in audit, f"the audit log lacks {action}: {audit}")

    # The token survives a reload of the tab, and signing out drops it.
    browser.navigate(base + "/#/devices")
    browser.wait_for("document.getElementById('main').dataset.state === "
                     "'ready'")
    browser.evaluate("document.getElementById('sign-out').click()")
    browser.wait_for("document.getElementById('main').dataset.state === "
                     "'signed-out'")
    check_equal(browser.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')"),
                None, "token after signing out")
    check_equal(browser.evaluate(
        "getComputedStyle(document.getElementById('nav')).display"),
        "none", "display of the navigation after signing out")


if __name__ == "__main__":
    run({"dashboard": case_dashboard}, sys.argv)
