/**
 * Run tshark and read its `-T json` output with every key kept in wire order: tshark writes
 * repeated fields (two `eth` layers in a VXLAN header, several samples with the same name) as
 * duplicate keys, which JSON.parse would collapse. The small parser below keeps them.
 */
import { execFileSync } from 'node:child_process';

export type TNode = string | null | TNode[] | TObject;
export interface TObject {
  readonly entries: [string, TNode][];
}

export function isObject(node: TNode | undefined): node is TObject {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** First value of `key` (strings only; objects via `child`). */
export function field(obj: TObject, key: string): string | undefined {
  for (const [k, v] of obj.entries) if (k === key && typeof v === 'string') return v;
  return undefined;
}

export function child(obj: TObject, key: string): TObject | undefined {
  for (const [k, v] of obj.entries) if (k === key && isObject(v)) return v;
  return undefined;
}

/** Entries whose value is an object, in order. */
export function children(obj: TObject): [string, TObject][] {
  const out: [string, TObject][] = [];
  for (const [k, v] of obj.entries) if (isObject(v)) out.push([k, v]);
  return out;
}

/** Parse JSON text; objects become ordered entry lists (duplicates kept), numbers/bools as text. */
export function parseOrderedJson(text: string): TNode {
  let pos = 0;
  const ws = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++;
  };
  const str = (): string => {
    const start = pos;
    pos++; // opening quote
    let simple = true;
    while (text[pos] !== '"') {
      if (text[pos] === '\\') {
        simple = false;
        pos++;
      }
      pos++;
    }
    pos++;
    const raw = text.slice(start, pos);
    return simple ? raw.slice(1, -1) : (JSON.parse(raw) as string);
  };
  const value = (): TNode => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries: [string, TNode][] = [];
      ws();
      if (text[pos] === '}') {
        pos++;
        return { entries };
      }
      for (;;) {
        ws();
        const key = str();
        ws();
        pos++; // colon
        entries.push([key, value()]);
        ws();
        if (text[pos++] === '}') return { entries };
      }
    }
    if (c === '[') {
      pos++;
      const items: TNode[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[pos++] === ']') return items;
      }
    }
    if (c === '"') return str();
    const start = pos;
    while (pos < text.length && !',]} \t\r\n'.includes(text[pos])) pos++;
    const word = text.slice(start, pos);
    return word === 'null' ? null : word;
  };
  return value();
}

export interface TsharkFrame {
  number: number;
  /** The sflow layer, when tshark decoded one. */
  sflow?: TObject;
}

/** `tshark -r FILE -T json -J sflow` (plus extra args), frames with their sflow layer. */
export function tsharkSflowFrames(file: string, extraArgs: string[] = []): TsharkFrame[] {
  const text = execFileSync('tshark', ['-r', file, '-T', 'json', '-J', 'frame sflow', ...extraArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const frames = parseOrderedJson(text);
  if (!Array.isArray(frames)) throw new Error('tshark JSON is not an array');
  return frames.map((frame) => {
    const layers = isObject(frame) ? child(child(frame, '_source') ?? { entries: [] }, 'layers') : undefined;
    const frameLayer = layers ? child(layers, 'frame') : undefined;
    return {
      number: Number(frameLayer ? field(frameLayer, 'frame.number') : NaN),
      sflow: layers ? child(layers, 'sflow') : undefined,
    };
  });
}

export interface TsharkLayerFrame {
  number: number;
  /** The named protocol layer, when tshark decoded one. */
  layer?: TObject;
}

/**
 * `tshark -r FILE -T json -J "frame LAYER"` (plus extra args such as `-d udp.port==N,cflow`),
 * each frame with that layer. Runs with TZ=UTC so absolute times print in UTC.
 */
export function tsharkLayerFrames(file: string, layer: string, extraArgs: string[] = []): TsharkLayerFrame[] {
  const text = execFileSync('tshark', ['-r', file, '-T', 'json', '-J', `frame ${layer}`, ...extraArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, TZ: 'UTC' },
  });
  const frames = parseOrderedJson(text);
  if (!Array.isArray(frames)) throw new Error('tshark JSON is not an array');
  return frames.map((frame) => {
    const layers = isObject(frame) ? child(child(frame, '_source') ?? { entries: [] }, 'layers') : undefined;
    const frameLayer = layers ? child(layers, 'frame') : undefined;
    return {
      number: Number(frameLayer ? field(frameLayer, 'frame.number') : NaN),
      layer: layers ? child(layers, layer) : undefined,
    };
  });
}

/** Every string value of `key` in `obj`, in wire order (tshark repeats keys for repeated fields). */
export function fields(obj: TObject, key: string): string[] {
  const out: string[] = [];
  for (const [k, v] of obj.entries) if (k === key && typeof v === 'string') out.push(v);
  return out;
}
