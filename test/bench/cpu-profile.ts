/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`) of the gateway bundle: self time per function
 * and per module, and inclusive time of the gateway's own functions. Frames in the bundle are mapped back
 * to their source files through the bundle's source map, so `node_modules/fastify/…` and
 * `gateway/http/…` show up as such.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import type { SourceMapPayload } from 'node:module';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly percent: number;
}

export interface ProfileSummary {
  /** Time the summarized samples span (the busiest window when one was asked for). */
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  /** Self time per function (`name (source:line)`), largest first. */
  readonly topSelf: readonly ProfileEntry[];
  /** Self time per module (npm package, `gateway/<folder>`, `node:<area>`, GC, native), largest first. */
  readonly byModule: readonly ProfileEntry[];
  /** Inclusive time of functions in the gateway's own sources, largest first. */
  readonly topGatewayInclusive: readonly ProfileEntry[];
}

interface ResolvedFrame {
  readonly key: string;
  readonly module: string;
  readonly gatewayOwn: boolean;
}

function moduleOfSource(source: string): { module: string; gatewayOwn: boolean } {
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(source);
  if (packageMatch?.[1] !== undefined) return { module: packageMatch[1], gatewayOwn: false };
  const gatewayMatch = /(?:^|\/)gateway\/([^/]+)/.exec(source);
  if (gatewayMatch?.[1] !== undefined) {
    const folder = gatewayMatch[1].endsWith('.ts') ? gatewayMatch[1] : `${gatewayMatch[1]}/`;
    return { module: `gateway/${folder}`, gatewayOwn: true };
  }
  return { module: source, gatewayOwn: false };
}

function shortSource(source: string): string {
  const index = Math.max(source.lastIndexOf('node_modules/'), source.lastIndexOf('gateway/'));
  return index >= 0 ? source.slice(index) : source;
}

function resolveFrame(frame: CallFrame, bundleUrl: string | undefined, sourceMap: SourceMap | undefined): ResolvedFrame {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)') {
    return { key: name, module: name, gatewayOwn: false };
  }
  if (frame.url === '') return { key: `${name} (native)`, module: '(native)', gatewayOwn: false };
  if (frame.url.startsWith('node:')) {
    const area = frame.url.slice('node:'.length).split('/').slice(0, 2).join('/').replace(/\.js$/, '');
    return { key: `${name} (${frame.url}:${frame.lineNumber + 1})`, module: `node:${area}`, gatewayOwn: false };
  }
  if (sourceMap !== undefined && bundleUrl !== undefined && frame.url === bundleUrl) {
    const entry = sourceMap.findEntry(frame.lineNumber, frame.columnNumber);
    if ('originalSource' in entry) {
      const { module, gatewayOwn } = moduleOfSource(entry.originalSource);
      return { key: `${name} (${shortSource(entry.originalSource)}:${entry.originalLine + 1})`, module, gatewayOwn };
    }
  }
  const { module, gatewayOwn } = moduleOfSource(frame.url);
  return { key: `${name} (${shortSource(frame.url)}:${frame.lineNumber + 1})`, module, gatewayOwn };
}

function ranked(totals: Map<string, number>, busyUs: number, top: number): ProfileEntry[] {
  return [...totals.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs > 0 ? (100 * us) / busyUs : 0 }));
}

export interface SummarizeOptions {
  /** `file://` URL of the bundle the profile ran, to map its frames. */
  readonly bundleUrl?: string;
  /** Path of the bundle's source map. */
  readonly sourceMapPath?: string;
  /** @default 25 */
  readonly top?: number;
  /**
   * Summarize only the busiest stretch of this many milliseconds (the saturation run), leaving out
   * start-up, warm-up and idle phases. The whole profile when unset or longer than the profile.
   */
  readonly busiestWindowMs?: number;
}

/** Sample index range [from, to) of the stretch of `windowUs` with the least idle time. */
function busiestWindow(profile: CpuProfile, isIdle: (id: number) => boolean, windowUs: number): { from: number; to: number } {
  const count = profile.samples.length;
  let from = 0;
  let best = { from: 0, to: count, busyUs: -1 };
  let spanUs = 0;
  let busyUs = 0;
  for (let to = 0; to < count; to += 1) {
    const us = profile.timeDeltas[to + 1] ?? 0;
    const id = profile.samples[to];
    spanUs += us;
    if (id !== undefined && !isIdle(id)) busyUs += us;
    while (spanUs > windowUs && from < to) {
      const fromUs = profile.timeDeltas[from + 1] ?? 0;
      const fromId = profile.samples[from];
      spanUs -= fromUs;
      if (fromId !== undefined && !isIdle(fromId)) busyUs -= fromUs;
      from += 1;
    }
    if (busyUs > best.busyUs) best = { from, to: to + 1, busyUs };
  }
  return { from: best.from, to: best.to };
}

export function summarizeCpuProfile(
  profile: CpuProfile,
  { bundleUrl, sourceMapPath, top = 25, busiestWindowMs }: SummarizeOptions = {},
): ProfileSummary {
  const sourceMap =
    sourceMapPath === undefined ? undefined : new SourceMap(JSON.parse(readFileSync(sourceMapPath, 'utf8')) as SourceMapPayload);
  const byId = new Map<number, ProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const resolved = new Map<number, ResolvedFrame>();
  const frameOf = (id: number): ResolvedFrame => {
    let frame = resolved.get(id);
    if (frame === undefined) {
      const node = byId.get(id);
      frame = node === undefined ? { key: '(unknown)', module: '(unknown)', gatewayOwn: false } : resolveFrame(node.callFrame, bundleUrl, sourceMap);
      resolved.set(id, frame);
    }
    return frame;
  };

  const selfByKey = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusiveGateway = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  const add = (totals: Map<string, number>, key: string, us: number): void => {
    totals.set(key, (totals.get(key) ?? 0) + us);
  };
  const range =
    busiestWindowMs === undefined
      ? { from: 0, to: profile.samples.length }
      : busiestWindow(profile, (id) => frameOf(id).key === '(idle)', busiestWindowMs * 1000);
  for (let index = range.from; index < range.to; index += 1) {
    const id = profile.samples[index];
    // timeDeltas[i] is the time since the previous sample; attribute the next delta to this sample.
    const us = profile.timeDeltas[index + 1] ?? 0;
    if (id === undefined || us <= 0) continue;
    totalUs += us;
    const frame = frameOf(id);
    if (frame.key === '(idle)') {
      idleUs += us;
      continue;
    }
    add(selfByKey, frame.key, us);
    add(selfByModule, frame.module, us);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const ancestor = frameOf(current);
      if (ancestor.gatewayOwn && !seen.has(ancestor.key)) {
        seen.add(ancestor.key);
        add(inclusiveGateway, ancestor.key, us);
      }
    }
  }
  const busyUs = totalUs - idleUs;
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    topSelf: ranked(selfByKey, busyUs, top),
    byModule: ranked(selfByModule, busyUs, top),
    topGatewayInclusive: ranked(inclusiveGateway, busyUs, top),
  };
}

/** The summary as report lines: self time by module, top functions, gateway functions by inclusive time. */
export function formatProfileSummary(summary: ProfileSummary): string[] {
  const lines = [`gateway CPU profile: ${summary.busyMs.toFixed(0)} ms busy of ${summary.totalMs.toFixed(0)} ms sampled`];
  const section = (title: string, entries: ProfileSummary['topSelf'], count: number): void => {
    lines.push(`  ${title}`);
    for (const entry of entries.slice(0, count)) lines.push(`    ${entry.percent.toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`);
  };
  section('self time by module:', summary.byModule, 20);
  section('top functions by self time:', summary.topSelf, 25);
  section('gateway functions by inclusive time:', summary.topGatewayInclusive, 20);
  return lines;
}

/**
 * Where one process spends more CPU per request than another: self time per module and per function of
 * both summaries (take them with a large `top`), divided by the requests each served in its summarized
 * window, and the difference, largest first.
 */
export function formatPerRequestDiff(
  base: { readonly label: string; readonly summary: ProfileSummary; readonly requests: number },
  other: { readonly label: string; readonly summary: ProfileSummary; readonly requests: number },
  count = 20,
): string[] {
  const perRequest = (entries: readonly ProfileEntry[], requests: number): Map<string, number> =>
    new Map(entries.map((entry) => [entry.name, (entry.ms * 1000) / requests]));
  const lines = [
    `CPU per request from the profiles (µs, inflated by the profiler): ${base.label} ${((base.summary.busyMs * 1000) / base.requests).toFixed(0)}, ` +
      `${other.label} ${((other.summary.busyMs * 1000) / other.requests).toFixed(0)}`,
  ];
  const section = (title: string, baseEntries: readonly ProfileEntry[], otherEntries: readonly ProfileEntry[]): void => {
    const left = perRequest(baseEntries, base.requests);
    const right = perRequest(otherEntries, other.requests);
    const names = new Set([...left.keys(), ...right.keys()]);
    const rows = [...names]
      .map((name) => ({ name, base: left.get(name) ?? 0, other: right.get(name) ?? 0 }))
      .sort((a, b) => b.other - b.base - (a.other - a.base))
      .slice(0, count);
    lines.push(`  ${title}  ${base.label.padStart(8)} ${other.label.padStart(8)}    added`);
    for (const row of rows) {
      lines.push(`    ${row.base.toFixed(1).padStart(8)} ${row.other.toFixed(1).padStart(8)} ${(row.other - row.base).toFixed(1).padStart(8)}  ${row.name}`);
    }
  };
  section('self time by module:', base.summary.byModule, other.summary.byModule);
  section('self time by function:', base.summary.topSelf, other.summary.topSelf);
  return lines;
}
