// Shared by the etcd probes: where etcd listens and which certificates it trusts, read from its
// static pod manifest (kubeadm layout) rather than guessed. Values read from the file stay in shell
// variables and are only ever passed as quoted arguments ("$ca"), never evaluated; the key file's
// path is used, its content never leaves the node.
import { MARK } from '../parsers/marked.js';

export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';

/** The flags the probes print (paths and URLs only). */
export const ETCD_FLAGS = ['quota-backend-bytes', 'listen-client-urls', 'listen-metrics-urls', 'data-dir', 'trusted-ca-file', 'cert-file', 'key-file', 'client-cert-auth'];

/** sh: stops the fragment with a marker when there is no readable manifest; defines flag() and sets
 * ca/cert/key (kubeadm's healthcheck-client pair when it exists beside the CA) and ep (a client URL
 * this node can dial: loopback preferred, a wildcard listen address turned into loopback). */
export const READ_ETCD_MANIFEST = [
  `m=${ETCD_MANIFEST}`,
  // kubeadm makes /etc/kubernetes/manifests 0700: without root the file cannot even be seen, which is
  // "unreadable" (use --sudo), not "absent" (no etcd here).
  `if [ ! -e "$m" ] && [ -d "\${m%/*}" ] && { [ ! -r "\${m%/*}" ] || [ ! -x "\${m%/*}" ]; }; then echo "${MARK}manifest unreadable"; echo "${MARK}end"; exit 0; fi`,
  `if [ ! -e "$m" ]; then echo "${MARK}manifest absent"; echo "${MARK}end"; exit 0; fi`,
  `if [ ! -r "$m" ]; then echo "${MARK}manifest unreadable"; echo "${MARK}end"; exit 0; fi`,
  // "- --name=value" or "- \"--name=value\"" items of the container command; first one wins.
  `flag() { sed -n "s/^[[:space:]]*-[[:space:]]*[\\"']\\{0,1\\}--$1=//p" "$m" | head -n 1 | sed "s/[\\"'[:space:]]*$//"; }`,
  'ca=$(flag trusted-ca-file); cert=$(flag cert-file); key=$(flag key-file)',
  'd=${ca%/*}',
  'if [ -n "$ca" ] && [ -r "$d/healthcheck-client.crt" ] && [ -r "$d/healthcheck-client.key" ]; then cert=$d/healthcheck-client.crt; key=$d/healthcheck-client.key; fi',
  "urls=$(flag listen-client-urls | tr ',' '\\n')",
  "ep=$(printf '%s\\n' \"$urls\" | grep -m 1 -E '^https?://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:|/|$)')",
  '[ -n "$ep" ] || ep=$(printf \'%s\\n\' "$urls" | head -n 1)',
  '[ -n "$ep" ] || ep=https://127.0.0.1:2379',
  "ep=$(printf '%s' \"$ep\" | sed 's#//0\\.0\\.0\\.0:#//127.0.0.1:#; s#//\\[::\\]:#//[::1]:#; s#/*$##')",
].join('\n');
