/**
 * A (options) template as the decoders use it: the field specifiers in wire order plus, per
 * field, the action compiled from them (fields.ts), so a data record is decoded by one loop
 * over typed arrays with no lookups. Templates are immutable once built (but for the cache's
 * refresh stamps); a refresh with the same bytes keeps the compiled object (see sameRecord).
 */

/**
 * A field length of 65535 means "variable length", sent before each value (RFC 7011 section
 * 7). NetFlow v9 has no such thing, but H3C NetStream sends it there too (and no fixed field
 * can be that long in a datagram), so both versions read it the IPFIX way.
 */
export const VARIABLE_LENGTH = 65535;

/** Bound on fields per template (checked before the field list drives a loop or an allocation). */
export const MAX_TEMPLATE_FIELDS = 512;

export class Template {
  readonly version: number;
  readonly id: number;
  readonly options: boolean;
  /** Options templates: the scope fields come first. */
  readonly scopeCount: number;
  readonly fieldCount: number;
  /** Element id (IPFIX: without the enterprise bit) or, for v9 scope fields, the scope type. */
  readonly ids: Uint16Array;
  /** Private enterprise number, 0 for IANA elements. */
  readonly enterprises: Uint32Array;
  readonly lengths: Uint16Array;
  /** Per field, what the decoder does with its value (fields.ts ACTION_* codes). */
  readonly actions: Uint8Array;
  /** Fields whose declared length does not fit their element's type: skipped, never read. */
  readonly ignoredFields: number;
  /** fields.ts TOTAL_* bits: counts that are the flow's running totals, not deltas. */
  readonly runningTotals: number;
  /** Smallest record: fixed lengths plus one octet per variable-length field (RFC 7011 section 3.3.1). */
  readonly minRecordLength: number;
  readonly hasVariableLength: boolean;
  /** The template record's specifier bytes, to recognise a refresh of the same template. */
  readonly specifiers: Uint8Array;
  /** The same as big-endian 32-bit words (every specifier is 4 or 8 octets), compared a word at a time. */
  private readonly specifierWords: Int32Array;
  /** When it was last defined or refreshed (ms, receive clock). */
  refreshedMs = 0;
  /**
   * refreshedMs when the cache last put it at the back of its session's order and of the
   * global order: a refresh only stamps, eviction gives a second chance (cache.ts).
   */
  sessionPlacedMs = 0;
  placedMs = 0;

  constructor(init: {
    version: number;
    id: number;
    options: boolean;
    scopeCount: number;
    ids: Uint16Array;
    enterprises: Uint32Array;
    lengths: Uint16Array;
    actions: Uint8Array;
    ignoredFields: number;
    runningTotals: number;
    specifiers: Uint8Array;
  }) {
    this.version = init.version;
    this.id = init.id;
    this.options = init.options;
    this.scopeCount = init.scopeCount;
    this.fieldCount = init.ids.length;
    this.ids = init.ids;
    this.enterprises = init.enterprises;
    this.lengths = init.lengths;
    this.actions = init.actions;
    this.ignoredFields = init.ignoredFields;
    this.runningTotals = init.runningTotals;
    this.specifiers = init.specifiers;
    const s = init.specifiers;
    this.specifierWords = new Int32Array(s.length >>> 2);
    for (let i = 0, j = 0; i < this.specifierWords.length; i++, j += 4) this.specifierWords[i] = (s[j] << 24) | (s[j + 1] << 16) | (s[j + 2] << 8) | s[j + 3];
    let min = 0;
    let variable = false;
    for (let i = 0; i < this.fieldCount; i++) {
      const len = init.lengths[i];
      if (len === VARIABLE_LENGTH) {
        variable = true;
        min += 1;
      } else {
        min += len;
      }
    }
    this.minRecordLength = min;
    this.hasVariableLength = variable;
  }

  /**
   * True when a template record of this kind, field count and scope count whose specifiers
   * start at `buf[off]` (and end by `end`) has exactly the bytes this template was built from:
   * the same bytes parse to the same fields, so they end at `off + specifiers.length`.
   */
  sameRecord(options: boolean, fieldCount: number, scopeCount: number, buf: Uint8Array, off: number, end: number): boolean {
    const words = this.specifierWords;
    if (options !== this.options || fieldCount !== this.fieldCount || scopeCount !== this.scopeCount || end - off < this.specifiers.length) return false;
    for (let i = 0, j = off; i < words.length; i++, j += 4) {
      if (words[i] !== ((buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3])) return false;
    }
    return true;
  }
}
