/**
 * Everything the NetFlow / IPFIX decoders reuse, owned by the caller (one per listener): the
 * records handed to the sink, the header and record-info objects, and the template cache that
 * must outlive single datagrams (templates of an exporter session apply to later messages).
 */
import { FlowRecord } from '../../common/model.js';
import { TemplateCache } from './cache.js';
import { RecordScratch } from './fields.js';
import { MessageHeader, RecordInfo } from './types.js';

export class NetflowContext {
  readonly header = new MessageHeader();
  readonly info = new RecordInfo();
  readonly flow = new FlowRecord();
  readonly scratch = new RecordScratch();
  readonly templates: TemplateCache;
  /** Set by the caller before each datagram: when it was received (ns since the epoch). */
  timeReceivedNs = 0n;
  /** Set by the caller: a number kept with the message (e.g. the capture frame number). */
  tag = 0;
  private address = '';
  private port = -1;
  private key = '';
  private msOf = -1n;
  private ms = 0;

  constructor(templates: TemplateCache = new TemplateCache()) {
    this.templates = templates;
  }

  /**
   * Who sent the next datagram. Templates are scoped per transport session (RFC 7011 section
   * 10.3: over UDP, the exporter's address and port) and observation domain; the address alone
   * is the records' sampler_address.
   */
  setExporter(address: string, port: number): void {
    if (address === this.address && port === this.port) return;
    this.address = address;
    this.port = port;
    this.key = port < 0 ? address : `${address}:${port}`;
  }

  get exporterAddress(): string {
    return this.address;
  }

  get exporterKey(): string {
    return this.key;
  }

  /** The receive time in ms, the clock of template lifetimes (converted once per receive time). */
  get nowMs(): number {
    if (this.timeReceivedNs !== this.msOf) {
      this.msOf = this.timeReceivedNs;
      this.ms = Number(this.timeReceivedNs / 1_000_000n);
    }
    return this.ms;
  }
}
