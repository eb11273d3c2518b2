// "did you mean …?" for misspelt keys and provider names.

/** Compares names ignoring case and the `-`/`_` difference (`api-base` is `api_base`). */
function normalizeName(name: string): string {
  return name.toLowerCase().replaceAll('-', '_');
}

/** Optimal-string-alignment distance: edits, with a swap of two neighbours counting as one. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const distance: number[][] = Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
  for (let i = 0; i < rows; i += 1) distance[i]![0] = i;
  for (let j = 0; j < columns; j += 1) distance[0]![j] = j;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < columns; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(distance[i - 1]![j]! + 1, distance[i]![j - 1]! + 1, distance[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, distance[i - 2]![j - 2]! + 1);
      }
      distance[i]![j] = best;
    }
  }
  return distance[a.length]![b.length]!;
}

/**
 * The closest candidate to `name`, or `undefined` when none is close enough to be a likely typo
 * (one edit for short names, two from 6 characters, three from 12).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalizeName(name);
  const allowed = wanted.length >= 12 ? 3 : wanted.length >= 6 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalizeName(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}
