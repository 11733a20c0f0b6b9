// Service-mesh sidecars. They bring their own probes and drain behaviour and balance per request,
// so checks about probes, graceful termination and HTTP/2 balancing treat them differently.

/** Container names the Istio and Linkerd injectors use (also as native sidecars in initContainers). */
export const MESH_SIDECARS: ReadonlySet<string> = new Set(['istio-proxy', 'linkerd-proxy']);

