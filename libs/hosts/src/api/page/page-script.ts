/**
 * The status page's script (plain browser JavaScript, inlined with the CSP nonce): polls
 * `/v1/vms` every 2 s and redraws the table, follows the selected VM's console through an
 * EventSource on the logs route, and sends stop/restart as POSTs carrying the CSRF header.
 * It builds the DOM with textContent only: names and log lines never become markup.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="nohead-csrf"]').content;
  const tbody = document.getElementById("vms");
  const logEl = document.getElementById("log");
  const logVm = document.getElementById("log-vm");
  const notice = document.getElementById("notice");
  const updated = document.getElementById("updated");
  const summaryEl = document.getElementById("summary");
  const MAX_LOG_LINES = 500;
  let selected = logVm.textContent === "—" ? null : logVm.textContent;
  let source = null;
  let busy = new Set();

  const pad = (n) => String(n).padStart(2, "0");
  function uptime(s) {
    if (s === null || s === undefined) return "";
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + pad(s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60)) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  const health = (hs) => hs.map((h) => h.check + " " + (h.ok ? "\u2713" : "\u2717")).join(" \u00b7 ");
  const ports = (fs) => fs.map((f) => f.name + " " + f.hostAddress + ":" + f.hostPort + "\u2192" + f.guestPort).join(", ");

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }
  function button(action, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.action = action;
    b.textContent = action;
    b.disabled = !!disabled;
    return b;
  }
  function row(vm) {
    const tr = document.createElement("tr");
    tr.dataset.vm = vm.name;
    if (vm.name === selected) tr.className = "selected";
    tr.appendChild(cell(vm.name, "name"));
    const state = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = "state " + vm.condition;
    badge.textContent = vm.condition;
    state.appendChild(badge);
    if (vm.stoppedBy) {
      const by = document.createElement("div");
      by.className = "detail";
      by.textContent = "by " + vm.stoppedBy;
      state.appendChild(by);
    }
    if (vm.problem) {
      const p = document.createElement("div");
      p.className = "problem";
      p.textContent = vm.problem;
      state.appendChild(p);
    }
    tr.appendChild(state);
    tr.appendChild(cell(vm.readiness, "readiness"));
    tr.appendChild(cell(vm.condition === "running" ? health(vm.health) : "", "health"));
    tr.appendChild(cell(vm.pid, "pid"));
    tr.appendChild(cell(vm.condition === "running" ? ports(vm.forwards) : "", "ports"));
    tr.appendChild(cell(uptime(vm.uptimeSeconds), "uptime"));
    const actions = document.createElement("td");
    actions.className = "actions";
    const isBusy = busy.has(vm.name);
    actions.append(button("logs"), " ", button("stop", vm.condition !== "running" || isBusy), " ", button("restart", isBusy));
    tr.appendChild(actions);
    return tr;
  }

  async function refresh() {
    try {
      const res = await fetch("/v1/vms", { credentials: "same-origin", cache: "no-store" });
      if (res.status === 401) { location.reload(); return; }
      if (!res.ok) throw new Error("HTTP " + res.status);
      const { vms } = await res.json();
      tbody.replaceChildren(...vms.map(row));
      const empty = document.getElementById("empty");
      if (empty) empty.hidden = vms.length > 0;
      const running = vms.filter((v) => v.condition === "running").length;
      summaryEl.textContent = running + " of " + vms.length + " running";
      updated.textContent = "updated " + new Date().toLocaleTimeString();
      if (selected === null && vms.length > 0) follow((vms.find((v) => v.condition === "running") || vms[0]).name);
    } catch (e) {
      updated.textContent = "cannot reach the server (" + e.message + ")";
    }
  }

  function appendLog(line) {
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.append(line + "\n");
    while (logEl.childNodes.length > MAX_LOG_LINES) logEl.removeChild(logEl.firstChild);
    if (atBottom) logEl.scrollTop = logEl.scrollHeight;
  }

  function follow(name) {
    if (source) source.close();
    selected = name;
    logVm.textContent = name;
    logEl.textContent = "";
    for (const tr of tbody.children) tr.classList.toggle("selected", tr.dataset.vm === name);
    source = new EventSource("/v1/vms/" + encodeURIComponent(name) + "/logs?follow=true&lines=50");
    source.addEventListener("line", (e) => appendLog(e.data));
    source.addEventListener("error", () => {
      // EventSource reconnects by itself; when it gave up, start again after a pause.
      if (source && source.readyState === EventSource.CLOSED) setTimeout(() => selected === name && follow(name), 3000);
    });
  }

  async function act(name, action) {
    busy.add(name);
    notice.className = "";
    notice.textContent = action + " " + name + "\u2026";
    refresh();
    try {
      const res = await fetch("/v1/vms/" + encodeURIComponent(name) + "/" + action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Nohead-CSRF": csrf },
      });
      const body = await res.json().catch(() => ({}));
      notice.className = res.ok ? "ok" : "bad";
      notice.textContent = res.ok ? name + ": " + action + " done" : name + ": " + ((body.error && body.error.message) || "HTTP " + res.status);
    } catch (e) {
      notice.textContent = name + ": " + action + " failed (" + e.message + ")";
    } finally {
      busy.delete(name);
      refresh();
    }
  }

  tbody.addEventListener("click", (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    const name = b.closest("tr").dataset.vm;
    if (b.dataset.action === "logs") follow(name);
    else act(name, b.dataset.action);
  });

  if (selected) follow(selected);
  setInterval(refresh, 2000);
  refresh();
})();
`;
