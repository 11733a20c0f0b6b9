// Which Service ports carry HTTP/2. appProtocol wins over the port name (Istio "Protocol Selection";
// KEP-3726 defines kubernetes.io/h2c); names follow Istio's <protocol>[-<suffix>] convention.
import type { V1ServicePort } from '@kubernetes/client-node';

export interface GrpcPort {
  name: string;
  port: number;
  appProtocol?: string;
  matchedBy: 'appProtocol' | 'name';
}

const HTTP2_APP_PROTOCOLS = new Set(['grpc', 'grpc-web', 'http2', 'h2c', 'kubernetes.io/h2c']);
const HTTP2_NAME = /^(grpc[a-z0-9]*|http2|h2c)(-[a-z0-9-]*)?$/;

export function grpcPort(p: V1ServicePort): GrpcPort | undefined {
  if (p.protocol && p.protocol !== 'TCP') return undefined;
  // Names and protocols that are not strings (a crafted manifest) name nothing.
  const name = typeof p.name === 'string' ? p.name : '';
  const app = typeof p.appProtocol === 'string' ? p.appProtocol.toLowerCase() : undefined;
  if (app !== undefined && app !== '') {
    return HTTP2_APP_PROTOCOLS.has(app) ? { name, port: p.port, appProtocol: p.appProtocol, matchedBy: 'appProtocol' } : undefined;
  }
  return HTTP2_NAME.test(name.toLowerCase()) ? { name, port: p.port, matchedBy: 'name' } : undefined;
}
