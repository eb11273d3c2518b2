/**
 * The V8 flags the gateway's image starts Node with (the Dockerfile's ENTRYPOINT, which a test keeps
 * equal to this list; the benches start the bundle with them too, so they measure the process the image
 * runs).
 *
 * - `--max-semi-space-size=8`: the young generation stops at 2 × 8 MiB instead of 2 × 16. Measured on
 *   the gateway at saturation (64 connections, about 11,000 requests/s on one core, 24 s): RSS 115–121
 *   MiB instead of 123–131, and no difference in CPU per request beyond the run-to-run noise (two A/B
 *   series of 6 and 8 alternating runs), although the young generation is collected twice as often.
 *
 * - `--no-memory-reducer`: V8's memory reducer runs full collections once the allocation rate drops (a
 *   quiet spell, or one request at a time). A full collection frees the hidden classes no live object
 *   uses any more, among them those of the parsed request bodies and upstream chunks, and every optimized
 *   function that was specialised on one of them is thrown away ("weak objects" under `--log-deopt`: 115
 *   functions at once, the request path, the SSE reader and Node's HTTP internals among them). The next
 *   requests then run unoptimized until V8 optimizes them again. Measured with one stream at a time
 *   (after the bench's warm-up): the gateway's median time to first token rose by 200–300 µs from the
 *   memory reducer's collection on and stayed there for the next 700 streams; with the flag it did not
 *   move. Under load the allocation rate keeps the reducer off anyway; what it would return after a
 *   burst is heap the process needed a moment before, so the RSS ceiling is the same.
 *
 * Tried and left out: `--initial-old-space-size=16` bounded RSS under long saturation before the
 * upstream client stopped leaving a timer behind per request (see `routing/upstream-client.ts`), but it
 * made V8 run full collections so often that CPU per request rose by a fifth to a half.
 *
 * Source maps are not enabled at start: `--enable-source-maps` parses the bundle's map up front, 38 MiB
 * more RSS at idle. The map ships beside the bundle; `NODE_OPTIONS=--enable-source-maps` turns them on
 * when a stack trace needs the TypeScript lines.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--no-memory-reducer'];
