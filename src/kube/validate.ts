// The shape every Kubernetes object must have before the engine and the checks see it, whether it
// came from the API server or from a snapshot file. Checked: what code outside the checks relies on,
// and (SHAPES below) the type of every field the checks read, as the API's own types define it. An
// object that fails here is a bad record, reported where it was read with what is wrong — instead of
// a check tripping over `"x".split` on a number and losing all its other findings.
import { isObject } from '../util/dict.js';
import { POD_SPEC_PATHS, valueAt } from './pod-specs.js';

/**
 * A field's type in the Kubernetes API. Absent and null are always allowed (the API omits empty
 * fields); fields not named are not looked at. `quantity` is resource.Quantity (a string on the wire,
 * a number in a hand-written file), `int-or-string` is intstr.IntOrString.
 */
type Shape =
  | 'string' | 'number' | 'boolean' | 'object' | 'quantity' | 'int-or-string'
  | { list: Shape }
  | { map: Shape }
  | { fields: Record<string, Shape> };

const STRINGS: Shape = { list: 'string' };
const STRING_MAP: Shape = { map: 'string' };
const QUANTITIES: Shape = { map: 'quantity' };
const HANDLER: Shape = {
  fields: {
    exec: { fields: { command: STRINGS } },
    httpGet: { fields: { path: 'string', port: 'int-or-string', host: 'string', scheme: 'string' } },
    tcpSocket: { fields: { port: 'int-or-string', host: 'string' } },
    sleep: { fields: { seconds: 'number' } },
  },
};
const PROBE: Shape = {
  fields: {
    ...HANDLER.fields,
    grpc: { fields: { port: 'number', service: 'string' } },
    initialDelaySeconds: 'number', periodSeconds: 'number', timeoutSeconds: 'number', failureThreshold: 'number', successThreshold: 'number',
  },
};
const CONTAINER: Shape = {
  fields: {
    name: 'string', image: 'string', command: STRINGS, args: STRINGS, workingDir: 'string',
    env: { list: { fields: { name: 'string', value: 'string', valueFrom: 'object' } } },
    envFrom: { list: 'object' },
    ports: { list: { fields: { name: 'string', containerPort: 'number', hostPort: 'number', protocol: 'string' } } },
    resources: { fields: { limits: QUANTITIES, requests: QUANTITIES } },
    volumeMounts: { list: { fields: { name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'boolean' } } },
    livenessProbe: PROBE, readinessProbe: PROBE, startupProbe: PROBE,
    lifecycle: { fields: { preStop: HANDLER, postStart: HANDLER } },
    securityContext: 'object',
  },
};
const POD_SPEC: Shape = {
  fields: {
    containers: { list: CONTAINER }, initContainers: { list: CONTAINER }, ephemeralContainers: { list: CONTAINER },
    volumes: { list: { fields: { name: 'string', hostPath: { fields: { path: 'string', type: 'string' } }, emptyDir: 'object', persistentVolumeClaim: { fields: { claimName: 'string' } } } } },
    nodeName: 'string', nodeSelector: STRING_MAP, serviceAccountName: 'string', hostNetwork: 'boolean',
    terminationGracePeriodSeconds: 'number', priorityClassName: 'string',
  },
};
const CONDITIONS: Shape = {
  list: { fields: { type: 'string', status: 'string', reason: 'string', message: 'string', lastHeartbeatTime: 'string', lastTransitionTime: 'string' } },
};
const CONTAINER_STATUSES: Shape = {
  list: { fields: { name: 'string', image: 'string', imageID: 'string', containerID: 'string', ready: 'boolean', started: 'boolean', restartCount: 'number', state: 'object', lastState: 'object' } },
};
const TEMPLATE: Shape = { fields: { metadata: { fields: { labels: STRING_MAP, annotations: STRING_MAP } }, spec: POD_SPEC } };
const WORKLOAD_SPEC = { replicas: 'number', selector: { fields: { matchLabels: STRING_MAP } }, template: TEMPLATE } as const;
const WORKLOAD_STATUS: Shape = { fields: { replicas: 'number', readyReplicas: 'number', availableReplicas: 'number', updatedReplicas: 'number' } };
const HPA_SCALING: Shape = {
  fields: {
    stabilizationWindowSeconds: 'number', selectPolicy: 'string',
    policies: { list: { fields: { type: 'string', value: 'number', periodSeconds: 'number' } } },
  },
};

/** Per kind, the fields checks read (beyond metadata, which every kind gets below). */
const SHAPES: Record<string, Record<string, Shape>> = {
  Pod: {
    spec: POD_SPEC,
    status: {
      fields: {
        phase: 'string', reason: 'string', message: 'string', podIP: 'string', hostIP: 'string', startTime: 'string',
        conditions: CONDITIONS, containerStatuses: CONTAINER_STATUSES, initContainerStatuses: CONTAINER_STATUSES, ephemeralContainerStatuses: CONTAINER_STATUSES,
      },
    },
  },
  Deployment: { spec: { fields: WORKLOAD_SPEC }, status: WORKLOAD_STATUS },
  ReplicaSet: { spec: { fields: WORKLOAD_SPEC }, status: WORKLOAD_STATUS },
  StatefulSet: { spec: { fields: WORKLOAD_SPEC }, status: WORKLOAD_STATUS },
  DaemonSet: { spec: { fields: { selector: WORKLOAD_SPEC.selector, template: TEMPLATE } } },
  Job: { spec: { fields: { selector: WORKLOAD_SPEC.selector, template: TEMPLATE } } },
  CronJob: { spec: { fields: { schedule: 'string', jobTemplate: { fields: { spec: { fields: { template: TEMPLATE } } } } } } },
  Node: {
    spec: { fields: { unschedulable: 'boolean', taints: { list: { fields: { key: 'string', value: 'string', effect: 'string' } } } } },
    status: { fields: { conditions: CONDITIONS, nodeInfo: STRING_MAP, allocatable: QUANTITIES, capacity: QUANTITIES } },
  },
  Event: {
    message: 'string', reason: 'string', type: 'string', count: 'number', note: 'string',
    firstTimestamp: 'string', lastTimestamp: 'string', eventTime: 'string',
    involvedObject: { fields: { kind: 'string', name: 'string', namespace: 'string', uid: 'string', fieldPath: 'string' } },
    source: { fields: { component: 'string', host: 'string' } },
  },
  Service: {
    spec: {
      fields: {
        type: 'string', clusterIP: 'string', selector: STRING_MAP, sessionAffinity: 'string',
        ports: { list: { fields: { name: 'string', protocol: 'string', appProtocol: 'string', port: 'number', targetPort: 'int-or-string', nodePort: 'number' } } },
      },
    },
    status: { fields: { loadBalancer: { fields: { ingress: { list: { fields: { ip: 'string', hostname: 'string' } } } } } } },
  },
  EndpointSlice: {
    addressType: 'string',
    endpoints: {
      list: {
        fields: {
          addresses: STRINGS, nodeName: 'string', zone: 'string',
          conditions: { fields: { ready: 'boolean', serving: 'boolean', terminating: 'boolean' } },
          targetRef: { fields: { kind: 'string', name: 'string', namespace: 'string', uid: 'string' } },
        },
      },
    },
    ports: { list: { fields: { name: 'string', protocol: 'string', appProtocol: 'string', port: 'number' } } },
  },
  // autoscaling/v2: graceful-termination reads the scale target and the scale-down behaviour.
  HorizontalPodAutoscaler: {
    spec: {
      fields: {
        scaleTargetRef: { fields: { kind: 'string', name: 'string' } },
        minReplicas: 'number', maxReplicas: 'number',
        behavior: { fields: { scaleDown: HPA_SCALING } },
      },
    },
  },
  // apiregistration.k8s.io/v1: apiservice-availability reads the backing Service and the Available condition.
  APIService: {
    spec: { fields: { group: 'string', service: { fields: { namespace: 'string', name: 'string', port: 'number' } } } },
    status: { fields: { conditions: CONDITIONS } },
  },
  // coordination.k8s.io/v1: node-heartbeat reads the renewal (a MicroTime, a string on the wire).
  Lease: { spec: { fields: { holderIdentity: 'string', leaseDurationSeconds: 'number', renewTime: 'string' } } },
  // object-scale counts the addresses of each subset.
  Endpoints: { subsets: { list: { fields: { addresses: { list: 'object' }, notReadyAddresses: { list: 'object' } } } } },
  // hostpath-log-growth reads the node paths a volume uses.
  PersistentVolume: { spec: { fields: { hostPath: { fields: { path: 'string' } }, local: { fields: { path: 'string' } } } } },
  // metrics.k8s.io/v1beta1 (k8s.io/metrics types.go): node-imbalance reads usage.cpu and usage.memory.
  NodeMetrics: { usage: QUANTITIES },
  // graceful-termination and object-scale read only the name, labels and annotations, which every
  // kind's metadata is checked for (objectProblem); listed so that no kind the checks read is left out.
  Namespace: {},
};

const KIND_SHAPES: Record<string, Shape> = Object.fromEntries(Object.entries(SHAPES).map(([k, fields]) => [k, { fields }]));

const METADATA: Shape = { fields: { creationTimestamp: 'string', deletionTimestamp: 'string', generateName: 'string', resourceVersion: 'string' } };

/** Each scalar type's test of a value `x`, as source: written into the code made for a shape's fields
 * (see compileFields), and made into a function for a scalar on its own. */
const SCALAR_TEST: Record<'string' | 'number' | 'boolean' | 'quantity' | 'int-or-string' | 'object', string> = {
  string: `typeof x === 'string'`,
  number: `typeof x === 'number' && Number.isFinite(x)`,
  boolean: `typeof x === 'boolean'`,
  quantity: `typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))`,
  'int-or-string': `typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x))`,
  object: `isObject(x)`,
};
const SCALAR_NAME = { string: 'a string', number: 'a number', boolean: 'true or false', quantity: 'a quantity', 'int-or-string': 'a number or a string', object: 'an object' };

/** A list entry in a message: by its name when it has one (`containers[app]`), else by index. */
function entry(item: unknown, i: number): string {
  const name = isObject(item) && typeof item.name === 'string' && item.name ? item.name.slice(0, 40) : String(i);
  return `[${name}]`;
}

/** What is wrong with a value, and where: path segments from the value inward, innermost first. The
 * path is only put together when something is wrong — most objects are fine, and building a path
 * string for every field of every pod was half the run time on a big cluster (issue 14). */
interface Misfit { what: string; at: string[] }

/** A shape made into a function once: every listed object goes through one, and walking the shape
 * description for each (is it a scalar, a list, a map? which fields?) cost as much as the checking. */
type Fit = (value: unknown) => Misfit | null;
const FITS = new Map<Shape, Fit>();

function fitOf(shape: Shape): Fit {
  let fit = FITS.get(shape);
  if (!fit) FITS.set(shape, (fit = compile(shape)));
  return fit;
}

/** Null when value fits shape (or is absent). Depth is bounded by the shape. */
function compile(shape: Shape): Fit {
  if (typeof shape === 'string') {
    const ok = new Function('isObject', `return (x) => ${SCALAR_TEST[shape]};`)(isObject) as (x: unknown) => boolean;
    const what = `is not ${SCALAR_NAME[shape]}`;
    return (value) => (value === undefined || value === null || ok(value) ? null : { what, at: [] });
  }
  if ('list' in shape) {
    const item = fitOf(shape.list);
    return (value) => {
      if (value === undefined || value === null) return null;
      if (!Array.isArray(value)) return { what: 'is not a list', at: [] };
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (v === null || v === undefined) return { what: 'is empty', at: [entry(v, i)] };
        const m = item(v);
        if (m) { m.at.push(entry(v, i)); return m; }
      }
      return null;
    };
  }
  if ('map' in shape) {
    const each = fitOf(shape.map);
    return (value) => {
      if (value === undefined || value === null) return null;
      if (!isObject(value)) return { what: 'is not a map', at: [] };
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        const m = each(value[k]);
        if (m) { m.at.push(`[${k.slice(0, 40)}]`); return m; }
      }
      return null;
    };
  }
  return compileFields(shape.fields);
}

/**
 * An object's fields, checked by straight-line code made for the shape: one property read per field,
 * scalar tests written in place, nested shapes called. Walking a list of [field, function] pairs with
 * a call and an own-property test for each field, present or not, was most of the time spent checking
 * a pod (~2 µs each; issue 14). The source holds only the shape's own field names (JSON-quoted) and
 * words; nothing from a cluster goes into it. Fields are tested in the shape's order, so the first
 * misfit is the one reported, as before.
 */
function compileFields(fields: Record<string, Shape>): Fit {
  const nested: Fit[] = [];
  const lines = Object.entries(fields).map(([k, sub]) => {
    const key = JSON.stringify(k);
    const at = JSON.stringify(`.${k}`);
    // Own properties only: a field named like an Object.prototype member is data, not inherited
    // (asked only when the value is wrong: a field that is absent or fits needs no second look).
    if (typeof sub === 'string') {
      return `x = v[${key}]; if (x !== undefined && x !== null && !(${SCALAR_TEST[sub]}) && hasOwn(v, ${key})) return { what: ${JSON.stringify(`is not ${SCALAR_NAME[sub]}`)}, at: [${at}] };`;
    }
    nested.push(fitOf(sub));
    return `x = v[${key}]; if (x !== undefined && x !== null && (m = nested[${nested.length - 1}](x)) && hasOwn(v, ${key})) { m.at.push(${at}); return m; }`;
  });
  const source = `return (v) => {
    if (v === undefined || v === null) return null;
    if (!isObject(v)) return { what: 'is not an object', at: [] };
    let x, m;
    ${lines.join('\n    ')}
    return null;
  };`;
  return new Function('isObject', 'hasOwn', 'nested', source)(isObject, Object.hasOwn, nested) as Fit;
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const notString = (v: unknown): boolean => v !== undefined && typeof v !== 'string';

/** What is wrong with a map of strings (labels, annotations), or null; absent is fine. */
function stringMapProblem(m: unknown): string | null {
  if (m === undefined || m === null) return null;
  if (!isObject(m)) return 'is not a map';
  for (const k in m) if (typeof m[k] !== 'string' && Object.hasOwn(m, k)) return 'has a value that is not a string';
  return null;
}

/** Null when value fits shape (or is absent); else `path is not …`. */
function shapeProblem(value: unknown, shape: Shape, path: string): string | null {
  const m = fitOf(shape)(value);
  if (!m) return null;
  const where = (path + m.at.reverse().join('')).replace(/^\./, '');
  return `${where} ${m.what}`;
}

/** Null when the object is usable; else what is wrong with it, in a few words. */
export function objectProblem(obj: unknown, kind?: string): string | null {
  if (!isObject(obj)) return `not an object (${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj})`;
  // Runs for every listed object (150k pods): written out field by field, with no array or closure
  // made per object (issue 14).
  const meta = obj.metadata;
  if (meta !== undefined) {
    if (!isObject(meta)) return 'metadata is not an object';
    if (notString(meta.name)) return 'metadata.name is not a string';
    if (notString(meta.namespace)) return 'metadata.namespace is not a string';
    if (notString(meta.uid)) return 'metadata.uid is not a string';
    const labels = stringMapProblem(meta.labels);
    if (labels) return `metadata.labels ${labels}`;
    const annotations = stringMapProblem(meta.annotations);
    if (annotations) return `metadata.annotations ${annotations}`;
    if (meta.ownerReferences !== undefined && meta.ownerReferences !== null && !Array.isArray(meta.ownerReferences)) return 'metadata.ownerReferences is not a list';
  }
  if (obj.spec !== undefined && obj.spec !== null && !isObject(obj.spec)) return 'spec is not an object';
  if (obj.status !== undefined && obj.status !== null && !isObject(obj.status)) return 'status is not an object';
  // Invariants the API server's own types guarantee, which code outside any one check relies on: a
  // record that breaks them did not come from an API server as sent (a corrupt or crafted file).
  if (meta !== undefined && Array.isArray(meta.ownerReferences)) {
    for (const r of meta.ownerReferences) {
      if (!isObject(r) || typeof r.kind !== 'string' || typeof r.name !== 'string') return 'metadata.ownerReferences has an entry without a string kind and name';
    }
  }
  for (const path of POD_SPEC_PATHS) {
    const spec = valueAt(obj, path);
    if (spec === undefined || spec === null) continue;
    if (!isObject(spec)) return `${path.join('.')} is not an object`;
    for (const list of CONTAINER_LISTS) {
      const cs = spec[list];
      if (cs === undefined || cs === null) continue;
      if (!Array.isArray(cs)) return `${path.join('.')}.${list} is not a list`;
      // A container's name is required (the shapes below allow any field to be absent); the types of
      // its fields are the shapes' to check.
      for (const c of cs) {
        if (!isObject(c) || typeof c.name !== 'string') return `${path.join('.')}.${list} has an entry without a string name`;
      }
    }
  }
  if (kind === 'ConfigMap' && obj.data !== undefined && obj.data !== null) {
    if (!isObject(obj.data) || !Object.values(obj.data).every((v) => typeof v === 'string')) return 'data is not a map of strings';
  }
  if (kind === 'Service') {
    const ports = (obj.spec as Record<string, unknown> | undefined)?.ports;
    if (ports !== undefined && ports !== null && (!Array.isArray(ports) || !ports.every(isObject))) return 'spec.ports is not a list of ports';
  }
  if (kind === 'Node') {
    const spec = obj.spec as Record<string, unknown> | undefined;
    if (spec?.podCIDR !== undefined && spec.podCIDR !== null && typeof spec.podCIDR !== 'string') return 'spec.podCIDR is not a string';
    if (spec?.podCIDRs !== undefined && spec.podCIDRs !== null && (!Array.isArray(spec.podCIDRs) || !spec.podCIDRs.every((c) => typeof c === 'string'))) return 'spec.podCIDRs is not a list of strings';
  }
  if (kind === 'Node') {
    // The engine reads node addresses itself (SSH destinations), outside any check.
    const addresses = (obj.status as Record<string, unknown> | undefined)?.addresses;
    if (addresses !== undefined && addresses !== null) {
      if (!Array.isArray(addresses)) return 'status.addresses is not a list';
      for (const a of addresses) {
        if (!isObject(a) || typeof a.type !== 'string' || typeof a.address !== 'string') return 'status.addresses has an entry without a string type and address';
      }
    }
  }
  const own = shapeProblem(obj.metadata, METADATA, 'metadata');
  if (own) return own;
  return kind && Object.hasOwn(KIND_SHAPES, kind) ? shapeProblem(obj, KIND_SHAPES[kind]!, '') : null;
}
