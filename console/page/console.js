// drill's facilitator console: follows the drill's event stream and acts
// through the drill's own control APIs (the ones drill ack, role, note,
// runbook, inject and clear call). No framework, no build step.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get("token") || "";
  const st = { hello: null, base: null, steps: [], faults: {}, alerts: {}, evidence: {}, notified: {}, up: false };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function pad(n) { return String(n).padStart(2, "0"); }
  function offset(at) {
    if (!at) return "";
    if (!st.base) return "+00:00";
    let s = Math.max(0, Math.round((new Date(at) - st.base) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s %= 60;
    return h > 0 ? `+${h}:${pad(m)}:${pad(s)}` : `+${pad(m)}:${pad(s)}`;
  }
  function clock(at) {
    if (!at) return;
    const d = new Date(at);
    if (isNaN(d)) return;
    $("clock").textContent = d.toISOString().slice(11, 19);
    $("offset").textContent = offset(at);
  }
  function showError(msg) {
    const e = $("error");
    e.textContent = msg; e.hidden = !msg;
  }
  function me() { return $("me").value; }

  async function api(method, path, body) {
    const opt = { method, headers: { "X-Drill-Token": token } };
    if (body !== undefined) { opt.body = JSON.stringify(body); opt.headers["Content-Type"] = "application/json"; }
    const r = await fetch(path, opt);
    let data = null;
    try { data = await r.json(); } catch (_) { /* an empty answer */ }
    if (!r.ok) throw new Error((data && data.error) || `${method} ${path}: ${r.status}`);
    return data;
  }
  // act calls a control API; the button that asked stays disabled until
  // the answer, so one click is one call.
  async function act(method, path, body, btn) {
    if (btn) btn.disabled = true;
    try { const out = await api(method, path, body); showError(""); return out; } catch (e) { showError(e.message); if (btn) btn.disabled = false; return null; }
  }

  // --- what the stream says
  function onHello(h) {
    st.hello = h; st.up = h.up;
    $("title").textContent = h.title || "";
    const sel = $("me"), saved = localStorage.getItem("drill.me");
    sel.replaceChildren(...h.users.map((u) => el("option", { value: u }, u)));
    if (saved && h.users.includes(saved)) sel.value = saved;
    $("role").replaceChildren(...h.roles.map((r) => el("option", { value: r }, r)));
    $("claim").hidden = h.roles.length === 0;
    if (h.up) {
      $("inject").hidden = false;
      $("fault-kind").replaceChildren(...(h.faults || []).map((k) => el("option", { value: k.name, title: k.summary }, k.name)));
      // drill up has no scenario, so no pages, runbook or roles of one.
      $("steps-box").hidden = true;
      for (const e of document.querySelectorAll(".live-only")) e.hidden = true;
    }
  }
  function onScenario(s) {
    st.pagesKey = st.runbookKey = "";
    st.base = null; st.steps = s.steps.map((t) => ({ text: t, status: "" })); st.faults = {}; st.alerts = {}; st.evidence = {}; st.notified = {};
    $("scenario").textContent = s.name;
    $("where").textContent = s.where || "";
    $("control").className = "pill dim"; $("control").textContent = "control window";
    for (const id of ["timeline", "tells", "roles", "notes", "notified"]) $(id).replaceChildren();
    $("faults").tBodies[0].replaceChildren(); $("alerts").tBodies[0].replaceChildren(); $("pages").tBodies[0].replaceChildren();
    $("runbook").replaceChildren("no runbook open: it opens when someone acknowledges");
    $("runbook").className = "dim";
    renderSteps();
  }
  function onStep(s) {
    const step = st.steps[s.index];
    if (!step) return;
    step.status = s.status; step.error = s.error || "";
    renderSteps();
    // A line the step waited with is done once the step is judged: the
    // room is no longer waiting on it.
    if (s.status !== "running") {
      for (const li of $("tells").querySelectorAll(`li[data-step="${s.index}"]:not(.done)`)) {
        li.classList.add("done");
        li.append(el("span", { class: "end" }, ` (done: step ${s.status})`));
      }
    }
  }
  function renderSteps() {
    $("steps").replaceChildren(...st.steps.map((s, i) => {
      const li = el("li", { class: s.status, "data-step": String(i) }, el("span", { class: "status" }, s.status ? `[${s.status}] ` : "[ ] "), s.text);
      if (s.error) li.append(el("span", { class: "err" }, s.error));
      return li;
    }));
  }
  function line(list, at, text, cls) {
    const li = el("li", { class: cls || "" }, el("span", { class: "t" }, at ? offset(at) + " " : ""), text);
    list.append(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }
  function onEvent(e) {
    // Offsets run from the world's start (scenario.start), else from the first event.
    if (!st.base || e.kind === "scenario.start") st.base = new Date(e.at);
    clock(e.at);
    line($("timeline"), e.at, `${e.kind} ${e.subject || ""}${e.message ? ": " + e.message.split("\n")[0] : ""}`, e.kind.replace(".", "-"));
    const a = e.attrs || {};
    switch (e.kind) {
      case "control.end":
        $("control").textContent = "control window over " + offset(e.at); $("control").className = "pill live"; break;
      case "fault.on":
        st.faults[e.subject] = { on: true, what: e.message || "", affected: null, source: "" }; renderFaults(); break;
      case "fault.off":
        st.faults[e.subject] = Object.assign(st.faults[e.subject] || { what: "" }, { on: false, affected: a.affected, source: a.evidence || "" }); renderFaults(); break;
      case "alert.pending": case "alert.firing": case "alert.resolved":
        st.alerts[e.subject] = { state: e.kind.slice(6), value: a.value || "", at: e.at }; renderAlerts(); break;
      case "notify": case "page":
        { const who = e.subject, n = st.notified[who] || (st.notified[who] = { page: 0, notify: 0, via: new Set() });
          n[e.kind]++;
          if (a.method) n.via.add(a.method);
          $("notified").replaceChildren(...Object.entries(st.notified).map(([u, c]) =>
            el("li", {}, `${u}: ${c.page ? c.page + " page(s)" : ""}${c.page && c.notify ? ", " : ""}${c.notify ? c.notify + " notification(s)" : ""}${c.via.size ? " via " + [...c.via].join(", ") : ""}`))); }
        refreshPages(); break;
      case "ack": case "escalate": case "policy.exhausted":
        refreshPages(); refreshRunbook(); break;
      case "role.assigned": line($("roles"), e.at, `${e.subject}: ${e.message || ""}`); break;
      case "status.update": line($("notes"), e.at, `${e.subject}: ${e.message || ""}`); break;
      case "runbook.start": case "step.start": case "step.end": case "runbook.end":
        if (a.via === "live") refreshRunbook(); break;
    }
  }
  function renderFaults() {
    $("faults").tBodies[0].replaceChildren(...Object.entries(st.faults).map(([id, f]) => {
      const n = f.affected != null ? f.affected : st.evidence[id];
      return el("tr", { "data-fault": id }, el("td", {}, id), el("td", { class: f.on ? "on" : "ok" }, f.on ? "on" : "off"),
        el("td", {}, n == null ? "—" : `${n} affected${f.source ? " (" + f.source + ")" : ""}`), el("td", {}, f.what));
    }));
  }
  function renderAlerts() {
    $("alerts").tBodies[0].replaceChildren(...Object.entries(st.alerts).map(([name, s]) =>
      el("tr", { "data-alert": name }, el("td", {}, name), el("td", { class: s.state }, s.state), el("td", {}, s.value), el("td", {}, offset(s.at)))));
  }
  async function refreshPages() {
    let pages;
    try { pages = await api("GET", "/api/pages"); } catch (_) { return; }
    // Re-render only what changed: a button under the pointer stays put.
    const key = JSON.stringify(pages);
    if (key === st.pagesKey) return;
    st.pagesKey = key;
    $("pages").tBodies[0].replaceChildren(...(pages || []).map((p) => {
      const btn = el("button", { class: "ack", "data-alert": p.alert, type: "button", disabled: !!p.acked_by }, "acknowledge");
      btn.addEventListener("click", () => act("POST", "/api/ack", { user: me(), alert: p.alert }, btn));
      return el("tr", {}, el("td", { class: "t" }, offset(p.at)), el("td", {}, p.alert), el("td", {}, p.user),
        el("td", { class: p.acked_by ? "ok" : "" }, p.acked_by ? `${p.acked_by} ${offset(p.acked_at)}` : "—"), el("td", {}, btn));
    }));
  }
  async function refreshRunbook() {
    let rb;
    try { rb = await api("GET", "/api/runbook"); } catch (_) { return; }
    const key = JSON.stringify(rb);
    if (key === st.runbookKey) return;
    st.runbookKey = key;
    const box = $("runbook");
    box.className = "";
    const head = el("div", {}, `${rb.runbook} (${rb.file}) for ${rb.alert}, opened by ${rb.acked_by} at ${offset(rb.acked_at)}`);
    if (rb.ended) head.append(el("b", { class: rb.ended === "ok" ? "ok" : "skipped" }, ` — ended ${rb.ended}`));
    box.replaceChildren(head, ...rb.steps.map((s) => {
      const done = !!s.status && s.status !== "running";
      const why = el("input", { placeholder: "why skip", size: 14, "data-why": s.id });
      const mk = (label, cls, fn, off) => { const b = el("button", { type: "button", class: cls, "data-act": label, "data-step": s.id, disabled: off }, label); b.addEventListener("click", () => fn(b)); return b; };
      const acts = el("div", { class: "acts" },
        mk("done", "", (b) => act("POST", "/api/runbook/mark", { user: me(), step: s.id, mark: "done" }, b), done),
        mk("skip", "alt", (b) => act("POST", "/api/runbook/mark", { user: me(), step: s.id, mark: "skipped", why: why.value }, b), done), why);
      if (!s.manual) acts.prepend(mk("run", "", (b) => act("POST", "/api/runbook/run", { user: me(), step: s.id }, b), done));
      const d = el("div", { class: "step", "data-runbook-step": s.id },
        el("div", {}, el("b", {}, s.id), ` ${s.section} · ${s.line} `, el("span", { class: s.status || "" }, s.status ? `[${s.status}${s.by ? " by " + s.by : ""}${s.took ? ", " + s.took : ""}]` : "")));
      if (s.text) d.append(el("div", {}, s.text));
      if (s.code) d.append(el("code", {}, s.code));
      if (s.output) d.append(el("code", {}, s.output));
      d.append(acts);
      return d;
    }));
  }
  function onEnd(r) {
    const b = $("banner");
    const s = r.summary || {};
    const verdict = r.error ? "error" : (s.total > 0 && s.passed === s.total ? "passed" : (s.errors > 0 ? "error" : (s.failed > 0 ? "failed" : "inconclusive")));
    b.className = "banner " + verdict; b.hidden = false;
    b.textContent = r.error ? `drill ended: ${r.error}` : (s.total ? `drill ${verdict}: ${s.passed || 0} of ${s.total} scenario(s) passed` : "the drill ended");
    if (!s.total && !r.error) b.className = "banner";
    const box = $("result");
    box.replaceChildren(el("table", {}, el("tbody", {}, ...r.scenarios.map((sc) =>
      el("tr", {}, el("td", {}, sc.name), el("td", { class: sc.status }, sc.status), el("td", {}, sc.reason || ""))))));
    const links = el("p", {}, el("a", { href: `${r.scorecard}?token=${encodeURIComponent(token)}`, id: "scorecard-link" }, "scorecard.json"));
    if (r.report) links.append(" · ", el("a", { href: `${r.report}?token=${encodeURIComponent(token)}`, id: "report-link" }, "HTML report"));
    box.append(links);
    $("result-box").hidden = false;
    $("conn").textContent = "drill ended"; $("conn").className = "pill";
  }

  // --- forms
  $("me").addEventListener("change", () => localStorage.setItem("drill.me", me()));
  $("claim").addEventListener("submit", (ev) => { ev.preventDefault(); act("POST", "/api/roles/claim", { user: me(), role: $("role").value }); });
  $("note").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (await act("POST", "/api/notes", { user: me(), text: $("note-text").value })) $("note-text").value = "";
  });
  $("inject").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const params = {};
    for (const kv of $("fault-params").value.split(/\s+/).filter(Boolean)) {
      const i = kv.indexOf("=");
      if (i <= 0) { showError(`parameter "${kv}": want key=value`); return; }
      params[kv.slice(0, i)] = kv.slice(i + 1);
    }
    act("POST", "/up/inject", { kind: $("fault-kind").value, target: $("fault-target").value, params, for: $("fault-for").value });
  });
  $("clear-btn").addEventListener("click", () => act("POST", "/up/clear", {}));

  // --- the stream
  if (!token) { showError("this page needs its token: open the console URL drill printed (…/?token=…)"); return; }
  const es = new EventSource("/events?token=" + encodeURIComponent(token));
  const on = (name, fn) => es.addEventListener(name, (m) => fn(JSON.parse(m.data)));
  es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "pill live"; };
  es.onerror = () => { if ($("conn").textContent !== "drill ended") { $("conn").textContent = "reconnecting"; $("conn").className = "pill on"; } };
  on("hello", onHello);
  on("scenario", onScenario);
  on("event", onEvent);
  on("step", onStep);
  on("tell", (t) => {
    const li = line($("tells"), null, t.text);
    if (t.step >= 0) li.setAttribute("data-step", String(t.step));
  });
  on("scenario.end", (e) => line($("timeline"), null, `scenario ${e.name}: ${e.status}${e.reason ? " — " + e.reason : ""}`, e.status));
  on("cut", (c) => showError(`the console's feed holds ${c.limit} messages; later ones are not shown (the scorecard has them)`));
  on("clock", (c) => { if (c.now) clock(c.now); if (c.evidence) { st.evidence = c.evidence; renderFaults(); } });
  on("end", (r) => { onEnd(r); es.close(); });
})();
