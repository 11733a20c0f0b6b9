// How long a cloud load balancer keeps sending new connections to a node after its last local
// endpoint starts terminating (externalTrafficPolicy: Local): health-check interval × unhealthy
// threshold. Defaults are the AWS Load Balancer Controller's documented 10 s × 3; other clouds and
// in-tree providers differ, so the assumption is labelled as one in the evidence.
export interface LbHealthCheck {
  intervalSeconds: number;
  unhealthyThreshold: number;
  detectSeconds: number;
  source: 'annotations' | 'assumed';
}

const AWS_INTERVAL = 'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval';
const AWS_THRESHOLD = 'service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold';
const AZURE_INTERVAL = 'service.beta.kubernetes.io/azure-load-balancer-health-probe-interval';
const AZURE_PROBES = 'service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe';

const DEFAULT_INTERVAL = 10;
const DEFAULT_THRESHOLD = 3;

export function lbHealthCheck(annotations: Record<string, string> | undefined): LbHealthCheck {
  const a = annotations ?? {};
  const num = (key: string) => {
    const n = Number(a[key]);
    return a[key] !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const interval = num(AWS_INTERVAL) ?? num(AZURE_INTERVAL);
  const threshold = num(AWS_THRESHOLD) ?? num(AZURE_PROBES);
  const intervalSeconds = interval ?? DEFAULT_INTERVAL;
  const unhealthyThreshold = threshold ?? DEFAULT_THRESHOLD;
  return {
    intervalSeconds, unhealthyThreshold, detectSeconds: intervalSeconds * unhealthyThreshold,
    source: interval !== undefined || threshold !== undefined ? 'annotations' : 'assumed',
  };
}

/** An AWS Classic Load Balancer's DNS name: <name>-<id>.<region>.elb.amazonaws.com (internal ones start
 * with "internal-"). Network Load Balancers are <name>-<id>.elb.<region>.amazonaws.com: the region
 * comes after "elb", and their targets drain for the deregistration delay by default. */
export function classicElbHostname(hostname: string): boolean {
  return /^[a-z0-9-]+\.[a-z]{2}(?:-gov)?-[a-z]+-\d\.elb\.amazonaws\.com(?:\.cn)?$/.test(hostname);
}
