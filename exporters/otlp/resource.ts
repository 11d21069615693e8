/**
 * The OTLP resource: who sends the telemetry. service.name/service.version and host.name as the
 * semantic conventions define them, plus the Open vSwitch system-id, which identifies the
 * chassis the way OVN and Neutron do.
 */
import { hostname } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { VERSION } from '../../common/version.js';
import { ATTR_OVS_SYSTEM_ID } from './names.js';

/** host.name (semantic conventions, incubating: spelled out here). */
export const ATTR_HOST_NAME = 'host.name';
export const SERVICE_NAME = 'ovs-telemetry';

export interface OtlpResourceOptions {
  /** Default: os.hostname(). */
  readonly hostName?: string;
  /**
   * Open_vSwitch.external_ids:system-id. A promise is awaited before the first export (the
   * OVSDB source learns it once synchronised); a promise that resolves to '' leaves it out.
   */
  readonly systemId?: string | Promise<string>;
  /** More resource attributes (e.g. deployment.environment.name); they cannot replace the ones above. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export function otlpResource(opts: OtlpResourceOptions): Resource {
  const systemId = opts.systemId === undefined ? undefined : Promise.resolve(opts.systemId).then((id) => id || undefined);
  return resourceFromAttributes({
    ...opts.attributes,
    [ATTR_SERVICE_NAME]: SERVICE_NAME,
    [ATTR_SERVICE_VERSION]: VERSION,
    [ATTR_HOST_NAME]: opts.hostName ?? hostname(),
    ...(systemId === undefined ? {} : { [ATTR_OVS_SYSTEM_ID]: systemId }),
  });
}
