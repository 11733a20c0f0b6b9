// The rules of node-heartbeat and their words; index.ts decides, this file speaks.
import type { Wording } from '../../src/check.js';
import { evidenceTime } from '../../src/kube/events.js';
import type { KubeletConn, TcpConnection } from '../../src/node/probes/kubeletConn.js';
import { causesOf, retransmitGiveUpSeconds, type Http2Support } from './causes.js';

export interface Ready { status: string; reason?: string; message?: string; since?: number }
export interface Lease { renewMs?: number; durationSeconds: number; holder?: string }

/** What the API and the node showed about one node. */
export interface NodeInfo {
  name: string;
  cordoned: boolean;
  ready?: Ready;
  kubeletVersion?: string;
  lease?: Lease;
  notReadyEvents: number;
  lastNotReadyEvent?: number;
  conn?: KubeletConn;
}

/** A node as index.ts judged it. */
export interface Judged extends NodeInfo {
  /** Seconds since the last renewal by the API server's clock (0 when renewTime is ahead of it). */
  leaseAge?: number;
  clockAheadSeconds?: number;
  down: boolean;
  stuck: boolean;
}

/** A node whose Lease was judged by its age. */
interface LeaseAged { node: Judged; lease: Lease; leaseAge: number }

const causes = (n: Pick<Judged, 'kubeletVersion' | 'conn'> | undefined, stuck: boolean) =>
  causesOf({ kubeletVersion: n?.kubeletVersion, conn: n?.conn, stuck });
const plural = (count: number) => (count === 1 ? '' : 's');
const readyText = (n: Judged) => n.ready ? `Ready=${n.ready.status}${n.ready.reason ? ` (${n.ready.reason})` : ''}` : 'no Ready condition';
const skewText = (n: Judged) => n.clockAheadSeconds
  ? ` Its Lease renewTime is ${n.clockAheadSeconds} s ahead of the API server's clock: the node's clock is ahead (NTP); ages from it are not trusted.` : '';
const cordonText = (n: Judged) => n.cordoned ? ' The node is cordoned — if it is being upgraded or drained, this is expected.' : '';

export const rules = {
  leaseStale: {
    description: 'A node\'s Lease has not been renewed for longer than the node-monitor grace period.',
    message: ({ node: n, lease, leaseAge }: LeaseAged): Wording => ({
      message: `${n.name}: the kubelet last renewed its Lease ${leaseAge} s ago by the API server's clock (lease duration ${lease.durationSeconds} s; it renews every ~${Math.round(lease.durationSeconds / 4)} s); ${readyText(n)}.` +
        (n.ready?.status === 'True' ? ' The node still shows Ready: the node lifecycle controller has not reacted yet, or kube-controller-manager is down.' : '') + cordonText(n) + skewText(n),
      expected: `renewed within ${lease.durationSeconds} s`, actual: `${leaseAge} s ago`,
      remediation: { summary: `Find why the kubelet on ${n.name} stopped reaching the API server`, steps: [
        `On ${n.name}: \`systemctl status kubelet\`, \`journalctl -u kubelet --since=-15m | grep -E 'lease|http2|node status'\`, \`ss -tnpoi | grep kubelet\` (a Send-Q that only grows is a dead connection); check memory/PID pressure and the node's reachability.`,
        ...causes(n, n.stuck),
      ] },
    }),
  },
  leaseLate: {
    description: 'A node\'s Lease renewal is late, but not yet stale.',
    message: ({ node: n, lease, leaseAge }: LeaseAged): Wording => ({
      message: `${n.name}: the Lease was last renewed ${leaseAge} s ago (duration ${lease.durationSeconds} s): the kubelet has missed at least two renewals; the node goes NotReady when the grace period runs out.${skewText(n)}`,
      expected: `renewed within ${lease.durationSeconds / 2} s`, actual: `${leaseAge} s ago`,
      remediation: { summary: `Check the kubelet on ${n.name} and its connection to the API server`, steps: [
        `On ${n.name}: \`journalctl -u kubelet --since=-15m | grep -E 'lease|http2'\`.`,
        ...causes(n, n.stuck),
      ] },
    }),
  },
  notReady: {
    description: 'A node is NotReady.',
    message: ({ node: n, ready }: { node: Judged; ready: Ready }): Wording => {
      const leaseFresh = n.leaseAge !== undefined;
      return {
        message: `${n.name} is ${readyText(n)}${ready.since ? ` since ${evidenceTime(ready.since)}` : ''}` +
          (leaseFresh ? ` while its Lease is fresh (${n.leaseAge} s): the kubelet is alive and reports a problem of its own — "${ready.message ?? ''}".` : '.') + cordonText(n) + skewText(n),
        expected: 'Ready=True', actual: readyText(n),
        remediation: { summary: leaseFresh ? `Fix what the kubelet on ${n.name} reports (container runtime, network plugin, PLEG)` : `Find why ${n.name} is not Ready`, steps: [
          leaseFresh ? `\`kubectl describe node ${n.name}\` (the Ready message names the failing part: runtime, CNI, PLEG); on the node: \`journalctl -u kubelet -u containerd --since=-15m\`.`
            : `On ${n.name}: \`systemctl status kubelet\`, \`journalctl -u kubelet --since=-15m\`.`,
          ...causes(n, n.stuck),
        ] },
      };
    },
  },
  manyNodesNotReady: {
    description: 'Many nodes went NotReady together: a shared cause (the API server or its load balancer).',
    message: ({ down, total, stuck }: { down: Judged[]; total: number; stuck: string[] }): Wording => ({
      message: `${down.length} of ${total} nodes are NotReady or have stopped renewing their Lease at once (${down.map((n) => n.name).join(', ')}): that is one shared cause, ` +
        'not ' + down.length + ' broken nodes — the path from the kubelets to the API server (load balancer, its idle timeout or a dead backend in rotation, DNS of the API endpoint) or the API server itself.' +
        (stuck.length ? ` On ${stuck.join(', ')} the kubelet's connection to the API server is stuck with unacknowledged data.` : ''),
      expected: 'nodes fail one at a time, if at all', actual: `${down.length} of ${total} down together`,
      remediation: { summary: 'Fix the shared path to the API server, not the nodes', steps: [
        'Check the API server endpoint the kubelets use (server: in /etc/kubernetes/kubelet.conf): load balancer health, backends in rotation, idle timeout (must exceed the kubelet\'s 30 s HTTP/2 ping interval), recent LB changes.',
        '`kubectl get --raw /readyz?verbose` and API server logs for the moment they went down (firstWentDown in the evidence).',
        'Do not reboot the nodes one by one: their workloads are likely fine; pods are evicted from NotReady nodes after 5 minutes (tolerationSeconds 300), so the shared cause must be fixed fast.',
        ...(stuck.length ? causes(down.find((n) => n.stuck), true) : []),
      ] },
    }),
  },
  readyFlapping: {
    description: 'A node flapped between Ready and NotReady within the window.',
    message: ({ node: n, flappingEvents }: { node: Judged; flappingEvents: number }): Wording => {
      const found = causes(n, false);
      const lost = n.conn?.journal?.length ?? 0;
      return {
        message: `${n.name} went NotReady ${n.notReadyEvents} times within the last hour (NodeNotReady events) and is Ready again: heartbeats arrive late now and then — ` +
          'a kubelet connection that dies and is re-established, API server overload, or a grace period shorter than the HTTP/2 health check (40 s before 1.32 vs 30 + 15 s).' +
          (lost ? ` The kubelet logged ${lost} lost or closed API server connection${plural(lost)} in the same hour.` : '') +
          (found.length ? ` On this node: ${found[0]}` : ''),
        expected: `fewer than ${flappingEvents} NodeNotReady per hour`, actual: `${n.notReadyEvents} in the last hour`,
        remediation: { summary: `Find why ${n.name}'s heartbeats are late`, steps: [
          `\`kubectl get events -A --field-selector involvedObject.name=${n.name},reason=NodeNotReady\`; on the node: \`journalctl -u kubelet --since=-1h | grep -E 'http2|lease|node status'\`.`,
          ...found,
          'On clusters before 1.32, kube-controller-manager --node-monitor-grace-period=50s gives the HTTP/2 health check (up to 45 s) time to reconnect (kubernetes#126287).',
        ] },
      };
    },
  },
  noLease: {
    description: 'A node has no Lease in kube-node-lease.',
    message: ({ node: n }: { node: Judged }): Wording => ({
      message: `${n.name} has no Lease in kube-node-lease while other nodes do: its kubelet heartbeats only through full node status updates (heavier on the API server and etcd), or it has been deleted and recreated under the same name.`,
      expected: `Lease kube-node-lease/${n.name}`, actual: 'none',
      remediation: { summary: `Let the kubelet on ${n.name} create its Lease`, steps: [`Check the kubelet's RBAC (system:node may create/update leases in kube-node-lease) and its log for lease errors; restart it: \`systemctl restart kubelet\`.`] },
    }),
  },
  kubeletWithoutHttp2Ping: {
    description: 'The kubelet\'s HTTP/2 health pings are off or too slow to notice a dead API connection.',
    message: ({ node: n, support }: { node: Judged; support: Exclude<Http2Support, 'yes'> }): Wording => ({
      message: `${n.name}: kubelet ${n.kubeletVersion} ${support === 'no' ? 'has no' : 'may lack the'} HTTP/2 health check (client-go 1.20, kubernetes#95981): ` +
        'when its connection to the API server dies silently (an LB drops it), it keeps writing into it until the kernel gives up — about 15 minutes with tcp_retries2=15 — and the node goes NotReady meanwhile.',
      expected: 'kubelet ≥ 1.20', actual: n.kubeletVersion,
      remediation: { summary: `Upgrade the kubelet on ${n.name}`, steps: causes(n, true) },
    }),
  },
  deadApiConnection: {
    description: 'The kubelet\'s connection to the API server has unsent data and a running retransmit timer.',
    message: ({ node: n, stuck }: { node: Judged; stuck: TcpConnection[] }): Wording => {
      const c = stuck[0]!;
      const retries = n.conn?.tcpRetries2;
      return {
        message: `${n.name}: the kubelet's connection ${c.local} → ${c.peer} has ${c.sendQ} bytes unacknowledged (Send-Q)` +
          (c.timer?.name === 'on' ? `, the retransmit timer has fired ${c.timer.retries} times` : '') +
          (c.lastAckMs !== undefined ? `, nothing acknowledged for ${Math.round(c.lastAckMs / 100) / 10} s` : '') +
          ` — the peer went silent and the kubelet is writing into a dead connection.` +
          (retries !== undefined ? ` With tcp_retries2=${retries} the kernel fails it only after ≈ ${retransmitGiveUpSeconds(retries)} s.` : '') +
          (n.down ? ' The node is NotReady / not renewing its Lease because of it.' : ''),
        expected: 'no kubelet connection with unacknowledged data and a firing retransmit timer', actual: `Send-Q ${c.sendQ}, ${c.timer ? `timer ${c.timer.name} ×${c.timer.retries}` : 'no timer'}`,
        remediation: { summary: `Make dead API server connections fail fast on ${n.name}`, steps: [
          ...causes(n, true),
          `Now: \`systemctl restart kubelet\` on ${n.name} opens a fresh connection; then find why the path (${c.peer}) dropped it — load balancer idle timeout, a backend removed without closing connections.`,
        ] },
      };
    },
  },
  connectionLostLogged: {
    description: 'The kubelet\'s journal shows lost or closed API connections.',
    message: ({ node: n }: { node: Judged }): Wording => {
      const lost = n.conn?.journal?.length ?? 0;
      return {
        message: `${n.name}: the kubelet logged ${lost} lost or closed API server connection${plural(lost)} within the last hour; it recovered (Lease fresh, Ready).`,
        remediation: { summary: 'Watch for repeats', steps: causes(n, false) },
      };
    },
  },
};
