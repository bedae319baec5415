// Dashboard of the teepkit TAM: reads the admin REST API (/api/v1, see
// docs/openapi.yaml) with the bearer token that the operator enters once.
// The token stays in sessionStorage, so it lives as long as the tab.
// Every value from the API is put into the page as text, never as HTML.
"use strict";

const TOKEN_KEY = "teepkit-admin-token";
const PAGE = 50;

const main = document.getElementById("main");

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

// Raised when the API rejects the token, so the page requests it again.
class Unauthorized extends Error {}

async function api(path) {
  const reply = await fetch("/api/v1" + path, {
    headers: { Authorization: "Bearer " + token(), Accept: "application/json" },
    cache: "no-store",
  });
  let body = null;
  try {
    body = await reply.json();
  } catch (e) {
    body = null;
  }
  if (reply.status === 401) {
    throw new Unauthorized(body && body.message ? body.message : "invalid token");
  }
  if (!reply.ok) {
    const message = body && body.message ? body.message : reply.statusText;
    throw new Error(`${path}: ${reply.status} ${message}`);
  }
  return body;
}

// ---- Building the page ------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function link(href, text) {
  return el("a", { href }, text);
}

function when(time) {
  return time ? time.replace("T", " ").replace("Z", " UTC") : "never";
}

function table(columns, rows, id) {
  if (rows.length === 0) {
    return el("p", { class: "empty", id }, "None.");
  }
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c.title)));
  const body = rows.map((row) =>
    el("tr", {}, ...columns.map((c) => el("td", { class: c.mono ? "mono" : null }, c.cell(row))))
  );
  return el("table", { id }, el("thead", {}, head), el("tbody", {}, ...body));
}

function facts(pairs, id) {
  const list = el("dl", { class: "facts", id });
  for (const [label, value] of pairs) {
    list.append(el("dt", {}, label), el("dd", {}, value));
  }
  return list;
}

function card(label, value, id) {
  return el("div", { class: "card", id }, el("div", { class: "value" }, value), el("div", { class: "label" }, label));
}

function verdict(text) {
  return el("span", { class: "verdict-" + text }, text);
}

function show(...nodes) {
  main.replaceChildren(...nodes);
}

// A "Next page" button that calls load(cursor).
function pager(next) {
  if (!next) return null;
  return el("p", {}, el("button", { type: "button", id: "next-page" }, "Next page"));
}

function bindPager(node, next, load) {
  const button = node.querySelector("#next-page");
  if (button) button.addEventListener("click", () => load(next));
}

// ---- Views -------------------------------------------------------------------

async function overview() {
  const [summary, audit] = await Promise.all([api("/summary"), api("/audit?order=desc&limit=10")]);
  const d = summary.devices;
  const a = summary.attestations;
  const w = summary.worker || {};
  return [
    el("h2", {}, "Fleet"),
    el(
      "div",
      { class: "cards", id: "fleet-cards" },
      card("devices", d.total, "card-devices"),
      card("active", d.active),
      card("pending", d.pending),
      card("blocked", d.blocked),
      card("components", summary.components, "card-components"),
      card("versions", summary.versions),
      card("open sessions", summary.open_sessions),
      card("reports ok", summary.reports.ok, "card-reports-ok"),
      card("reports failed", summary.reports.failed)
    ),
    el("h2", {}, "Attestation results"),
    el(
      "div",
      { class: "cards" },
      card("affirming", a.affirming, "card-affirming"),
      card("warning", a.warning),
      card("contraindicated", a.contraindicated),
      card("failed", a.failed)
    ),
    el("h2", {}, "This worker"),
    facts(
      [
        ["store", w.store],
        ["version", w.version],
        ["requests", w.requests],
        ["sessions started", w.sessions_started],
        ["updates sent", w.updates_sent],
        ["rejected", w.rejected],
      ],
      "worker"
    ),
    el("h2", {}, "Recent audit entries"),
    auditTable(audit.items),
  ];
}

async function devices(cursor) {
  const page = await api(`/devices?limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
  const columns = [
    { title: "Device (UEID)", mono: true, cell: (d) => link(`#/devices/${d.ueid}`, d.ueid) },
    { title: "Name", cell: (d) => d.name || "" },
    { title: "Class", cell: (d) => d.class || "" },
    { title: "State", cell: (d) => el("span", { class: "state-" + d.state }, d.state) },
    { title: "Last seen", cell: (d) => when(d.last_seen) },
  ];
  const nodes = [el("h2", {}, "Devices"), table(columns, page.items, "device-table"), pager(page.next_cursor)];
  return { nodes, next: page.next_cursor, load: devices };
}

function claimsText(claims) {
  if (!claims) return "";
  if (typeof claims === "string") return claims;
  return Object.entries(claims)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(", ");
}

async function device(ueid) {
  const d = await api(`/devices/${encodeURIComponent(ueid)}`);
  const att = d.latest_attestation;
  const installed = table(
    [
      { title: "Component", cell: (i) => (i.component ? link(`#/components/${i.component}`, i.name || i.component_id_diag) : i.component_id_diag) },
      { title: "Component id", mono: true, cell: (i) => i.component_id_diag },
      { title: "Sequence", cell: (i) => i.sequence },
      { title: "Reported", cell: (i) => when(i.reported) },
    ],
    d.installed,
    "installed-table"
  );
  const attestation = att
    ? facts(
        [
          ["verdict", verdict(att.verdict)],
          ["reason", att.reason_name ? `${att.reason_name}: ${att.reason}` : att.reason || "-"],
          ["time", when(att.created)],
          ["claims", el("span", { class: "mono" }, claimsText(att.claims))],
        ],
        "attestation"
      )
    : el("p", { class: "empty", id: "attestation" }, "No attestation yet.");
  const reports = table(
    [
      { title: "Report", cell: (r) => link(`#/reports/${r.id}`, `#${r.id}`) },
      { title: "Result", cell: (r) => el("span", { class: "status-" + r.status }, r.status) },
      { title: "Session", cell: (r) => r.session_id },
      { title: "Bytes", cell: (r) => r.size },
      { title: "Time", cell: (r) => when(r.created) },
    ],
    d.recent_reports,
    "report-table"
  );
  const policy = table(
    [
      { title: "Rule", cell: (p) => p.id },
      { title: "Component", cell: (p) => link(`#/components/${p.component}`, p.component_name || p.component) },
      { title: "Action", cell: (p) => p.action },
    ],
    d.policy,
    "policy-table"
  );
  const keys = table(
    [
      { title: "Use", cell: (k) => k.use },
      { title: "Algorithm", cell: (k) => k.alg },
      { title: "kid", mono: true, cell: (k) => k.kid },
    ],
    d.keys,
    "key-table"
  );
  return [
    el("h2", {}, "Device ", el("span", { class: "mono", id: "device-ueid" }, d.ueid)),
    facts(
      [
        ["name", d.name || "-"],
        ["class", d.class || "-"],
        ["state", el("span", { class: "state-" + d.state, id: "device-state" }, d.state)],
        ["registered", when(d.created)],
        ["last seen", when(d.last_seen)],
      ],
      "device-facts"
    ),
    el("h2", {}, "Installed components"),
    installed,
    el("h2", {}, "Last attestation result"),
    attestation,
    el("h2", {}, "SUIT reports"),
    reports,
    el("h2", {}, "Policy"),
    policy,
    el("h2", {}, "Keys"),
    keys,
  ];
}

async function components(cursor) {
  // One request: include=devices adds each component's devices per version.
  const page = await api(
    `/components?include=devices&limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "")
  );
  const columns = [
    { title: "Component", cell: (c) => link(`#/components/${c.id}`, c.name || `#${c.id}`) },
    { title: "Component id", mono: true, cell: (c) => c.component_id_diag },
    {
      title: "Versions (devices)",
      cell: (c) =>
        el(
          "ul",
          { class: "versions" },
          ...c.versions.map((v) => el("li", {}, `sequence ${v.sequence}: ${v.devices} device${v.devices === 1 ? "" : "s"}`))
        ),
    },
    // The counts stop after 100,000 devices of one component.
    { title: "Installed on", cell: (c) => `${c.installed_devices}${c.installed_counts_complete ? "" : " or more"}` },
  ];
  const nodes = [el("h2", {}, "Components"), table(columns, page.items, "component-table"), pager(page.next_cursor)];
  return { nodes, next: page.next_cursor, load: components };
}

async function component(id) {
  const [c, holders] = await Promise.all([api(`/components/${id}`), api(`/components/${id}/devices?limit=1000`)]);
  return [
    el("h2", {}, "Component ", el("span", { id: "component-name" }, c.name)),
    facts(
      [
        ["number", c.id],
        ["component id", el("span", { class: "mono" }, c.component_id_diag)],
        ["added", when(c.created)],
      ],
      "component-facts"
    ),
    el("h2", {}, "Versions"),
    table(
      [
        { title: "Sequence", cell: (v) => v.sequence },
        { title: "Devices", cell: (v) => v.devices },
        { title: "Bytes", cell: (v) => v.size },
        { title: "Digest", mono: true, cell: (v) => v.digest },
        { title: "Uploaded", cell: (v) => when(v.uploaded) },
      ],
      c.versions,
      "version-table"
    ),
    el("h2", {}, "Devices that have it"),
    table(
      [
        { title: "Device", mono: true, cell: (h) => link(`#/devices/${h.ueid}`, h.ueid) },
        { title: "Sequence", cell: (h) => h.sequence },
        { title: "Reported", cell: (h) => when(h.reported) },
      ],
      holders.items,
      "holder-table"
    ),
  ];
}

async function report(id) {
  const r = await api(`/reports/${id}`);
  return [
    el("h2", {}, `SUIT report #${r.id}`),
    facts(
      [
        ["result", el("span", { class: "status-" + r.status }, r.status)],
        ["session", r.session_id],
        ["item", r.item],
        ["time", when(r.created)],
      ],
      "report-facts"
    ),
    el("pre", { id: "report-diag" }, r.report_diag),
  ];
}

function auditTable(items) {
  return table(
    [
      { title: "Time", cell: (e) => when(e.time) },
      { title: "Actor", cell: (e) => e.actor },
      { title: "Action", cell: (e) => e.action },
      { title: "Object", mono: true, cell: (e) => e.object },
      { title: "Detail", cell: (e) => e.detail },
    ],
    items,
    "audit-table"
  );
}

async function audit(cursor) {
  const page = await api(`/audit?order=desc&limit=${PAGE}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
  return { nodes: [el("h2", {}, "Audit log"), auditTable(page.items), pager(page.next_cursor)], next: page.next_cursor, load: audit };
}

// ---- Routing and sign-in -------------------------------------------------------

const routes = [
  [/^#?\/?$/, overview],
  [/^#\/devices$/, devices],
  [/^#\/devices\/([0-9a-fA-F]+)$/, device],
  [/^#\/components$/, components],
  [/^#\/components\/([0-9]+)$/, component],
  [/^#\/reports\/([0-9]+)$/, report],
  [/^#\/audit$/, audit],
];

// Counts routes and sign-outs, so that a page whose requests finish after
// the user signed out or moved on is dropped instead of shown.
let routeGeneration = 0;

// Shows the page of view; returns false when a sign-out or another route
// came while its requests ran, and nothing was shown.
async function render(view, arg, generation = routeGeneration) {
  const result = await view(arg);
  if (generation !== routeGeneration) {
    return false;
  }
  if (Array.isArray(result)) {
    show(...result);
    return true;
  }
  show(...result.nodes.filter((n) => n));
  bindPager(main, result.next, async (next) => {
    await render(result.load, next);
  });
  return true;
}

async function route() {
  const generation = ++routeGeneration;
  if (!token()) {
    signIn("");
    return;
  }
  document.getElementById("nav").hidden = false;
  document.getElementById("login").hidden = true;
  const hash = location.hash || "#/";
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("current", hash === a.getAttribute("href") || hash.startsWith(a.getAttribute("href") + "/"));
  }
  main.setAttribute("data-state", "loading");
  try {
    const match = routes.find(([pattern]) => pattern.test(hash));
    if (!match) {
      show(el("p", { class: "error" }, `No page at ${hash}.`));
    } else {
      const arg = hash.match(match[0])[1];
      if (!(await render(match[1], arg, generation))) {
        return;
      }
    }
    main.setAttribute("data-state", "ready");
  } catch (e) {
    if (generation !== routeGeneration) {
      return;
    }
    if (e instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      signIn(e.message);
      return;
    }
    show(el("p", { class: "error", id: "error" }, e.message));
    main.setAttribute("data-state", "error");
  }
}

function signIn(message) {
  routeGeneration++;
  document.getElementById("nav").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message;
  main.replaceChildren();
  main.setAttribute("data-state", "signed-out");
  document.getElementById("token").focus();
}

document.getElementById("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  route();
});

document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  signIn("");
});

window.addEventListener("hashchange", route);
route();
