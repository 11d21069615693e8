/**
 * A minimal OTLP receiver for tests: no OpenTelemetry Collector is packaged for this machine, so
 * this one accepts OTLP/HTTP (protobuf and JSON, gzip or not; optionally over TLS) and OTLP/gRPC,
 * and decodes the payloads with code generated from the official OTLP protobuf definitions
 * (opentelemetry-proto, as compiled by protobufjs in @opentelemetry/otlp-proto-exporter-base).
 * It is independent of the SDK's own serializer under test. Received data is flattened into
 * points and log records for assertions.
 */
import { Server as GrpcServer, ServerCredentials, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

interface ProtoType {
  decode(buf: Uint8Array): unknown;
  encode(msg: unknown): { finish(): Uint8Array };
  fromObject(obj: unknown): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): unknown;
}
interface OtlpRoot {
  opentelemetry: { proto: { collector: {
    metrics: { v1: { ExportMetricsServiceRequest: ProtoType; ExportMetricsServiceResponse: ProtoType } };
    logs: { v1: { ExportLogsServiceRequest: ProtoType; ExportLogsServiceResponse: ProtoType } };
  } } };
}

const root = createRequire(import.meta.url)('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js') as OtlpRoot;
const MetricsRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
const MetricsResponse = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
const LogsRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };

type AnyValue = { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value?: AnyValue };
type Attr = string | number | boolean;

function attrs(list: KeyValue[] | undefined): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    out[kv.key] = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? '';
  }
  return out;
}

export interface ReceivedPoint {
  readonly resource: Record<string, Attr>;
  readonly scope: string;
  readonly metric: string;
  readonly unit: string;
  readonly description: string;
  readonly kind: 'sum' | 'gauge' | 'other';
  readonly monotonic: boolean;
  /** 1 = delta, 2 = cumulative (AggregationTemporality in metrics.proto). */
  readonly temporality: number;
  readonly attributes: Record<string, Attr>;
  readonly value: number;
  readonly timeUnixNano: string;
  readonly startTimeUnixNano: string;
}

export interface ReceivedLog {
  readonly resource: Record<string, Attr>;
  readonly attributes: Record<string, Attr>;
  readonly timeUnixNano: string;
}

export interface ReceivedRequest {
  readonly transport: 'http/protobuf' | 'http/json' | 'grpc';
  readonly headers: Record<string, string>;
  readonly points: ReceivedPoint[];
}

interface NumberPoint { attributes?: KeyValue[]; asDouble?: number; asInt?: string; timeUnixNano?: string; startTimeUnixNano?: string }
interface MetricObj {
  name: string; unit?: string; description?: string;
  sum?: { dataPoints?: NumberPoint[]; isMonotonic?: boolean; aggregationTemporality?: number };
  gauge?: { dataPoints?: NumberPoint[] };
}
interface MetricsObj { resourceMetrics?: { resource?: { attributes?: KeyValue[] }; scopeMetrics?: { scope?: { name?: string }; metrics?: MetricObj[] }[] }[] }
interface LogsObj { resourceLogs?: { resource?: { attributes?: KeyValue[] }; scopeLogs?: { logRecords?: { attributes?: KeyValue[]; timeUnixNano?: string }[] }[] }[] }

function flattenMetrics(obj: MetricsObj): ReceivedPoint[] {
  const points: ReceivedPoint[] = [];
  for (const rm of obj.resourceMetrics ?? []) {
    const resource = attrs(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const kind = m.sum ? 'sum' : m.gauge ? 'gauge' : 'other';
        for (const dp of m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []) {
          points.push({
            resource,
            scope: sm.scope?.name ?? '',
            metric: m.name,
            unit: m.unit ?? '',
            description: m.description ?? '',
            kind,
            monotonic: m.sum?.isMonotonic === true,
            temporality: m.sum?.aggregationTemporality ?? 0,
            attributes: attrs(dp.attributes),
            value: dp.asDouble ?? (dp.asInt !== undefined ? Number(dp.asInt) : 0),
            timeUnixNano: dp.timeUnixNano ?? '0',
            startTimeUnixNano: dp.startTimeUnixNano ?? '0',
          });
        }
      }
    }
  }
  return points;
}

function flattenLogs(obj: LogsObj): ReceivedLog[] {
  const logs: ReceivedLog[] = [];
  for (const rl of obj.resourceLogs ?? []) {
    const resource = attrs(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) logs.push({ resource, attributes: attrs(lr.attributes), timeUnixNano: lr.timeUnixNano ?? '0' });
    }
  }
  return logs;
}

function headerMap(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly logs: ReceivedLog[] = [];
  readonly logHeaders: Record<string, string>[] = [];
  /** While true, every request is answered 503 (a receiver that is down for maintenance). */
  unavailable = false;
  private http: Server | undefined;
  private grpc: GrpcServer | undefined;

  /** Points of the most recent metrics request that carried `metric`. */
  latest(metric: string): ReceivedPoint[] {
    for (let i = this.requests.length - 1; i >= 0; i--) {
      const found = this.requests[i].points.filter((p) => p.metric === metric);
      if (found.length > 0) return found;
    }
    return [];
  }

  async waitFor<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = check();
      if (got !== undefined) return got;
      if (Date.now() > deadline) throw new Error(`OTLP receiver: condition not met within ${timeoutMs} ms (${this.requests.length} metric requests, ${this.logs.length} log records)`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** OTLP/HTTP on 127.0.0.1 (TLS when cert/key are given); resolves with the base URL. */
  async listenHttp(tls?: { cert: string; key: string }): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.onHttp(req, res);
    const server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.http = server;
    return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** OTLP/gRPC MetricsService on 127.0.0.1 (plaintext); resolves with http://127.0.0.1:PORT. */
  async listenGrpc(): Promise<string> {
    const server = new GrpcServer();
    server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: (msg: unknown) => Buffer.from(MetricsRequest.encode(msg).finish()),
          requestDeserialize: (buf: Buffer) => MetricsRequest.decode(buf),
          responseSerialize: (msg: unknown) => Buffer.from(MetricsResponse.encode(msg).finish()),
          responseDeserialize: (buf: Buffer) => MetricsResponse.decode(buf),
        },
      },
      {
        Export: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          const obj = MetricsRequest.toObject(call.request, TO_OBJECT) as MetricsObj;
          this.requests.push({ transport: 'grpc', headers: metadataMap(call.metadata), points: flattenMetrics(obj) });
          callback(null, MetricsResponse.fromObject({}));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    this.grpc = server;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const http = this.http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
    this.grpc?.forceShutdown();
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.unavailable) {
        res.writeHead(503).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const json = (req.headers['content-type'] ?? '').startsWith('application/json');
      const headers = headerMap(req.headers);
      if (req.url === '/v1/metrics') {
        const msg = json ? MetricsRequest.fromObject(JSON.parse(body.toString('utf8'))) : MetricsRequest.decode(body);
        const obj = MetricsRequest.toObject(msg, TO_OBJECT) as MetricsObj;
        this.requests.push({ transport: json ? 'http/json' : 'http/protobuf', headers, points: flattenMetrics(obj) });
      } else if (req.url === '/v1/logs') {
        const msg = json ? LogsRequest.fromObject(JSON.parse(body.toString('utf8'))) : LogsRequest.decode(body);
        this.logs.push(...flattenLogs(LogsRequest.toObject(msg, TO_OBJECT) as LogsObj));
        this.logHeaders.push(headers);
      } else {
        res.writeHead(404).end();
        return;
      }
      // An empty ExportServiceResponse: full success.
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : Buffer.alloc(0));
    });
  }
}

function metadataMap(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.getMap())) out[k] = String(v);
  return out;
}
