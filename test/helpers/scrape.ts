import { parseExposition, seriesOf } from './promtool.js';

export type Exposition = ReturnType<typeof parseExposition>;

export async function scrape(url: string): Promise<{ text: string; series: Exposition }> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${res.status}`);
  const text = await res.text();
  return { text, series: parseExposition(text) };
}

/** Polls /metrics until `check` holds; returns the scrape that satisfied it and when. */
export async function waitForScrape(
  url: string,
  check: (series: Exposition) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<{ series: Exposition; text: string; elapsedMs: number }> {
  const start = Date.now();
  for (;;) {
    const got = await scrape(url);
    if (check(got.series)) return { ...got, elapsedMs: Date.now() - start };
    if (Date.now() - start > timeoutMs) {
      throw new Error(`condition not met within ${timeoutMs} ms; last scrape:\n${got.text.split('\n').filter((l) => l.startsWith('ovs_')).slice(0, 60).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls /metrics until what `reading` returns (null: not ready yet) has stayed the same for
 * `stableReadings` polls in a row after changing: exporters have flushed, even a late one.
 */
export async function waitForSettled(
  url: string,
  reading: (series: Exposition) => string | null,
  options: { readonly timeoutMs: number; readonly intervalMs: number; readonly stableReadings: number },
): Promise<Exposition> {
  let last: string | null = null;
  let unchanged = 0;
  const got = await waitForScrape(url, (s) => {
    const now = reading(s);
    unchanged = now !== null && now === last ? unchanged + 1 : 0;
    last = now;
    return unchanged >= options.stableReadings;
  }, options.timeoutMs, options.intervalMs);
  return got.series;
}

export function value(series: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = seriesOf(series, name, labels);
  return found.length === 1 ? found[0].value : undefined;
}

/** Every series key of the given metric names (name{labels}), sorted. */
export function seriesKeys(series: Exposition, prefix: string): string[] {
  return [...series.keys()].filter((k) => k.startsWith(prefix)).sort();
}
