// A "kubelet" for the fake API server that runs probe pods on the real test nodes (test-nodes.ts):
// the pod's container command runs inside the node's network and mount namespaces (hostNetwork; the
// test nodes already share the machine's PID namespace, i.e. hostPID), in a fresh mount namespace
// whose root is the probe image — a static busybox with only sh and chroot, the minimum the tool
// promises to need — and with the node's root filesystem bind-mounted read-only at the pod's hostPath
// mount path. So the script meets the same kernel state and files through a pod as over SSH.
//
// Needs root, util-linux (nsenter, unshare, mount) and Debian's busybox-static at /bin/busybox.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { containerArgv, type Kubelet, type KubeletAction } from './fake-apiserver-pods.js';
import type { TestNodes } from './test-nodes.js';

export const BUSYBOX = '/bin/busybox';
/** The image's applets: a POSIX shell and chroot, nothing else. */
const APPLETS = ['sh', 'chroot'];
/** The busybox image's PATH (image config), which the container gets as its environment. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Runs with the node's own /bin/sh in the pod's new mount namespace, then becomes the container.
const SETUP = [
  'set -e',
  'root=$1 image=$2 hostpath=$3 mountpath=$4 ro=$5; shift 5',
  'mount -t tmpfs -o size=8m,mode=755 tmpfs "$root"',
  'cp -a "$image/." "$root/"',
  'mkdir -p "$root$mountpath" "$root/tmp" "$root/dev" "$root/proc" "$root/sys"',
  // What every container runtime gives a container: /dev with the basic devices, /proc of its PID
  // namespace (here the host's: hostPID), /sys read-only.
  'mount -t tmpfs -o size=64k,mode=755 tmpfs "$root/dev"',
  'for d in null zero full random urandom tty; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done',
  'mount -t proc proc "$root/proc"',
  'mount -t sysfs -o ro sysfs "$root/sys"',
  'mount --rbind "$hostpath" "$root$mountpath"',
  'if [ "$ro" = 1 ]; then mount -o remount,bind,ro "$root$mountpath"; fi',
  'cd /',
  'exec chroot "$root" "$@"',
].join('\n');

export interface TestNodeKubeletOptions {
  /** For pods on nodes that are not test nodes (default: Pending forever, as with no kubelet). */
  otherwise?: Kubelet;
  /** Images that cannot be pulled (every other image is "the busybox image"). */
  unpullable?: string[];
}

export function testNodeKubelet(nodes: TestNodes, opts: TestNodeKubeletOptions = {}): Kubelet {
  const image = join(nodes.dir, 'probe-image');
  if (!existsSync(join(image, 'bin', 'busybox'))) {
    mkdirSync(join(image, 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(image, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', join(image, 'bin', a));
  }
  const podsDir = join(nodes.dir, 'pods');
  mkdirSync(podsDir, { recursive: true });

  return (pod): KubeletAction => {
    const node = nodes.nodes.find((n) => n.name === pod.spec?.nodeName);
    if (!node) return opts.otherwise?.(pod) ?? { kind: 'pending' };
    const c = pod.spec.containers[0];
    if (opts.unpullable?.includes(c.image)) {
      return { kind: 'imagePullFailure', message: `failed to pull and unpack image "docker.io/library/${c.image}": failed to resolve reference: not found` };
    }
    const mount = (c.volumeMounts ?? [])[0];
    const volume = (pod.spec.volumes ?? []).find((v: { name: string }) => v.name === mount?.name);
    return {
      kind: 'run',
      start(_pod, io) {
        const root = join(podsDir, pod.metadata.uid);
        mkdirSync(root);
        const args = ['-t', String(node.holderPid), '-m', '-u', '-n', '--', 'unshare', '--mount', '--propagation', 'private', '--',
          '/bin/sh', '-c', SETUP, 'setup', root, image, volume?.hostPath?.path ?? '/', mount?.mountPath ?? '/host', mount?.readOnly ? '1' : '0',
          ...containerArgv(pod)];
        // detached: the container is its own process group, so a delete kills the script's children too.
        const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: IMAGE_PATH } });
        child.stdout!.setEncoding('utf8').on('data', (d: string) => io.out(d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => io.out(d));
        child.on('close', (code, signal) => {
          rmSync(root, { recursive: true, force: true });
          io.exit(code ?? (signal ? 137 : 1));
        });
        return {
          kill() {
            try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
          },
        };
      },
    };
  };
}
