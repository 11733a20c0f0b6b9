// The probe pod for --node-access pod (DESIGN §2.12, §3.8): what `kubectl debug node/…` creates,
// pinned to one node, running the same script SSH runs.
//
// chroot, not /host prefixes: the script's fragments call the node's own tools (ip -j, ss, df -P,
// du -x, journalctl, awk, timeout) and read absolute paths (/run/flannel/subnet.env, hostPaths from
// pod specs, /proc/<kubelet>/cmdline). Under `chroot /host` every one of them is the node's, exactly
// as over SSH, so the parsers see the same output whatever transport ran; with /host prefixes the
// image's tools (busybox's df and ip print other formats, it has no ss) would answer instead, and
// every path — including the hostPaths checks send as input — would need rewriting. The image
// therefore needs only a POSIX sh and chroot (busybox, alpine, any distro image); everything else
// comes from the node. A node without /bin/sh (Bottlerocket, Talos) cannot be probed, and says so.
//
// The script travels in the pod's args, split into chunks below the kernel's 128 KiB limit for one
// argument, and is piped by the image's shell into the node's `sh -s` — the same stdin delivery as
// `ssh … sh -s`, so nothing of it is ever re-parsed by a second shell.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kubectl-checkup';
export const RUN_ID_LABEL = 'checkup.k8s.io/run-id';
export const NODE_ANNOTATION = 'checkup.k8s.io/node';
export const CONTAINER = 'probe';
/** A small image with a POSIX shell and chroot, mirrored by every registry mirror we know of. */
export const DEFAULT_PROBE_IMAGE = 'busybox:1.36';
export const DEFAULT_PROBE_NAMESPACE = 'default';
/** Below MAX_ARG_STRLEN (32 pages = 128 KiB on Linux), with room for UTF-8. */
const CHUNK_CHARS = 100_000;
/** The pod object must fit the API server's request limit (3 MiB) and etcd's (1.5 MiB). */
export const MAX_SCRIPT_BYTES = 1024 * 1024;

export interface ProbePodSpec {
  name: string;
  namespace: string;
  node: string;
  image: string;
  runId: string;
  script: string;
  /** The kubelet kills the pod after this long even if the tool is gone (a safety net, not the wait). */
  activeDeadlineSeconds: number;
}

/** What the image's shell runs: pipe the script (the args, in order) into the node's shell. The
 * marker line lets the source tell "the image cannot chroot" from "the node has no shell". */
export function launcherScript(): string {
  return [
    "command -v chroot >/dev/null 2>&1 || { echo '@@checkup-launch the probe image has no chroot'; exit 127; }",
    "for part in \"$@\"; do printf '%s' \"$part\"; done | chroot /host /bin/sh -s",
  ].join('\n');
}

export function splitScript(script: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < script.length; i += CHUNK_CHARS) parts.push(script.slice(i, i + CHUNK_CHARS));
  return parts.length ? parts : [''];
}

export function probePodLabels(runId: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [RUN_ID_LABEL]: runId };
}

export function runSelector(runId: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${RUN_ID_LABEL}=${runId}`;
}

export function probePodManifest(p: ProbePodSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: probePodLabels(p.runId),
      annotations: { [NODE_ANNOTATION]: p.node, 'kubernetes.io/description': 'kubectl-checkup node probe: reads the node, writes nothing; deleted when done' },
    },
    spec: {
      // Bypasses the scheduler: the pod runs on this node or nowhere (and then shows why).
      nodeName: p.node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Every taint, NoExecute included: a node under pressure or cordoned is the one worth reading.
      tolerations: [{ operator: 'Exists' }],
      volumes: [{ name: 'host-root', hostPath: { path: '/', type: 'Directory' } }],
      containers: [{
        name: CONTAINER,
        image: p.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', launcherScript(), 'checkup-probe', ...splitScript(p.script)],
        // Root reads the node's root-owned files (kubelet config, /var/log/journal); the image may
        // default to another user. SYS_CHROOT: CRI-O no longer grants it by default. SYSLOG: dmesg
        // where the kernel restricts it and there is no journald.
        securityContext: {
          runAsUser: 0, runAsNonRoot: false, privileged: false, readOnlyRootFilesystem: true,
          capabilities: { add: ['SYS_CHROOT', 'SYSLOG'] },
        },
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
        // recursiveReadOnly (Kubernetes ≥ 1.30) makes the mounts under / read-only too; older API
        // servers drop the field and only the top of the mount is read-only — the script writes
        // nothing either way.
        volumeMounts: [{ name: 'host-root', mountPath: '/host', readOnly: true, recursiveReadOnly: 'IfPossible' }],
      }],
    },
  };
}

