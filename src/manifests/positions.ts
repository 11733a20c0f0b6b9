// Source lines from the `yaml` package's syntax tree: every node keeps its character range, and a
// LineCounter turns an offset into a line. The tree is walked along known paths only (kind, the pod
// template's containers); the values themselves come from toJS().
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type YAMLMap } from 'yaml';
import type { ApiKind } from '../kube/resources.js';

/** Where the pod spec sits in each kind that has one. */
const POD_SPEC_PATH: { [K in ApiKind]?: string[] } = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export interface Positions {
  /** Line of the object's `kind:` (or of the object's first line when it has none, e.g. a typed List item). */
  line: number;
  /** Container name → line of its `name:` key (init containers included). */
  containers: Map<string, number>;
}

export class PositionReader {
  /** `lineOffset` is the line the parsed text starts at in its file, minus one. */
  constructor(private readonly doc: Document, private readonly lines: LineCounter, private readonly lineOffset: number) {}

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line + this.lineOffset;
  }

  /** The line a node starts on. */
  nodeLine(node: unknown): number | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.lineAt(range[0]) : undefined;
  }

  /** The value node under a key of a mapping, following aliases (`<<` merges are not followed). */
  get(node: unknown, key: string): unknown {
    const map = this.resolve(node);
    if (!isMap(map)) return undefined;
    const pair = this.pair(map, key);
    return pair ? this.resolve(pair.value) : undefined;
  }

  /** The object's line, and its containers' lines when `kind` has a pod spec. */
  of(node: unknown, kind?: ApiKind): Positions {
    const map = this.resolve(node);
    const kindPair = isMap(map) ? this.pair(map, 'kind') : undefined;
    const line = this.nodeLine(kindPair?.key) ?? this.nodeLine(map) ?? 1 + this.lineOffset;
    const containers = new Map<string, number>();
    const path = kind && POD_SPEC_PATH[kind];
    if (path) {
      const podSpec = path.reduce<unknown>((n, k) => this.get(n, k), map);
      for (const field of ['initContainers', 'containers']) {
        const list = this.get(podSpec, field);
        if (!isSeq(list)) continue;
        for (const item of list.items) {
          const entry = this.resolve(item);
          if (!isMap(entry)) continue;
          const namePair = this.pair(entry, 'name');
          const name = this.resolve(namePair?.value);
          const at = this.nodeLine(namePair?.key);
          if (isScalar(name) && typeof name.value === 'string' && at !== undefined) containers.set(name.value, at);
        }
      }
    }
    return { line, containers };
  }

  private pair(map: YAMLMap, key: string) {
    return map.items.find((p) => {
      const k = this.resolve(p.key);
      return isScalar(k) && k.value === key;
    });
  }

  private resolve(node: unknown): unknown {
    // An alias points at its anchor: the position of the anchored node is the best there is.
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}
