import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on an exposition; returns its complaints ('' when clean). */
export function promtoolCheckMetrics(exposition: string): string {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (res.error) throw res.error;
  return `${res.stdout}${res.stderr}`.trim();
}

/** Parses a Prometheus text exposition into series: `name{labels}` → value. */
export function parseExposition(text: string): Map<string, { name: string; labels: Record<string, string>; value: number }> {
  const series = new Map<string, { name: string; labels: Record<string, string>; value: number }>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1]] = lm[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    series.set(`${m[1]}${m[2] ?? ''}`, { name: m[1], labels, value: Number(m[4]) });
  }
  return series;
}

/** The series of one metric name, optionally filtered by label values. */
export function seriesOf(
  all: ReturnType<typeof parseExposition>,
  name: string,
  labels: Record<string, string> = {},
): { labels: Record<string, string>; value: number }[] {
  return [...all.values()].filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}
