/**
 * The collector's `/api/explain?port=X[&format=text]`: the Explanation as JSON (or its text
 * form); 400 without `port`, 404 with a JSON error for a port this host does not have (and the
 * candidates when it names several), 503 while OVSDB is not synchronised.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../common/errors.js';
import { explainPort, findPort, type ExplainSources } from './explain.js';
import { formatExplanation } from './format.js';
import type { Explanation } from './types.js';

/** Sources for one request, and what to release after it. */
export interface RequestSources {
  readonly sources: ExplainSources;
  close(): void;
}

export type ExplainOutcome =
  | { readonly ok: true; readonly explanation: Explanation }
  | { readonly ok: false; readonly error: string; readonly candidates?: readonly string[] };

/** Finds and explains `query`; an unknown or ambiguous port is an outcome, not an exception. */
export async function explainQuery(query: string, sources: ExplainSources): Promise<ExplainOutcome> {
  const match = findPort(query, sources);
  if (match.kind === 'unknown') return { ok: false, error: `no port "${query}" on this host (tried interface name, iface-id, MAC, vm-uuid)` };
  if (match.kind === 'ambiguous') return { ok: false, error: `"${query}" matches ${match.candidates.length} interfaces by ${match.by}: ask by name`, candidates: match.candidates };
  return { ok: true, explanation: await explainPort(query, match.identity, match.by, sources) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

export function explainRoute(open: () => RequestSources | null): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (_req, res, url) => {
    const port = url.searchParams.get('port');
    if (port === null || port.trim() === '') {
      sendJson(res, 400, { error: 'missing query parameter: port (a Neutron port id, interface name, MAC or VM uuid)' });
      return;
    }
    const request = open();
    if (request === null) {
      sendJson(res, 503, { error: 'OVSDB is not connected and synchronised yet' });
      return;
    }
    try {
      const outcome = await explainQuery(port, request.sources);
      if (!outcome.ok) sendJson(res, 404, { error: outcome.error, candidates: outcome.candidates ?? [] });
      else if (url.searchParams.get('format') === 'text') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(formatExplanation(outcome.explanation));
      } else sendJson(res, 200, outcome.explanation);
    } catch (err) {
      sendJson(res, 500, { error: describeError(err) });
    } finally {
      request.close();
    }
  };
}
