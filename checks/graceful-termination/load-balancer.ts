// How long a cloud load balancer keeps sending new connections to a node after its last local
// endpoint starts terminating (externalTrafficPolicy: Local): health-check interval × unhealthy
// threshold. Defaults are the AWS Load Balancer Controller's documented 10 s × 3; other clouds and
// in-tree providers differ, so the assumption is labelled as one in the evidence, and the check's
// settings (assumedLbIntervalSeconds, assumedLbUnhealthyThreshold) let a user state their own.
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

/** What is assumed for a Service that sets no health-check annotations. */
export interface AssumedHealthCheck { intervalSeconds: number; unhealthyThreshold: number }

export const AWS_LBC_DEFAULTS: AssumedHealthCheck = { intervalSeconds: 10, unhealthyThreshold: 3 };

export function lbHealthCheck(annotations: Record<string, string> | undefined, assumed: AssumedHealthCheck = AWS_LBC_DEFAULTS): LbHealthCheck {
  const a = annotations ?? {};
  const num = (key: string) => {
    const n = Number(a[key]);
    return a[key] !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const interval = num(AWS_INTERVAL) ?? num(AZURE_INTERVAL);
  const threshold = num(AWS_THRESHOLD) ?? num(AZURE_PROBES);
  const intervalSeconds = interval ?? assumed.intervalSeconds;
  const unhealthyThreshold = threshold ?? assumed.unhealthyThreshold;
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
