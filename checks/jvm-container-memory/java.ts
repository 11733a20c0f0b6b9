// Recognising a Java container from its spec. Heuristic by nature (check-facts §9.2): images of JDKs
// and of well-known Java servers, a java/-jar command line, or the variables Java tooling reads.
import type { V1Container } from '@kubernetes/client-node';

const JAVA_IMAGE = /(^|[/_.:-])(openjdk|eclipse-temurin|temurin|amazoncorretto|corretto|adoptopenjdk|ibm-semeru-runtimes|semeru|zulu|liberica|sapmachine|graalvm|jre|jdk|java|tomcat|jetty|wildfly|jboss|keycloak|elasticsearch|kafka|zookeeper|cassandra|solr|sonarqube|jenkins)\d*($|[/_.:@-])/;

export function javaSignal(c: V1Container, javaEnv: string | undefined): string | undefined {
  const image = typeof c.image === 'string' ? c.image.toLowerCase() : '';
  const m = JAVA_IMAGE.exec(image);
  // Prometheus exporters for Java servers (kafka-exporter, elasticsearch-exporter) are mostly Go.
  const exporter = /exporter/.test(image.slice(image.lastIndexOf('/') + 1));
  if (m && !exporter) return `image ${c.image} (${m[2]})`;
  const words = [...(c.command ?? []), ...(c.args ?? [])].flatMap((a) => (typeof a === 'string' ? a.split(/\s+/) : []));
  if (words.some((w) => w.slice(w.lastIndexOf('/') + 1) === 'java' || w === '-jar')) return 'command line runs java';
  if (javaEnv) return `env ${javaEnv}`;
  return undefined;
}
