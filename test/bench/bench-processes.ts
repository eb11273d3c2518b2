/**
 * Child processes for the benchmark: building the helper bundles, spawning Node programs pinned to a
 * core with `taskset` (when the machine has it), waiting for them to be ready, and killing every one of
 * them however the bench ends.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freePort } from '../support/free-port';

export { freePort };

const benchDir = dirname(fileURLToPath(import.meta.url));

export interface CpuPlan {
  /** Whether processes are pinned with `taskset`. */
  readonly pinned: boolean;
  /** Core for the bench process (load generator) and the mock upstream. */
  readonly loadCore: number;
  /** Core for the proxy under test (gateway or pass-through). */
  readonly targetCore: number;
  /** Cores this process could use before pinning. */
  readonly cores: number;
  /** How the processes are placed, or why they are not pinned. */
  readonly note: string;
}

/** Pins load+upstream to core 0 and the target to core 1 when `taskset` exists and there are 2+ cores. */
export function planCpus(): CpuPlan {
  const cores = availableParallelism();
  const taskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  if (taskset.error !== undefined || taskset.status !== 0) {
    return { pinned: false, loadCore: 0, targetCore: 0, cores, note: 'taskset not found: processes run unpinned' };
  }
  if (cores < 2) {
    return { pinned: false, loadCore: 0, targetCore: 0, cores, note: `only ${cores} core available: processes run unpinned` };
  }
  return { pinned: true, loadCore: 0, targetCore: 1, cores, note: `pinned: bench+upstream on core 0, proxy under test on core 1 (${cores} cores)` };
}

/** Pins every thread of this process (and the threads it creates later) to one core. */
export function pinThisProcess(plan: CpuPlan): void {
  pinProcess(plan, process.pid, plan.loadCore);
}

/** Moves every thread of a running process to `core` (no-op when the plan is unpinned). */
export function pinProcess(plan: CpuPlan, pid: number, core: number): void {
  if (!plan.pinned) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/** Bundles the mock upstream and the pass-through proxy into plain ES modules (as the gateway is bundled). */
export async function buildBenchHelpers(
  outdir: string,
): Promise<{ readonly mockUpstream: string; readonly passthroughProxy: string; readonly stageTrace: string }> {
  await build({
    entryPoints: {
      'mock-upstream': join(benchDir, 'mock-upstream.ts'),
      'passthrough-proxy': join(benchDir, 'passthrough-proxy.ts'),
      'stage-trace': join(benchDir, 'stage-trace.ts'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return {
    mockUpstream: join(outdir, 'mock-upstream.mjs'),
    passthroughProxy: join(outdir, 'passthrough-proxy.mjs'),
    stageTrace: join(outdir, 'stage-trace.mjs'),
  };
}

export interface SpawnNodeOptions {
  /** A name for messages. */
  readonly name: string;
  /** Arguments after `node`. */
  readonly args: readonly string[];
  /**
   * Core to pin to; ignored when the plan is unpinned.
   * @default - unpinned
   */
  readonly core?: number;
  readonly plan: CpuPlan;
  /**
   * Extra environment variables.
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Working directory.
   * @default - this process's
   */
  readonly cwd?: string;
}

export interface BenchChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** `performance.now()` just before the spawn. */
  readonly spawnedAt: number;
  /** The last few KiB the child wrote to stdout and stderr. */
  outputTail(): string;
  /** Resolves with the first stdout line that parses as JSON with a numeric `port`. */
  readyPort(timeoutMs: number): Promise<number>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
}

const OUTPUT_TAIL_CHARS = 8192;

/** Every child started by this process, killed by `killAllChildren()`. */
const children = new Set<BenchChild>();

export function spawnNode({ name, args, core, plan, env = {}, cwd }: SpawnNodeOptions): BenchChild {
  const pin = plan.pinned && core !== undefined;
  const command = pin ? 'taskset' : process.execPath;
  const commandArgs = pin ? ['-c', String(core), process.execPath, ...args] : [...args];
  const spawnedAt = performance.now();
  // taskset execs node in place, so the pid is the Node process's own.
  const child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(cwd !== undefined ? { cwd } : {}) });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let tail = '';
  let stdoutLine = '';
  const portWaiters: ((port: number) => void)[] = [];
  let port: number | undefined;
  const remember = (text: string): void => {
    tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    remember(text);
    if (port !== undefined) return;
    stdoutLine += text;
    let newline = stdoutLine.indexOf('\n');
    while (newline >= 0 && port === undefined) {
      const line = stdoutLine.slice(0, newline);
      stdoutLine = stdoutLine.slice(newline + 1);
      try {
        const parsed = JSON.parse(line) as { port?: unknown };
        if (typeof parsed.port === 'number') port = parsed.port;
      } catch {
        // not the ready line
      }
      newline = stdoutLine.indexOf('\n');
    }
    if (port !== undefined) for (const waiter of portWaiters.splice(0)) waiter(port);
  });
  child.stderr.on('data', remember);
  const exit = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const benchChild: BenchChild = {
    name,
    process: child,
    pid: child.pid,
    spawnedAt,
    outputTail: () => tail,
    readyPort: (timeoutMs) =>
      new Promise<number>((resolvePort, reject) => {
        if (port !== undefined) {
          resolvePort(port);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`${name} did not report its port within ${timeoutMs} ms:\n${tail}`)), timeoutMs);
        portWaiters.push((value) => {
          clearTimeout(timer);
          resolvePort(value);
        });
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before it was ready:\n${tail}`));
        });
      }),
    exited: () => exit,
  };
  children.add(benchChild);
  void exit.then(() => children.delete(benchChild));
  return benchChild;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: BenchChild, graceMs = 5000): Promise<number | null> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  const code = await child.exited();
  clearTimeout(timer);
  return code;
}

/** Kills every child still running; synchronous, so it can run in an `exit` handler. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
  children.clear();
}


function getStatus(url: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const request = httpRequest(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    request.once('error', () => resolveStatus(0));
    request.once('timeout', () => request.destroy());
    request.end();
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200; resolves with `performance.now()` at that answer.
 * Rejects after `timeoutMs` or when the child exits.
 */
export async function waitForHealthy(child: BenchChild, url: string, timeoutMs: number, intervalMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (code ${child.process.exitCode}, signal ${child.process.signalCode}):\n${child.outputTail()}`);
    }
    if ((await getStatus(url)) === 200) return performance.now();
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
  throw new Error(`${child.name} did not answer 200 on ${url} within ${timeoutMs} ms:\n${child.outputTail()}`);
}

/** VmRSS and VmHWM of a process in MiB, from /proc (undefined where /proc is missing). */
export function readMemoryMiB(pid: number): { readonly rssMiB: number; readonly peakRssMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
    };
    return { rssMiB: field('VmRSS'), peakRssMiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc CPU times (`getconf CLK_TCK`, 100 when unknown). */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** Busy and total clock ticks of one core so far, from /proc/stat (undefined where it is missing). */
export function readCoreTicks(core: number): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`cpu${core} `));
    if (line === undefined) return undefined;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    // idle and iowait are the 4th and 5th figures.
    return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** User and system (kernel) CPU seconds of a process, from /proc (undefined where /proc is missing). */
export function readCpuTimes(pid: number, ticksPerSecond: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

/** User+system CPU seconds of a process, from /proc (undefined where /proc is missing). */
export function readCpuSeconds(pid: number, ticksPerSecond: number): number | undefined {
  const times = readCpuTimes(pid, ticksPerSecond);
  return times === undefined ? undefined : times.user + times.system;
}

/** Pids of the processes descended from this one, except those under (or equal to) a pid in `except`. */
function descendantPids(except: ReadonlySet<number>): number[] | undefined {
  const parentOf = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return undefined;
  }
  const descends = (pid: number): boolean => {
    for (let current = parentOf.get(pid); current !== undefined && current > 1; current = parentOf.get(current)) {
      if (except.has(current)) return false;
      if (current === process.pid) return true;
    }
    return false;
  };
  return [...parentOf.keys()].filter((pid) => !except.has(pid) && descends(pid));
}

/**
 * CPU seconds used so far by the processes descended from this one (Postgres and Valkey servers started
 * by helpers), except those under a pid in `except`, summed per program name (`/proc/<pid>/comm`, e.g.
 * `redis-server`, `postgres`). Processes that exited meanwhile are not counted.
 */
export function readDescendantsCpuSeconds(except: ReadonlySet<number>, ticksPerSecond: number): Map<string, number> | undefined {
  const pids = descendantPids(except);
  if (pids === undefined) return undefined;
  const seconds = new Map<string, number>();
  for (const pid of pids) {
    let name = 'unknown';
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    seconds.set(name, (seconds.get(name) ?? 0) + (readCpuSeconds(pid, ticksPerSecond) ?? 0));
  }
  return seconds;
}

/**
 * Pins every process descended from this one (servers started by helpers that hide their pids, such as
 * Postgres and Valkey) to `core`, except the pids in `except`, and renices them to `niceness` when given.
 * Processes they fork later inherit both. Returns how many were pinned; 0 when the plan is unpinned or /proc is missing.
 */
export function pinDescendants(plan: CpuPlan, core: number, except: ReadonlySet<number> = new Set(), niceness?: number): number {
  if (!plan.pinned) return 0;
  const pids = descendantPids(except);
  if (pids === undefined) return 0;
  let pinned = 0;
  for (const pid of pids) {
    const result = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    if (result.status === 0) pinned += 1;
    // Children forked later (Postgres backends) inherit the priority. Lowering niceness needs root; without it this is a no-op.
    if (niceness !== undefined) spawnSync('renice', ['-n', String(niceness), '-p', String(pid)], { stdio: 'ignore' });
  }
  return pinned;
}
