/**
 * The status page's script (plain browser JavaScript, inlined with the CSP nonce). It signs in
 * with the token (typed in, or from a `#token=` link, removed from the address bar at once),
 * keeps the session id in sessionStorage — per origin, so no other port of this host sees it —
 * and sends it in the X-Nohead-Session header: polls `/v1/vms` every 2 s and redraws the table,
 * follows the selected VM's console (the logs route's event stream, read with fetch), and sends
 * stop/restart as POSTs. It builds the DOM with textContent only: names and log lines never
 * become markup.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  "use strict";
  const KEY = "nohead-session";
  const signin = document.getElementById("signin");
  const signinError = document.getElementById("signin-error");
  const statusEl = document.getElementById("status");
  const tbody = document.getElementById("vms");
  const logEl = document.getElementById("log");
  const logVm = document.getElementById("log-vm");
  const notice = document.getElementById("notice");
  const updated = document.getElementById("updated");
  const summaryEl = document.getElementById("summary");
  const MAX_LOG_LINES = 500;
  let selected = null;
  let follower = null;
  let timer = null;
  let busy = new Set();

  function session() { return sessionStorage.getItem(KEY); }
  function showSignIn(message) {
    sessionStorage.removeItem(KEY);
    if (timer) clearInterval(timer);
    timer = null;
    if (follower) follower.abort();
    follower = null;
    selected = null;
    statusEl.hidden = true;
    signin.hidden = false;
    signinError.textContent = message || "";
  }
  function showStatus() {
    signin.hidden = true;
    statusEl.hidden = false;
    refresh();
    if (!timer) timer = setInterval(refresh, 2000);
  }
  async function signIn(token) {
    const res = await fetch("/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "omit",
    }).catch(() => null);
    if (!res || !res.ok) { showSignIn(res ? "Wrong token." : "Cannot reach the server."); return; }
    sessionStorage.setItem(KEY, (await res.json()).session);
    showStatus();
  }
  /** fetch with the session; a 401 means it ended: back to the sign-in form. */
  async function api(path, options) {
    const res = await fetch(path, {
      ...(options || {}),
      credentials: "omit",
      cache: "no-store",
      headers: { ...((options && options.headers) || {}), "X-Nohead-Session": session() || "" },
    });
    if (res.status === 401) { showSignIn("Your session ended; sign in again."); throw new Error("signed out"); }
    return res;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function uptime(s) {
    if (s === null || s === undefined) return "";
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + pad(s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + pad(Math.floor((s % 3600) / 60)) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  // The live verdict of the VM's watcher ("healthy"), as nohead status shows it; an unhealthy
  // VM also says which checks fail and what they got.
  function health(vm) {
    if (vm.condition !== "running" || vm.health.length === 0) return "";
    if (vm.healthy === null) return "starting";
    if (vm.healthy) return "healthy";
    const failing = vm.health.filter((h) => !h.ok).map((h) => h.check + ": " + h.detail).join("; ");
    return "unhealthy" + (failing ? " \u2014 " + failing : "");
  }
  const healthClass = (vm) => "health" + (vm.healthy === true ? " healthy" : vm.healthy === false ? " unhealthy" : "");
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
    if (vm.error) {
      const p = document.createElement("div");
      p.className = "problem";
      p.textContent = vm.error;
      state.appendChild(p);
    }
    tr.appendChild(state);
    tr.appendChild(cell(vm.readiness, "readiness"));
    const checked = cell(health(vm), healthClass(vm));
    if (vm.lastHealthCheck) checked.title = "last check " + vm.lastHealthCheck;
    tr.appendChild(checked);
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
      const res = await api("/v1/vms");
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
      if (session()) updated.textContent = "cannot reach the server (" + e.message + ")";
    }
  }

  function appendLog(line) {
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.append(line + "\n");
    while (logEl.childNodes.length > MAX_LOG_LINES) logEl.removeChild(logEl.firstChild);
    if (atBottom) logEl.scrollTop = logEl.scrollHeight;
  }

  /** Reads the logs route's Server-Sent Events with fetch (EventSource cannot send a header). */
  async function readLines(name, signal) {
    const res = await api("/v1/vms/" + encodeURIComponent(name) + "/logs?follow=true&lines=50", { signal });
    if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (event === "line") appendLog(data.join("\n"));
      }
    }
  }

  function follow(name) {
    if (follower) follower.abort();
    const controller = new AbortController();
    follower = controller;
    selected = name;
    logVm.textContent = name;
    logEl.textContent = "";
    for (const tr of tbody.children) tr.classList.toggle("selected", tr.dataset.vm === name);
    readLines(name, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        // The stream ended or broke: follow again after a pause, while this VM is still selected.
        if (follower === controller && session()) setTimeout(() => follower === controller && follow(name), 3000);
      });
  }

  async function act(name, action) {
    busy.add(name);
    notice.className = "";
    notice.textContent = action + " " + name + "\u2026";
    refresh();
    try {
      const res = await api("/v1/vms/" + encodeURIComponent(name) + "/" + action, { method: "POST" });
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

  signin.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(document.getElementById("token").value);
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", credentials: "omit", headers: { "X-Nohead-Session": session() || "" } }).catch(() => null);
    showSignIn("Signed out.");
  });

  const link = /^#token=(.+)$/.exec(location.hash);
  if (link) {
    history.replaceState(null, "", location.pathname);
    signIn(decodeURIComponent(link[1]));
  } else if (session()) {
    showStatus();
  } else {
    showSignIn();
  }
})();
`;
