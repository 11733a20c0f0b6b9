import { describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Container, V1Deployment, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import check from '../../checks/jvm-container-memory/index.js';
import { applyJvmTokens, emptySettings, jvmTokens, maxHeap } from '../../checks/jvm-container-memory/jvm-flags.js';
import { javaSignal } from '../../checks/jvm-container-memory/java.js';
import type { ObjectsByKind } from '../../src/engine/memory-source.js';
import { runCheck, type CheckCase } from '../../src/check.js';

const NS = 'billing';
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function java(overrides: Partial<V1Container> = {}, limit: string | null = '1Gi'): V1Container {
  return {
    name: 'invoicer', image: 'eclipse-temurin:17-jre',
    command: ['java'], args: ['-jar', '/app/invoicer.jar'],
    resources: limit ? { requests: { memory: limit, cpu: '250m' }, limits: { memory: limit } } : { requests: { memory: '512Mi' } },
    ...overrides,
  };
}

function deployment(containers: V1Container[], name = 'invoicer'): V1Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS, uid: `uid-${name}` },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers } } },
  };
}

function replicaSet(deploy: string, hash: string, owner = true): V1ReplicaSet {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name: `${deploy}-${hash}`, namespace: NS,
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deploy, uid: `uid-${deploy}`, controller: true }] : undefined,
    },
    spec: { selector: { matchLabels: { app: deploy } }, template: { metadata: { labels: { app: deploy } }, spec: { containers: [java()] } } },
  };
}

function pod(name: string, owner: { kind: string; name: string } | undefined, containers: V1Container[], oom?: { restarts: number; at: string }): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, ownerReferences: owner ? [{ apiVersion: 'apps/v1', ...owner, uid: 'x', controller: true }] : undefined },
    spec: { containers, nodeName: 'node-a' },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({
        name: c.name, image: c.image!, imageID: '', ready: true, restartCount: oom?.restarts ?? 0,
        state: { running: { startedAt: '2026-11-25T11:00:00Z' as unknown as Date } },
        ...(oom ? { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: oom.at as unknown as Date } } } : {}),
      })),
    },
  };
}

function configMap(name: string, data: Record<string, string>, namespace = NS): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

const rootCa = configMap('kube-root-ca.crt', { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----' });

async function run(objects: ObjectsByKind, unavailable?: CheckCase['unavailable']) {
  return runCheck(check, { objects: { ConfigMap: [rootCa, ...(objects.ConfigMap ?? [])], ...withoutConfigMaps(objects) }, unavailable });
}

function withoutConfigMaps(o: ObjectsByKind): ObjectsByKind {
  const { ConfigMap: _drop, ...rest } = o;
  return rest;
}

describe('JVM flag arithmetic', () => {
  const heapOf = (text: string, limit: number | undefined) => {
    const s = emptySettings();
    applyJvmTokens(s, jvmTokens(text), 'test');
    return maxHeap(s, limit);
  };

  it.each<[string, number | undefined, number]>([
    ['-Xmx512m', GiB, 512 * MiB],
    ['-XX:MaxHeapSize=2147483648', GiB, 2 * GiB],
    ['-Xmx2g -Xmx768m', GiB, 768 * MiB], // last one wins
    ['-XX:MaxRAMPercentage=75.0', 2 * GiB, 1.5 * GiB],
    ['-XX:MaxRAMPercentage=50', 1000 * MiB, 500 * MiB],
    ['-XX:MaxRAM=4g', GiB, GiB], // default 25 % of what MaxRAM claims
    ['-XX:MaxRAM=4g -XX:MaxRAMPercentage=50', GiB, 2 * GiB],
    ['-XX:MaxRAMFraction=2', 2 * GiB, GiB],
    ['-XX:MaxRAMPercentage=60 -Xmx256m', GiB, 256 * MiB], // -Xmx wins whatever the order
    ["'-Xmx300m'", GiB, 300 * MiB],
  ])('%s under %d bytes → %d bytes of heap', (text, limit, bytes) => {
    expect(heapOf(text, limit)).toMatchObject({ kind: 'sized', bytes });
  });

  it('knows when no flag sizes the heap, and when a flag cannot be read', () => {
    expect(heapOf('-Xms512m -XX:+UseG1GC -Dspring.profiles.active=prod', GiB)).toEqual({ kind: 'default' });
    expect(heapOf('-Xmx${HEAP}', GiB)).toMatchObject({ kind: 'unknown' });
    expect(heapOf('-Xmx1.5g', GiB)).toMatchObject({ kind: 'unknown' }); // the JVM itself refuses this
    expect(heapOf('-Xmx${HEAP} -Xmx1g', GiB)).toMatchObject({ kind: 'sized', bytes: GiB }); // a later readable flag decides
  });

  it('keeps only -X tokens of an option string', () => {
    expect(jvmTokens('-Dpassword=hunter2 -Xmx1g  -XX:+UseG1GC -jar app.jar')).toEqual(['-Xmx1g', '-XX:+UseG1GC']);
  });

  it.each<[string, Partial<V1Container>, boolean]>([
    ['eclipse-temurin', { image: 'eclipse-temurin:21-jre-alpine' }, true],
    ['a tag naming the JRE', { image: 'registry.example/acme/api:3.1-jre17' }, true],
    ['confluent kafka', { image: 'confluentinc/cp-kafka:7.6.0' }, true],
    ['java on the command line', { image: 'registry.example/acme/api:3.1', command: ['/usr/bin/java', '-jar', 'api.jar'] }, true],
    ['a shell running java', { image: 'registry.example/acme/api:3.1', command: ['sh', '-c', 'exec java -jar /api.jar'] }, true],
    ['nginx', { image: 'nginx:1.27' }, false],
    ['a javascript app', { image: 'registry.example/acme/javascript-frontend:2' }, false],
    ['a Go exporter for Kafka', { image: 'danielqsj/kafka-exporter:v1.7.0' }, false],
  ])('recognises Java: %s', (_label, c, isJava) => {
    expect(javaSignal({ name: 'c', ...c }, undefined) !== undefined).toBe(isJava);
  });
});

describe('jvm-container-memory', () => {
  it('critical: -Xmx equal to the limit, without leaking other options', async () => {
    const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx1g -Djavax.net.ssl.trustStorePassword=s3cret' }] });
    const { result, findings } = await run({ Deployment: [deployment([c])] });
    expect(result.status).toBe('fail');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'critical',
      target: { kind: 'Deployment', name: 'invoicer', namespace: NS, container: 'invoicer' },
      evidence: { memoryLimitBytes: GiB, maxHeapBytes: GiB, heapPercentOfLimit: 100, flags: [{ flag: '-Xmx1g', source: 'env JAVA_TOOL_OPTIONS' }] },
    });
    expect(JSON.stringify(findings)).not.toContain('s3cret');
    expect(findings[0]!.remediation.summary).toBe('Lower the heap of invoicer to -Xmx768m (75% of 1 GiB), or raise the memory limit to 1366Mi');
    expect(findings[0]!.remediation.steps).toContain('Or raise the limit instead: kubectl -n billing set resources deployment/invoicer -c invoicer --limits=memory=1366Mi');
  });

  it('takes its warning line from the config file settings (heapWarnPercent)', async () => {
    const c = java({ args: ['-Xmx900m', '-jar', '/app/invoicer.jar'] }); // 88 % of 1 GiB
    const lenient = await runCheck(check, { objects: { ConfigMap: [rootCa], Deployment: [deployment([c])] }, options: { heapWarnPercent: 90 } });
    expect(lenient.findings).toEqual([]);
    const strict = await runCheck(check, { objects: { ConfigMap: [rootCa], Deployment: [deployment([c])] }, options: { heapWarnPercent: 50 } });
    expect(strict.findings.map((f) => [f.rule, f.severity])).toEqual([['heapNearLimit', 'warning']]);
    expect(strict.findings[0]!.expected).toContain('maximum heap ≤ 50% of the limit');
  });

  it.each<[string, V1Container, 'critical' | 'warning', number]>([
    ['-Xmx900m under 1Gi (88 %)', java({ args: ['-Xmx900m', '-jar', '/app/invoicer.jar'] }), 'warning', 900 * MiB],
    ['MaxRAMPercentage=90', java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=90.0' }] }), 'warning', Math.floor(0.9 * GiB)],
    ['MaxRAMPercentage=100', java({ env: [{ name: 'JDK_JAVA_OPTIONS', value: '-XX:MaxRAMPercentage=100' }] }), 'critical', GiB],
    ['MaxRAM larger than the limit', java({ env: [{ name: 'JAVA_OPTS', value: '-XX:MaxRAM=4g' }], command: ['sh', '-c', 'exec java $JAVA_OPTS -jar /app/invoicer.jar'], args: undefined }), 'critical', GiB],
    ['_JAVA_OPTIONS overriding the command line', java({ args: ['-Xmx512m', '-jar', 'x.jar'], env: [{ name: '_JAVA_OPTIONS', value: '-Xmx2g' }] }), 'critical', 2 * GiB],
    ['-Xmx built from $(VAR)', java({ env: [{ name: 'HEAP', value: '1g' }, { name: 'JAVA_OPTS', value: '-Xmx$(HEAP)' }], args: ['$(JAVA_OPTS)', '-jar', 'x.jar'] }), 'critical', GiB],
  ])('%s → %s', async (_label, c, severity, heap) => {
    const { findings } = await run({ Deployment: [deployment([c])] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity, evidence: { maxHeapBytes: heap } });
  });

  it('critical: -XX:-UseContainerSupport', async () => {
    const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:-UseContainerSupport' }] });
    const { findings } = await run({ Deployment: [deployment([c])] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'critical', actual: '-XX:-UseContainerSupport', remediation: { summary: 'Remove -XX:-UseContainerSupport from env JAVA_TOOL_OPTIONS of invoicer' } });
  });

  it('only a warning for -XX:-UseContainerSupport when -Xmx bounds the heap well under the limit', async () => {
    const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:-UseContainerSupport -Xmx512m' }] });
    const { findings } = await run({ Deployment: [deployment([c])] });
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });

  describe('ConfigMaps', () => {
    const fromKeyRef = java({ env: [{ name: 'JAVA_OPTS', valueFrom: { configMapKeyRef: { name: 'invoicer-jvm', key: 'java-opts' } } }], command: ['sh', '-c', 'exec java $JAVA_OPTS -jar /app/invoicer.jar'], args: undefined });
    const fromEnvFrom = java({ envFrom: [{ configMapRef: { name: 'invoicer-env' } }] });

    it('resolves configMapKeyRef values and says where to edit them', async () => {
      const { findings } = await run({ ConfigMap: [configMap('invoicer-jvm', { 'java-opts': '-Xms1g -Xmx1g -XX:+UseG1GC' })], Deployment: [deployment([fromKeyRef])] });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { flags: [{ flag: '-Xmx1g', source: 'ConfigMap invoicer-jvm (key java-opts)' }] } });
      expect(findings[0]!.remediation.steps).toEqual(expect.arrayContaining([
        expect.stringContaining('kubectl -n billing edit configmap invoicer-jvm → key java-opts: replace -Xmx1g with -Xmx768m'),
        'kubectl -n billing rollout restart deployment/invoicer',
      ]));
    });

    it('resolves envFrom ConfigMaps', async () => {
      const { findings } = await run({ ConfigMap: [configMap('invoicer-env', { JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=95', LOG_LEVEL: 'info' })], Deployment: [deployment([fromEnvFrom])] });
      expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { flags: [{ source: 'ConfigMap invoicer-env (key JAVA_TOOL_OPTIONS)' }] } });
    });

    it('a ConfigMap in another namespace does not count', async () => {
      const { findings } = await run({ ConfigMap: [configMap('invoicer-jvm', { 'java-opts': '-Xmx1g' }, 'other'), configMap('kube-root-ca.crt', {}, 'other')], Deployment: [deployment([fromKeyRef])] });
      expect(findings[0]).toMatchObject({ severity: 'info', evidence: { unknown: ['JAVA_OPTS comes from ConfigMap invoicer-jvm was not found'] } });
    });

    it.each([['configMapKeyRef', fromKeyRef], ['envFrom', fromEnvFrom]])('reports an unreadable %s ConfigMap as unknown, never guessed', async (_l, c) => {
      const { result, findings } = await run({ Deployment: [deployment([c])] }, { ConfigMap: 'forbidden' });
      expect(result.status).toBe('pass');
      expect(findings).toHaveLength(1);
      expect(findings[0]!.severity).toBe('info');
      expect(findings[0]!.message).toMatch(/heap sizing under the 1 GiB memory limit is unknown: .*could not be read/);
      expect(findings[0]!.evidence).not.toHaveProperty('maxHeapBytes');
    });

    it('an unknown source is a warning once the container has been OOMKilled', async () => {
      const { findings } = await run({
        Deployment: [deployment([fromKeyRef])], ReplicaSet: [replicaSet('invoicer', '7f9c')],
        Pod: [pod('invoicer-7f9c-abcde', { kind: 'ReplicaSet', name: 'invoicer-7f9c' }, [fromKeyRef], { restarts: 4, at: '2026-11-25T10:00:00Z' })],
      }, { ConfigMap: 'forbidden' });
      expect(findings[0]).toMatchObject({ severity: 'warning', evidence: { oomKilled: { pods: 1, restarts: 4 } } });
    });

    it('a later readable flag settles what an unreadable source left open', async () => {
      const c = { ...fromKeyRef, args: undefined, command: ['java', '-Xmx512m', '-jar', '/app/invoicer.jar'] };
      const { findings } = await run({ Deployment: [deployment([{ ...c, env: [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { configMapKeyRef: { name: 'invoicer-jvm', key: 'opts' } } }] }])] }, { ConfigMap: 'forbidden' });
      expect(findings).toEqual([]);
    });

    it('a Secret-sourced option variable is unknown and its content never read', async () => {
      const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { secretKeyRef: { name: 'invoicer-jvm-secret', key: 'opts' } } }] });
      const { findings } = await run({ Deployment: [deployment([c])] });
      expect(findings[0]!.message).toContain('JAVA_TOOL_OPTIONS comes from Secret invoicer-jvm-secret, which is never read');
    });

    it('an optional key that is missing leaves the variable unset', async () => {
      const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', valueFrom: { configMapKeyRef: { name: 'invoicer-jvm', key: 'opts', optional: true } } }] });
      const { findings } = await run({ ConfigMap: [configMap('invoicer-jvm', { other: 'x' })], Deployment: [deployment([c])] });
      expect(findings[0]).toMatchObject({ severity: 'info', actual: 'no -Xmx, -XX:MaxHeapSize, -XX:MaxRAM or -XX:MaxRAMPercentage' });
    });
  });

  describe('no heap sizing', () => {
    it('is info on its own', async () => {
      const { result, findings } = await run({ Deployment: [deployment([java()])] });
      expect(result.status).toBe('pass');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ severity: 'info', evidence: { defaultHeapBytes: 256 * MiB, memoryLimitSource: 'template' } });
      expect(findings[0]!.remediation.steps).toContain('kubectl -n billing set env deployment/invoicer -c invoicer JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75.0');
    });

    it('is a warning with OOMKilled pods, found through ReplicaSet → Deployment', async () => {
      const { result, findings } = await run({
        Deployment: [deployment([java()])],
        ReplicaSet: [replicaSet('invoicer', '7f9c'), replicaSet('invoicer', '5b2d')],
        Pod: [
          pod('invoicer-7f9c-abcde', { kind: 'ReplicaSet', name: 'invoicer-7f9c' }, [java()], { restarts: 3, at: '2026-11-25T09:12:00Z' }),
          pod('invoicer-5b2d-fghij', { kind: 'ReplicaSet', name: 'invoicer-5b2d' }, [java()], { restarts: 5, at: '2026-11-25T11:40:00Z' }),
          pod('invoicer-7f9c-klmno', { kind: 'ReplicaSet', name: 'invoicer-7f9c' }, [java()]),
        ],
      });
      expect(result.status).toBe('fail');
      expect(findings[0]).toMatchObject({
        severity: 'warning', target: { kind: 'Deployment', name: 'invoicer' },
        evidence: { oomKilled: { pods: 2, restarts: 8, lastAt: '2026-11-25T11:40:00Z' } },
      });
      expect(findings[0]!.message).toContain('2 pods were OOMKilled');
    });

    it('asks to add to an existing JAVA_TOOL_OPTIONS rather than overwrite it', async () => {
      const c = java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Dfile.encoding=UTF-8' }] });
      const { findings } = await run({ Deployment: [deployment([c])] });
      expect(findings[0]!.remediation.steps![1]).toBe('Add -XX:MaxRAMPercentage=75.0 to JAVA_TOOL_OPTIONS of invoicer in the manifest');
    });

    it('is info when there is no memory limit at all', async () => {
      const { findings } = await run({ Deployment: [deployment([java({}, null)])] });
      expect(findings[0]).toMatchObject({ severity: 'info', evidence: { memoryLimit: null, memoryRequest: '512Mi' }, actual: 'no memory limit' });
    });
  });

  it('takes the limit from a running pod (LimitRange defaults and VPA change pods, not templates)', async () => {
    const templ = java({ args: ['-Xmx512m', '-jar', 'x.jar'] }, null);
    const running = java({ args: ['-Xmx512m', '-jar', 'x.jar'] }, '512Mi');
    const { findings } = await run({
      Deployment: [deployment([templ])], ReplicaSet: [replicaSet('invoicer', '7f9c')],
      Pod: [pod('invoicer-7f9c-abcde', { kind: 'ReplicaSet', name: 'invoicer-7f9c' }, [running])],
    });
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { memoryLimit: '512Mi', memoryLimitSource: 'pod' } });
  });

  it('judges a bare pod as itself', async () => {
    const c = java({ image: 'registry.example/billing/batch:9', command: ['java', '-Xmx3g', '-jar', '/batch.jar'], args: undefined }, '2Gi');
    const { findings } = await run({ Pod: [pod('invoice-backfill', undefined, [c])] });
    expect(findings[0]).toMatchObject({ severity: 'critical', target: { kind: 'Pod', name: 'invoice-backfill', container: 'invoicer' } });
  });

  it('reads KAFKA_HEAP_OPTS of a Kafka StatefulSet', async () => {
    const kafka: V1StatefulSet = {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'kafka', namespace: NS },
      spec: {
        serviceName: 'kafka', selector: { matchLabels: { app: 'kafka' } },
        template: { metadata: { labels: { app: 'kafka' } }, spec: { containers: [{
          name: 'kafka', image: 'confluentinc/cp-kafka:7.6.0',
          env: [{ name: 'KAFKA_HEAP_OPTS', value: '-Xmx2G -Xms2G' }], resources: { limits: { memory: '2Gi' } },
        }] } },
      },
    };
    const { findings } = await run({ StatefulSet: [kafka] });
    expect(findings[0]).toMatchObject({ severity: 'critical', target: { kind: 'StatefulSet', name: 'kafka' }, evidence: { flags: [{ source: 'env KAFKA_HEAP_OPTS' }] } });
  });

  describe('passes', () => {
    it.each<[string, ObjectsByKind]>([
      ['-Xmx768m under 1Gi (75 %)', { Deployment: [deployment([java({ args: ['-Xmx768m', '-jar', 'x.jar'] })])] }],
      ['-Xmx800m under 1000Mi (exactly 80 %)', { Deployment: [deployment([java({ args: ['-Xmx800m', '-jar', 'x.jar'] }, '1000Mi')])] }],
      ['MaxRAMPercentage=75 in JAVA_TOOL_OPTIONS', { Deployment: [deployment([java({ env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-XX:MaxRAMPercentage=75.0' }] })])] }],
      ['the command line overriding JAVA_TOOL_OPTIONS', { Deployment: [deployment([java({ args: ['-Xmx512m', '-jar', 'x.jar'], env: [{ name: 'JAVA_TOOL_OPTIONS', value: '-Xmx2g' }] })])] }],
      ['$(VAR) resolving to 75 %', { Deployment: [deployment([java({ env: [{ name: 'HEAP', value: '768m' }, { name: 'JAVA_OPTS', value: '-Xmx$(HEAP)' }], args: ['$(JAVA_OPTS)', '-jar', 'x.jar'] })])] }],
      ['an nginx container', { Deployment: [deployment([{ name: 'web', image: 'nginx:1.27', resources: { limits: { memory: '128Mi' } } }])] }],
      ['a Go exporter for Kafka', { Deployment: [deployment([{ name: 'exporter', image: 'danielqsj/kafka-exporter:v1.7.0', resources: { limits: { memory: '64Mi' } } }])] }],
      ['Elasticsearch, which sizes its own heap from the limit', { StatefulSet: [{
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'logs', namespace: NS },
        spec: { serviceName: 'logs', selector: { matchLabels: { app: 'logs' } }, template: { metadata: { labels: { app: 'logs' } }, spec: { containers: [{ name: 'es', image: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.0', resources: { limits: { memory: '4Gi' } } }] } } },
      }] }],
      ['pods of a Job (not a workload this check judges)', { Pod: [pod('reindex-x1', { kind: 'Job', name: 'reindex' }, [java({ args: ['-Xmx4g', '-jar', 'x.jar'] })])] }],
    ])('%s', async (_label, objects) => {
      const { result, findings } = await run(objects);
      expect(findings).toEqual([]);
      expect(result.status).toBe('pass');
    });
  });
});
