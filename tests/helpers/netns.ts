// Two network namespaces joined by a veth pair, for faults made by the kernel rather than by our simulator:
// the exchange in one namespace, the engine in the other, and a blackhole route that silently drops every
// packet one way (no FIN, no RST), which is what a half-open connection looks like. The namespaces, their
// link and their 10.x addresses exist only for the test: `destroy()` removes them, the addresses are never
// given to the root namespace.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Why namespaces cannot be made here, or null when they can (root and a working `ip netns`). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch (e) {
    return `'ip netns' is not available: ${(e as Error).message.split('\n')[0]}`;
  }
  return null;
}

export interface NetnsPair {
  /** Namespace of the exchange (simulator) and its address on the link. */
  simNs: string;
  simIp: string;
  /** Namespace of the engine and its address on the link. */
  engineNs: string;
  engineIp: string;
  /** Argv prefix that runs a command inside a namespace. */
  exec(ns: string): string[];
  /** Drop every packet from the simulator side to the engine, silently (blackhole route). */
  blackhole(): Promise<void>;
  /** Remove the blackhole: packets flow again. */
  restore(): Promise<void>;
  /** An HTTP request from inside a namespace (the test process itself is in the root namespace). */
  fetchIn(ns: string, url: string, body?: unknown): Promise<{ status: number; text: string }>;
  /** Delete both namespaces (with them the veth pair). Idempotent; call after the processes in them ended. */
  destroy(): void;
}

async function ip(args: string[]): Promise<void> {
  await execFileP('ip', args);
}

/** Create the pair: `<prefix><id>s` and `<prefix><id>e`, joined by veth, 10.213.0.1/30 and .2/30 inside them. */
export async function createNetnsPair(prefix = 'lafault'): Promise<NetnsPair> {
  const id = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const simNs = `${prefix}${id}s`;
  const engineNs = `${prefix}${id}e`;
  // interface names are limited to 15 characters
  const vSim = `lv${id.slice(-8)}s`;
  const vEng = `lv${id.slice(-8)}e`;
  const simIp = '10.213.0.1';
  const engineIp = '10.213.0.2';
  const created: string[] = [];
  const destroy = (): void => {
    for (const ns of created.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone: nothing left to clean
      }
    }
  };
  try {
    for (const ns of [simNs, engineNs]) {
      await ip(['netns', 'add', ns]);
      created.push(ns);
    }
    await ip(['link', 'add', vSim, 'netns', simNs, 'type', 'veth', 'peer', 'name', vEng, 'netns', engineNs]);
    for (const [ns, dev, addr] of [
      [simNs, vSim, simIp],
      [engineNs, vEng, engineIp],
    ] as const) {
      await ip(['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', dev]);
      await ip(['-n', ns, 'link', 'set', dev, 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  const exec = (ns: string): string[] => ['ip', 'netns', 'exec', ns];
  return {
    simNs,
    simIp,
    engineNs,
    engineIp,
    exec,
    blackhole: () => ip(['-n', simNs, 'route', 'add', 'blackhole', `${engineIp}/32`]),
    restore: () => ip(['-n', simNs, 'route', 'del', 'blackhole', `${engineIp}/32`]),
    async fetchIn(ns, url, body) {
      const script =
        'const [u, b] = process.argv.slice(1);' +
        "fetch(u, b ? { method: 'POST', body: b } : {}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })))" +
        '.catch((e) => { process.stderr.write(String(e)); process.exit(1); });';
      const args = [...exec(ns).slice(1), process.execPath, '-e', script, url];
      if (body !== undefined) args.push(JSON.stringify(body));
      const { stdout } = await execFileP('ip', args, { timeout: 10_000 });
      return JSON.parse(stdout) as { status: number; text: string };
    },
    destroy,
  };
}
