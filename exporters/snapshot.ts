/**
 * One pass over the metric collectors, kept as a list of samples for the push exporters (OTLP,
 * InfluxDB). Prometheus joins tenancy through `ovs_interface_info` at query time; push
 * destinations cannot, so the snapshot also indexes each interface's Neutron port, network and
 * project from the info samples, for the exporters to put on the interface's own points.
 */
import { describeError } from '../common/errors.js';
import { METRICS, type MetricCollector, type MetricSink, type MetricSpec } from '../common/metrics.js';

export interface Sample {
  readonly spec: MetricSpec;
  /** In the order of `spec.labels`. */
  readonly labels: readonly string[];
  readonly value: number;
}

export interface InterfaceTenancy {
  readonly neutronPortId: string;
  readonly networkId: string;
  readonly projectId: string;
}

const INFO = METRICS.interfaceInfo;
const at = (name: string): number => INFO.labels.indexOf(name);
const INFO_BRIDGE = at('bridge');
const INFO_PORT = at('port');
const INFO_INTERFACE = at('interface');
const INFO_NEUTRON_PORT = at('neutron_port_id');
const INFO_NETWORK = at('network_id');
const INFO_PROJECT = at('project_id');

const interfaceKey = (bridge: string, port: string, iface: string): string => `${bridge}\u0000${port}\u0000${iface}`;

/** Whether a family is labelled by interface exactly as the per-interface series are. */
export function isInterfaceSeries(spec: MetricSpec): boolean {
  const l = spec.labels;
  return l.length === 3 && l[0] === 'bridge' && l[1] === 'port' && l[2] === 'interface';
}

export class Snapshot implements MetricSink {
  readonly samples: Sample[] = [];
  /** Collectors that threw during this pass (their samples up to the throw are kept). */
  readonly failed: string[] = [];
  private readonly tenancy = new Map<string, InterfaceTenancy>();

  constructor(
    /** When the pass ran (ms since the epoch): the points' timestamp. */
    readonly time: number,
  ) {}

  add(spec: MetricSpec, labels: readonly string[], value: number): void {
    if (spec === INFO) {
      this.tenancy.set(interfaceKey(labels[INFO_BRIDGE], labels[INFO_PORT], labels[INFO_INTERFACE]), {
        neutronPortId: labels[INFO_NEUTRON_PORT],
        networkId: labels[INFO_NETWORK],
        projectId: labels[INFO_PROJECT],
      });
    }
    this.samples.push({ spec, labels, value });
  }

  /** The tenancy of a per-interface series (labels bridge, port, interface), when its info sample was seen. */
  tenancyOf(labels: readonly string[]): InterfaceTenancy | undefined {
    return this.tenancy.get(interfaceKey(labels[0], labels[1], labels[2]));
  }
}

/** Runs every collector into a new snapshot; one failing collector never hides the others. */
export function takeSnapshot(collectors: readonly MetricCollector[], onError: (collector: string, err: string) => void): Snapshot {
  const snapshot = new Snapshot(Date.now());
  for (const collector of collectors) {
    try {
      collector.collect(snapshot);
    } catch (err) {
      snapshot.failed.push(collector.name);
      onError(collector.name, describeError(err));
    }
  }
  return snapshot;
}
