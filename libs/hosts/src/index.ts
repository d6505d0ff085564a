/**
 * Where VMs run: this computer, nohead agents on other machines or Slurm pilot jobs, behind one Host interface;
 * the hosts file that declares agents; placing machines on hosts; moving closures there.
 */
export * from "./api/index.ts";
export * from "./copy-closure.ts";
export * from "./host.ts";
export * from "./hosts-file.ts";
export * from "./open-hosts.ts";
export * from "./place-machines.ts";
export * from "./api-host.ts";
export * from "./sse-events.ts";
export * from "./ssh-jump.ts";
export * from "./slurm/node-address.ts";
export * from "./slurm/pack-machines.ts";
export * from "./slurm/pilot-records.ts";
export * from "./slurm/slurm-command.ts";
export * from "./slurm/slurm-host.ts";
export * from "./slurm/slurm-jobs.ts";
export * from "./start-on-hosts.ts";
export * from "./status-of-hosts.ts";
