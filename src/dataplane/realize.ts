// Realizes a network model on the Linux kernel and keeps it matching: a network namespace per VPC
// acting as its router, a namespace per instance, a veth pair per attached interface, and one
// nftables ruleset per VPC namespace. Every packet between two interfaces, also within one subnet,
// is routed through the VPC namespace (host routes + proxy ARP there, a /64 routed to the router
// for IPv6), so its forward hook is the single enforcement and observation point.

import { formatIp, nthAddress, prefixLengthOf } from '../net/index.ts';
import type { NetworkInterface, NetworkModel, Subnet, Vpc } from '../model/index.ts';
import { NameConflictError, NotPermittedError, StateFileError } from './errors.ts';
import { execRunner, type CommandRunner } from './exec.ts';
import { Kernel } from './kernel.ts';
import { DEFAULT_PREFIX, checkPrefix, planNames, type DataplaneNames, type InterfaceNames } from './names.ts';
import { COUNTER_TABLE_NAME, compileRuleset, type CompiledRuleset, type CompileOptions } from './nft-compile.ts';
import {
  emptyState, readState, recordedNames, removeState, writeState,
  type DataplaneState, type RecordedInterface,
} from './state.ts';
import { stopProcessesIn, type NamespaceOwner, type StopOptions, type StoppedProcess } from './teardown.ts';

/** The VPC side of every veth answers for this link-local address: the instances' IPv6 gateway. */
export const IPV6_ROUTER = 'fe80::1';
/** Policy-routing rule priority of device index N: BASE + N (before `main` at 32766). */
export const RULE_PRIORITY_BASE = 1000;

const VPC_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.default.proxy_arp': 1,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  // Mid-stream TCP packets must not create connections: after a connection is gone they are INVALID (REJECT on AWS).
  'net.netfilter.nf_conntrack_tcp_loose': 0,
} as const;

const INSTANCE_SYSCTLS = {
  // Several interfaces on one host: answer ARP only on the interface owning the address, and let
  // packets arrive on an interface other than the one the main table would use.
  'net.ipv4.conf.all.arp_ignore': 1,
  'net.ipv4.conf.all.arp_announce': 2,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv6.conf.default.accept_dad': 0,
} as const;

export interface ReconcileOptions {
  /** JSON file recording every object created (created if absent). */
  readonly statePath: string;
  /** Name prefix (default `vf`); must match the state file's when it exists. */
  readonly prefix?: string;
  readonly compile?: CompileOptions;
  readonly runner?: CommandRunner;
}

export interface RealizedInterface {
  readonly id: string;
  readonly instanceId: string;
  readonly subnetId: string;
  readonly vpcLink: string;
  readonly instanceLink: string;
  readonly instanceNamespace: string;
  readonly mac: string;
}

export interface RealizedVpc {
  readonly vpcId: string;
  readonly namespace: string;
  readonly ruleset: CompiledRuleset;
  readonly interfaces: readonly RealizedInterface[];
}

export interface ReconcileResult {
  readonly state: DataplaneState;
  readonly vpcs: readonly RealizedVpc[];
  /** What changed in the kernel, in order ("create namespace …", "apply ruleset …"); empty when nothing did. */
  readonly actions: readonly string[];
  /** Namespaces deleted while processes still ran in them (their veth pairs were removed first). */
  readonly busy: readonly { readonly namespace: string; readonly pids: readonly number[] }[];
}

export interface DownResult {
  readonly removed: readonly string[];
  /** Namespaces deleted while processes still ran in them (even SIGKILL did not end them): they (and their links) live until those exit. */
  readonly busy: readonly { readonly namespace: string; readonly pids: readonly number[] }[];
  /** Programs that were still running in the namespaces and were stopped first (absent when there were none). */
  readonly stopped?: readonly StoppedProcess[];
}

function assertRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new NotPermittedError(`running as uid ${process.getuid()}`);
}

/** What one interface is built from; any difference means rebuild. */
interface InterfacePlan {
  readonly names: InterfaceNames;
  readonly vpcNamespace: string;
  readonly instanceNamespace: string;
  readonly router: string;
  readonly subnetCidr: string;
  readonly subnetIpv6Cidr: string | null;
  readonly v4: readonly string[];
  readonly v6: readonly string[];
  readonly primary: boolean;
  readonly spec: string;
}

function planInterface(vpc: Vpc, subnet: Subnet, eni: NetworkInterface, names: InterfaceNames, all: DataplaneNames): InterfacePlan {
  const router = formatIp(nthAddress(subnet.cidr, 1));
  const base = {
    names,
    vpcNamespace: all.vpcNamespaces.get(vpc.id)!,
    instanceNamespace: all.instanceNamespaces.get(names.instanceId)!,
    router,
    subnetCidr: subnet.cidr,
    subnetIpv6Cidr: subnet.ipv6Cidr,
    v4: [eni.privateIp, ...eni.secondaryIps],
    v6: [...eni.ipv6],
    primary: names.deviceIndex === 0,
  };
  return { ...base, spec: JSON.stringify({ ...base, names: { ...names } }) };
}

class Reconciler {
  readonly actions: string[] = [];
  readonly busy: { namespace: string; pids: number[] }[] = [];
  constructor(
    private readonly kernel: Kernel,
    private readonly state: DataplaneState,
    private readonly statePath: string,
  ) {}

  save(): void {
    writeState(this.statePath, this.state);
  }

  act(text: string): void {
    this.actions.push(text);
  }

  /** Creates or adopts a namespace; refuses (before recording anything) one that exists but is not ours. */
  async ensureNamespace(name: string, ownerId: string, recorded: boolean, existing: Set<string>, sysctls: Readonly<Record<string, number>>, record: () => void): Promise<void> {
    if (existing.has(name) && !recorded) throw new NameConflictError('namespace', name, ownerId);
    record();
    this.save();
    if (!existing.has(name)) {
      await this.kernel.addNamespace(name);
      existing.add(name);
      this.act(`create namespace ${name} (${ownerId})`);
    }
    await this.kernel.ip(name, ['link', 'set', 'lo', 'up']);
    await this.kernel.sysctl(name, sysctls);
  }

  /** Deletes a namespace after removing its interfaces' veth pairs, which a lingering process would keep alive. */
  async deleteNamespace(name: string, ownerId: string, interfaces: readonly RecordedInterface[]): Promise<void> {
    for (const i of interfaces) await this.removeInterface(i, `${ownerId} removed`);
    const pids = await this.kernel.pids(name);
    if (pids.length) this.busy.push({ namespace: name, pids });
    if (await this.kernel.deleteNamespace(name)) this.act(`delete namespace ${name} (${ownerId})`);
  }

  async removeInterface(rec: RecordedInterface, why: string): Promise<void> {
    await this.kernel.ipIgnoringMissing(rec.vpcNamespace, ['link', 'delete', rec.vpcLink]);
    await this.kernel.ipIgnoringMissing(rec.instanceNamespace, ['link', 'delete', rec.instanceLink]);
    for (const r of rec.rules) {
      const family = r.from.includes(':') ? '-6' : '-4';
      await this.kernel.ipIgnoringMissing(rec.instanceNamespace, [family, 'rule', 'delete', 'from', r.from, 'table', String(r.table), 'priority', String(r.priority)]);
    }
    delete this.state.interfaces[rec.id];
    this.save();
    this.act(`delete interface ${rec.id} (${why})`);
  }

  async createInterface(p: InterfacePlan): Promise<void> {
    const k = this.kernel;
    const { vpcLink, instanceLink, mac, deviceIndex, routeTable, interfaceId } = p.names;
    const table = String(routeTable);
    const priority = RULE_PRIORITY_BASE + deviceIndex;
    const rules = [
      ...p.v4.map((a) => ({ from: a, table: routeTable, priority })),
      ...p.v6.map((a) => ({ from: a, table: routeTable, priority })),
    ];
    this.state.interfaces[interfaceId] = {
      id: interfaceId, vpcId: p.names.vpcId, instanceId: p.names.instanceId, vpcNamespace: p.vpcNamespace, instanceNamespace: p.instanceNamespace,
      vpcLink, instanceLink, spec: p.spec, rules, status: 'creating',
    };
    this.save();
    const vns = p.vpcNamespace;
    const ins = p.instanceNamespace;
    // A link of that name in our instance namespace is a leftover of an interrupted run.
    await k.ipIgnoringMissing(ins, ['link', 'delete', instanceLink]);
    await k.ip(vns, ['link', 'add', vpcLink, 'type', 'veth', 'peer', 'name', instanceLink, 'netns', ins]);
    await k.ip(ins, ['link', 'set', instanceLink, 'address', mac]);
    await k.disableOffloads(vns, vpcLink);
    await k.disableOffloads(ins, instanceLink);
    await k.sysctl(vns, { [`net.ipv4.conf.${vpcLink}.proxy_arp`]: 1 });
    await k.ip(vns, ['link', 'set', vpcLink, 'up']);
    await k.ip(ins, ['link', 'set', instanceLink, 'up']);
    // VPC side: the subnet router address (answers ARP for the gateway and sources ARP requests),
    // the IPv6 gateway, and a host route per interface address.
    await k.ip(vns, ['address', 'add', `${p.router}/32`, 'dev', vpcLink]);
    await k.ip(vns, ['address', 'add', `${IPV6_ROUTER}/64`, 'dev', vpcLink, 'nodad']);
    for (const a of p.v4) await k.ip(vns, ['-4', 'route', 'add', `${a}/32`, 'dev', vpcLink]);
    for (const a of p.v6) await k.ip(vns, ['-6', 'route', 'add', `${a}/128`, 'dev', vpcLink]);
    // Instance side: addresses with the subnet's prefix; IPv6 without its on-link route, so that
    // neighbours in the subnet are reached through the router as IPv4 ones are through proxy ARP.
    const v4Length = prefixLengthOf(p.subnetCidr);
    const v6Length = p.subnetIpv6Cidr ? prefixLengthOf(p.subnetIpv6Cidr) : 128;
    for (const a of p.v4) await k.ip(ins, ['address', 'add', `${a}/${v4Length}`, 'dev', instanceLink]);
    for (const a of p.v6) await k.ip(ins, ['address', 'add', `${a}/${v6Length}`, 'dev', instanceLink, 'nodad', 'noprefixroute']);
    const v4Routes = [['default', 'via', p.router, 'dev', instanceLink]];
    const v6Routes = p.v6.length ? [['default', 'via', IPV6_ROUTER, 'dev', instanceLink]] : [];
    if (p.v6.length && p.subnetIpv6Cidr) {
      await k.ip(ins, ['-6', 'route', 'add', p.subnetIpv6Cidr, 'via', IPV6_ROUTER, 'dev', instanceLink]);
      v6Routes.push([p.subnetIpv6Cidr, 'via', IPV6_ROUTER, 'dev', instanceLink]);
    }
    if (p.primary) {
      await k.ip(ins, ['-4', 'route', 'add', ...v4Routes[0]!]);
      if (p.v6.length) await k.ip(ins, ['-6', 'route', 'add', ...v6Routes[0]!]);
    }
    // Source-based policy routing: replies leave by the interface owning their source address.
    await k.ip(ins, ['-4', 'route', 'add', p.subnetCidr, 'dev', instanceLink, 'table', table]);
    for (const r of v4Routes) await k.ip(ins, ['-4', 'route', 'add', ...r, 'table', table]);
    for (const r of v6Routes) await k.ip(ins, ['-6', 'route', 'add', ...r, 'table', table]);
    for (const r of rules) {
      await k.ip(ins, [r.from.includes(':') ? '-6' : '-4', 'rule', 'add', 'from', r.from, 'table', table, 'priority', String(priority)]);
    }
    this.state.interfaces[interfaceId]!.status = 'ready';
    this.save();
    this.act(`create interface ${interfaceId} (${vpcLink} in ${vns} ↔ ${instanceLink} in ${ins})`);
  }
}

/**
 * Makes the kernel match `model`: removes recorded objects the model no longer has (or that
 * changed), adopts recorded objects that are intact, creates the rest, and applies each VPC's
 * ruleset when it differs from the one recorded. Safe to run again at any point, also after a crash.
 */
export async function reconcile(model: NetworkModel, options: ReconcileOptions): Promise<ReconcileResult> {
  assertRoot();
  const kernel = new Kernel(options.runner ?? execRunner);
  const prior = readState(options.statePath);
  if (prior && options.prefix !== undefined && prior.prefix !== options.prefix) {
    throw new StateFileError(options.statePath, `records prefix ${prior.prefix}, not ${options.prefix}: one state file per data plane`);
  }
  const state = prior ?? emptyState(options.prefix ?? DEFAULT_PREFIX);
  const names = planNames(model, { prefix: state.prefix, recorded: recordedNames(state) });
  const r = new Reconciler(kernel, state, options.statePath);
  r.save();

  const plans = new Map<string, InterfacePlan>();
  for (const vpc of model.vpcs) {
    const subnets = new Map(vpc.subnets.map((s) => [s.id, s]));
    for (const eni of vpc.networkInterfaces) {
      const n = names.interfaces.get(eni.id);
      const subnet = subnets.get(eni.subnetId);
      if (n && subnet) plans.set(eni.id, planInterface(vpc, subnet, eni, n, names));
    }
  }

  // 1. Namespaces the model no longer wants (their links go with them).
  for (const rec of Object.values(state.instances)) {
    if (names.instanceNamespaces.get(rec.id) === rec.namespace) continue;
    await r.deleteNamespace(rec.namespace, rec.id, Object.values(state.interfaces).filter((i) => i.instanceId === rec.id));
    delete state.instances[rec.id];
    r.save();
  }
  for (const rec of Object.values(state.vpcs)) {
    if (names.vpcNamespaces.get(rec.id) === rec.namespace) continue;
    await r.deleteNamespace(rec.namespace, rec.id, Object.values(state.interfaces).filter((i) => i.vpcId === rec.id));
    delete state.vpcs[rec.id];
    r.save();
  }

  // 2. Namespaces: adopt the recorded ones, create the missing ones, refuse foreign ones.
  const existing = await kernel.namespaces();
  for (const vpc of model.vpcs) {
    const ns = names.vpcNamespaces.get(vpc.id)!;
    const rec = state.vpcs[vpc.id];
    if (rec && !existing.has(ns)) delete rec.rulesetDigest;
    await r.ensureNamespace(ns, vpc.id, rec !== undefined, existing, VPC_SYSCTLS, () => {
      state.vpcs[vpc.id] ??= { id: vpc.id, namespace: ns, status: 'creating' };
    });
    state.vpcs[vpc.id]!.status = 'ready';
    r.save();
  }
  for (const vpc of model.vpcs) {
    for (const inst of vpc.instances) {
      const ns = names.instanceNamespaces.get(inst.id)!;
      const rec = state.instances[inst.id];
      await r.ensureNamespace(ns, inst.id, rec !== undefined, existing, INSTANCE_SYSCTLS, () => {
        state.instances[inst.id] ??= { id: inst.id, vpcId: vpc.id, namespace: ns, status: 'creating' };
      });
      state.instances[inst.id]!.status = 'ready';
      r.save();
    }
  }

  // 3. Interfaces: keep the intact ones, rebuild changed or broken ones, remove the rest.
  const linksByNamespace = new Map<string, Set<string>>();
  for (const vpc of model.vpcs) {
    const ns = names.vpcNamespaces.get(vpc.id)!;
    linksByNamespace.set(ns, new Set((await kernel.links(ns)).map((l) => l.ifname)));
  }
  for (const rec of Object.values(state.interfaces)) {
    const plan = plans.get(rec.id);
    const present = linksByNamespace.get(rec.vpcNamespace)?.has(rec.vpcLink) ?? false;
    if (plan && plan.spec === rec.spec && rec.status === 'ready' && present) continue;
    await r.removeInterface(rec, !plan ? 'not in the model' : plan.spec !== rec.spec ? 'changed' : !present ? 'missing in the kernel' : 'incomplete');
  }
  for (const plan of plans.values()) {
    if (state.interfaces[plan.names.interfaceId]) continue;
    const links = linksByNamespace.get(plan.vpcNamespace);
    if (links?.has(plan.names.vpcLink)) throw new NameConflictError('link', plan.names.vpcLink, plan.names.interfaceId);
    await r.createInterface(plan);
  }

  // 4. Rulesets: one atomic nft transaction per VPC whose ruleset changed or is missing.
  const vpcs: RealizedVpc[] = [];
  for (const vpc of model.vpcs) {
    const ns = names.vpcNamespaces.get(vpc.id)!;
    const ruleset = compileRuleset(vpc, names, options.compile);
    const rec = state.vpcs[vpc.id]!;
    // The counter table is created once and never replaced, so its counts survive rule changes.
    if (ruleset.counterTableText !== undefined && !(await kernel.hasTable(ns, COUNTER_TABLE_NAME))) {
      await kernel.applyRuleset(ns, ruleset.counterTableText);
      r.act(`create counter table in ${ns} (${vpc.id})`);
    }
    if (rec.rulesetDigest !== ruleset.digest || !(await kernel.hasTable(ns))) {
      await kernel.applyRuleset(ns, ruleset.text);
      rec.rulesetDigest = ruleset.digest;
      rec.nflogGroup = ruleset.nflogGroup;
      r.save();
      r.act(`apply ruleset ${ruleset.digest.slice(0, 12)} in ${ns} (${vpc.id})`);
    }
    const interfaces: RealizedInterface[] = [];
    for (const eni of vpc.networkInterfaces) {
      const p = plans.get(eni.id);
      if (!p) continue;
      interfaces.push({
        id: eni.id, instanceId: p.names.instanceId, subnetId: p.names.subnetId, vpcLink: p.names.vpcLink,
        instanceLink: p.names.instanceLink, instanceNamespace: p.instanceNamespace, mac: p.names.mac,
      });
    }
    vpcs.push({ vpcId: vpc.id, namespace: ns, ruleset, interfaces });
  }
  return { state, vpcs, actions: r.actions, busy: r.busy };
}

export interface DownOptions {
  readonly runner?: CommandRunner;
  /** Also remove every namespace named `<prefix>-…`, recorded or not (what an interrupted run may have left). */
  readonly prefix?: string;
  /** Programs still running in the namespaces get SIGTERM, then SIGKILL after this grace period. */
  readonly stop?: StopOptions;
}

/**
 * Stops every program still running in the namespaces the state file records (and, with
 * `prefix`, in every namespace of that prefix), then removes those namespaces (with them their
 * links and rulesets), then the state file. Running it again, or without a state file (or
 * `statePath` undefined) and prefix, does nothing.
 */
export async function down(statePath: string | undefined, options: DownOptions = {}): Promise<DownResult> {
  assertRoot();
  const prefix = options.prefix === undefined ? undefined : checkPrefix(options.prefix);
  const state = statePath === undefined ? undefined : readState(statePath);
  if (!state && prefix === undefined) return { removed: [], busy: [] };
  const kernel = new Kernel(options.runner ?? execRunner);
  const removed: string[] = [];
  const busy: { namespace: string; pids: number[] }[] = [];
  const existing = await kernel.namespaces();
  const targets: { namespace: string; owner?: NamespaceOwner }[] = [
    ...Object.values(state?.instances ?? {}).map((r) => ({ namespace: r.namespace, owner: { kind: 'instance' as const, id: r.id } })),
    ...Object.values(state?.vpcs ?? {}).map((r) => ({ namespace: r.namespace, owner: { kind: 'vpc' as const, id: r.id } })),
  ];
  const unrecorded = prefix === undefined ? [] : [...existing].filter((n) => n.startsWith(`${prefix}-`) && !targets.some((t) => t.namespace === n)).sort();
  targets.push(...unrecorded.map((namespace) => ({ namespace })));
  // A program left in a namespace would keep it, and its veth pairs, alive after the delete.
  const { stopped } = await stopProcessesIn(kernel, targets.filter((t) => existing.has(t.namespace)), options.stop);
  const remove = async (namespace: string) => {
    const pids = await kernel.pids(namespace);
    if (pids.length) busy.push({ namespace, pids });
    if (await kernel.deleteNamespace(namespace)) removed.push(namespace);
  };
  if (state && statePath !== undefined) {
    // Veth pairs first: a process still running in either namespace would keep the pair alive.
    for (const i of Object.values(state.interfaces)) await kernel.ipIgnoringMissing(i.vpcNamespace, ['link', 'delete', i.vpcLink]);
    for (const rec of Object.values(state.instances)) {
      await remove(rec.namespace);
      for (const i of Object.values(state.interfaces)) if (i.instanceId === rec.id) delete state.interfaces[i.id];
      delete state.instances[rec.id];
      writeState(statePath, state);
    }
    for (const rec of Object.values(state.vpcs)) {
      await remove(rec.namespace);
      for (const i of Object.values(state.interfaces)) if (i.vpcId === rec.id) delete state.interfaces[i.id];
      delete state.vpcs[rec.id];
      writeState(statePath, state);
    }
    removeState(statePath);
  }
  for (const namespace of unrecorded) await remove(namespace);
  return { removed, busy, ...(stopped.length ? { stopped } : {}) };
}

/** The namespace an instance runs in, from the state file's record. */
export function instanceNamespace(state: DataplaneState, instanceId: string): string | undefined {
  return state.instances[instanceId]?.namespace;
}

/** `ip` arguments that run `argv` inside an instance's namespace: execFile('ip', instanceExecArgs(...)). */
export function instanceExecArgs(state: DataplaneState, instanceId: string, argv: readonly string[]): string[] | undefined {
  const ns = instanceNamespace(state, instanceId);
  return ns === undefined ? undefined : ['netns', 'exec', ns, ...argv];
}
