// The kernel operations the data plane uses, each one `ip`, `nft`, `sysctl` or `ethtool` run with
// an argument array inside a named network namespace. Names and values passed here were
// generated from validated ids and addresses; this module does not build text for a shell.

import { type CommandRunner, isMissingObject } from './exec.ts';
import { TABLE_NAME } from './nft-compile.ts';

export interface LinkInfo {
  readonly ifname: string;
  readonly ifindex: number;
}

export class Kernel {
  constructor(readonly run: CommandRunner) {}

  /** Names of every named network namespace (`ip netns list`). */
  async namespaces(): Promise<Set<string>> {
    const { stdout } = await this.run('ip', ['-j', 'netns', 'list']);
    const text = stdout.trim();
    if (text === '') return new Set();
    const list = JSON.parse(text) as { name?: unknown }[];
    return new Set(list.map((n) => n.name).filter((n): n is string => typeof n === 'string'));
  }

  async addNamespace(name: string): Promise<void> {
    await this.run('ip', ['netns', 'add', name]);
  }

  /** Deletes a namespace; true if it existed. Its links (and their veth peers) go with it. */
  async deleteNamespace(name: string): Promise<boolean> {
    try {
      await this.run('ip', ['netns', 'delete', name]);
      return true;
    } catch (e) {
      if (isMissingObject(e)) return false;
      throw e;
    }
  }

  /** Process ids still running in a namespace (they keep it alive after `ip netns delete`). */
  async pids(name: string): Promise<number[]> {
    try {
      const { stdout } = await this.run('ip', ['netns', 'pids', name]);
      return stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
    } catch (e) {
      if (isMissingObject(e)) return [];
      throw e;
    }
  }

  async links(namespace: string): Promise<LinkInfo[]> {
    const { stdout } = await this.run('ip', ['-n', namespace, '-j', 'link', 'show']);
    const text = stdout.trim();
    if (text === '') return [];
    return (JSON.parse(text) as { ifname?: unknown; ifindex?: unknown }[])
      .filter((l): l is LinkInfo => typeof l.ifname === 'string' && typeof l.ifindex === 'number')
      .map((l) => ({ ifname: l.ifname, ifindex: l.ifindex }));
  }

  /** `ip -n NAMESPACE ARGS...` */
  async ip(namespace: string, args: readonly string[]): Promise<void> {
    await this.run('ip', ['-n', namespace, ...args]);
  }

  /** Like ip(), but an object that is already gone is not an error. */
  async ipIgnoringMissing(namespace: string, args: readonly string[]): Promise<void> {
    try {
      await this.ip(namespace, args);
    } catch (e) {
      if (!isMissingObject(e)) throw e;
    }
  }

  async sysctl(namespace: string, settings: Readonly<Record<string, string | number>>): Promise<void> {
    const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    await this.run('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', ...args]);
  }

  /** Switches segmentation and receive offloads off, so the forward hook sees wire-size packets. */
  async disableOffloads(namespace: string, link: string): Promise<void> {
    await this.run('ip', ['netns', 'exec', namespace, 'ethtool', '-K', link, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
  }

  /** Applies a whole ruleset in one nft transaction, read from stdin. */
  async applyRuleset(namespace: string, text: string): Promise<void> {
    await this.run('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], { input: text });
  }

  async hasTable(namespace: string, table: string = TABLE_NAME): Promise<boolean> {
    try {
      await this.run('ip', ['netns', 'exec', namespace, 'nft', 'list', 'table', 'inet', table]);
      return true;
    } catch (e) {
      if (isMissingObject(e)) return false;
      throw e;
    }
  }
}
