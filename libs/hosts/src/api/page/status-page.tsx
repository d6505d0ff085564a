/** @jsxImportSource hono/jsx */
/**
 * The status page: every VM with its state, readiness, ports and uptime, stop/restart buttons,
 * and a live tail of one VM's console. Rendered on the server (it reads fine without
 * JavaScript); the inline script then keeps it live from the same JSON API any client uses.
 */
import type { VmStatus } from "@nohead/supervisor";
import { formatForwards, formatHealth, formatUptime } from "./format-vm.ts";
import { Layout } from "./layout.tsx";
import { PAGE_SCRIPT } from "./page-script.ts";

export interface StatusPageProps {
  title: string;
  version: string;
  nonce: string;
  csrf: string;
  vms: VmStatus[];
  /** Whether the visitor signed in with the cookie (shows "sign out"). */
  session: boolean;
}

export function VmRow({ vm }: { vm: VmStatus }) {
  return (
    <tr data-vm={vm.name}>
      <td class="name">{vm.name}</td>
      <td>
        <span class={`state ${vm.condition}`}>{vm.condition}</span>
        {vm.stoppedBy ? <div class="detail">by {vm.stoppedBy}</div> : null}
        {vm.problem ? <div class="problem">{vm.problem}</div> : null}
      </td>
      <td class="readiness">{vm.readiness ?? ""}</td>
      <td class="health">{vm.condition === "running" ? formatHealth(vm.health) : ""}</td>
      <td class="pid">{vm.pid ?? ""}</td>
      <td class="ports">{vm.condition === "running" ? formatForwards(vm.forwards) : ""}</td>
      <td class="uptime">{formatUptime(vm.uptimeSeconds)}</td>
      <td class="actions">
        <button type="button" data-action="logs">
          logs
        </button>{" "}
        <button type="button" data-action="stop" disabled={vm.condition !== "running"}>
          stop
        </button>{" "}
        <button type="button" data-action="restart">
          restart
        </button>
      </td>
    </tr>
  );
}

export function StatusPage({ title, version, nonce, csrf, vms, session }: StatusPageProps) {
  return (
    <Layout title={title} nonce={nonce}>
      <meta name="nohead-csrf" content={csrf} />
      <header>
        <h1>{title}</h1>
        <span class="meta">
          nohead {version} · <span id="summary">{summary(vms)}</span> · <span id="updated">live</span>
        </span>
        {session ? (
          <form method="post" action="/logout" id="logout">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit">sign out</button>
          </form>
        ) : null}
      </header>
      <p id="notice" role="status" />
      <table>
        <thead>
          <tr>
            <th>machine</th>
            <th>state</th>
            <th>readiness</th>
            <th>health</th>
            <th>pid</th>
            <th>ports</th>
            <th>uptime</th>
            <th />
          </tr>
        </thead>
        <tbody id="vms">
          {vms.map((vm) => (
            <VmRow vm={vm} />
          ))}
        </tbody>
      </table>
      {vms.length === 0 ? (
        <p class="empty" id="empty">
          No machines yet.
        </p>
      ) : null}
      <section class="log">
        <h2>
          console of{" "}
          <span id="log-vm">{vms.find((v) => v.condition === "running")?.name ?? vms[0]?.name ?? "—"}</span>
        </h2>
        <pre id="log" aria-live="off" />
      </section>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: PAGE_SCRIPT }} />
    </Layout>
  );
}

function summary(vms: VmStatus[]): string {
  const running = vms.filter((v) => v.condition === "running").length;
  return `${running} of ${vms.length} running`;
}
