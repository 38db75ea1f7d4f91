import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node } from 'yaml';
import {
  complexKeyMessage,
  EXPANSION_MESSAGE,
  isMergeKey,
  MAX_ALIAS_EXPANSION,
  MAX_NESTING,
  MERGE_MESSAGE,
  NESTING_MESSAGE,
  recursiveAliasMessage,
  tagOffset,
  tagProblem,
  unknownAliasMessage,
} from './yaml-tree-rules.js';

export type FieldPath = readonly (string | number)[];

/** A problem found in the tree: character offset, stable kind, message, field path. */
export interface YamlTreeProblem {
  readonly offset: number;
  readonly kind: 'yaml-alias' | 'yaml-tag' | 'yaml-key' | 'yaml-nesting' | 'yaml-merge';
  readonly message: string;
  readonly fieldPath: FieldPath;
}

/** A key written twice in one mapping: where the later one is and where it was first written. */
export interface DuplicateKey {
  readonly key: string;
  readonly fieldPath: FieldPath;
  /** Character offset of the later key (the one whose value is used). */
  readonly offset: number;
  readonly firstOffset: number;
}

/** A scalar decoded before composing (see yaml-quoted-scalars.ts), by its offset. */
export interface DecodedScalar {
  readonly value: string;
}

export interface YamlTree {
  /** The plain value (meaningless when there are problems). */
  readonly value: unknown;
  readonly problems: readonly YamlTreeProblem[];
  readonly duplicates: readonly DuplicateKey[];
}

/** What an anchored node expands to: its value, how many values, how many levels. */
interface Expansion {
  readonly value: unknown;
  readonly size: number;
  readonly height: number;
}

const MERGE = Symbol('merge');
const SKIP = Symbol('skip');

/** A collection being read: its children are read one at a time through `cursor`. */
interface Frame {
  readonly node: Node | undefined;
  readonly parent: Frame | undefined;
  /** Key or index of this collection in its parent (undefined for the document). */
  readonly segment: string | number | undefined;
  readonly depth: number;
  /** Children in reading order (a mapping's keys and values alternate). */
  readonly children: readonly unknown[];
  readonly value: unknown[] | Record<string, unknown>;
  cursor: number;
  size: number;
  height: number;
  /** Mappings: where each key was first written. */
  keys: Map<string, number> | undefined;
  /** Mappings: what the key just read means for the value that follows. */
  pending: string | typeof MERGE | typeof SKIP;
}

function pathOf(frame: Frame | undefined, last?: string | number): (string | number)[] {
  const segments: (string | number)[] = last === undefined ? [] : [last];
  for (let at = frame; at; at = at.parent) if (at.segment !== undefined) segments.push(at.segment);
  return segments.reverse();
}

/** A scalar key as a JSON key, as the `yaml` package writes it (null is the empty string). */
function keyName(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'symbol':
      return value.description ?? '';
    default:
      return value === null || value === undefined ? '' : (JSON.stringify(value) ?? '');
  }
}

function setKey(target: Record<string, unknown>, name: string, value: unknown): void {
  // `__proto__` as a key is data, never the prototype.
  if (name === '__proto__')
    Object.defineProperty(target, name, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  else target[name] = value;
}

/**
 * Turn a composed document into its plain value in one pass without recursion, checking
 * what parsing alone does not: nesting depth, aliases (unknown, recursive, or expanding
 * past MAX_ALIAS_EXPANSION values), tags that do not yield JSON values, collection keys,
 * merge keys, and repeated keys (reported, the last value wins, as in PyYAML). An alias
 * resolves to the last anchor of its name before it, and shares the anchor's value.
 */
export function readYamlTree(
  document: Document.Parsed,
  source: string,
  decoded: ReadonlyMap<number, DecodedScalar>,
): YamlTree {
  return new TreeReader(source, decoded).read(document.contents);
}

class TreeReader {
  private readonly problems: YamlTreeProblem[] = [];
  private readonly duplicates: DuplicateKey[] = [];
  /** The last node anchored with each name so far (document order). */
  private readonly anchors = new Map<string, Node>();
  /** Anchored collections still being read: an alias to one of them is a cycle. */
  private readonly open = new Set<Node>();
  private readonly expansions = new Map<Node, Expansion>();
  private expansion = 0;
  private nestingReported = false;
  private expansionReported = false;

  constructor(
    private readonly source: string,
    private readonly decoded: ReadonlyMap<number, DecodedScalar>,
  ) {}

  read(contents: unknown): YamlTree {
    const root: Frame = {
      node: undefined,
      parent: undefined,
      segment: undefined,
      depth: 0,
      children: [contents],
      value: [],
      cursor: 0,
      size: 0,
      height: 0,
      keys: undefined,
      pending: SKIP,
    };
    const stack: Frame[] = [root];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.cursor < frame.children.length) {
        const child = frame.children[frame.cursor];
        const opened = this.readChild(frame, child, frame.cursor++);
        if (opened) stack.push(opened);
        continue;
      }
      stack.pop();
      const parent = frame.parent;
      if (!parent || !frame.node) continue;
      if (frame.node.anchor !== undefined) {
        this.open.delete(frame.node);
        this.expansions.set(frame.node, {
          value: frame.value,
          size: frame.size,
          height: frame.height,
        });
      }
      this.deliver(parent, frame.node, frame.value, frame.size, frame.height);
    }
    const { problems, duplicates } = this;
    return { value: (root.value as unknown[])[0], problems, duplicates };
  }

  /** Read one child of `frame`; returns the frame of a collection to read next. */
  private readChild(frame: Frame, child: unknown, index: number): Frame | undefined {
    const isKey = !Array.isArray(frame.value) && index % 2 === 0;
    const segment = (): string | number | undefined => {
      if (Array.isArray(frame.value)) return frame.parent ? index : undefined;
      if (isKey) return undefined;
      return frame.pending === MERGE ? '<<' : frame.pending === SKIP ? undefined : frame.pending;
    };
    const depth = frame.depth + 1;
    if (child === null || child === undefined) {
      this.deliver(frame, child, null, 1, 1);
      return undefined;
    }
    const node = child as Node;
    const offset = node.range?.[0] ?? 0;
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      const report = (message: string) =>
        this.report(offset, 'yaml-alias', message, pathOf(frame, segment()));
      let expansion: Expansion = { value: null, size: 1, height: 1 };
      if (target === undefined) report(unknownAliasMessage(node.source));
      else if (this.open.has(target)) report(recursiveAliasMessage(node.source));
      else {
        expansion = this.expansions.get(target) ?? expansion;
        this.expansion += expansion.size - 1;
        if (this.expansion > MAX_ALIAS_EXPANSION && !this.expansionReported) {
          this.expansionReported = true;
          report(EXPANSION_MESSAGE);
        }
        if (depth + expansion.height - 1 > MAX_NESTING) this.tooDeep(offset);
      }
      this.deliver(frame, node, expansion.value, expansion.size, expansion.height);
      return undefined;
    }
    if (depth > MAX_NESTING) {
      this.tooDeep(offset);
      this.deliver(frame, node, null, 1, 1);
      return undefined;
    }
    const problem = tagProblem(node.tag);
    if (problem)
      this.report(tagOffset(this.source, offset), 'yaml-tag', problem, pathOf(frame, segment()));
    if (node.anchor !== undefined) this.anchors.set(node.anchor, node);
    if (isMap(node) || isSeq(node)) {
      if (node.anchor !== undefined) this.open.add(node);
      const children: unknown[] = [];
      if (isSeq(node)) {
        // !!omap and !!pairs hold pairs in a list; their tag is already refused.
        for (const item of node.items) children.push(isPair(item) ? null : item);
      } else {
        for (const pair of node.items) children.push(pair.key, pair.value);
      }
      return {
        node,
        parent: frame,
        segment: segment(),
        depth,
        children,
        value: isSeq(node) ? [] : {},
        cursor: 0,
        size: 1,
        height: 1,
        keys: undefined,
        pending: SKIP,
      };
    }
    let value: unknown = null;
    if (isScalar(node)) {
      const fast = this.decoded.get(offset);
      if (fast) {
        node.value = fast.value;
        node.type = 'QUOTE_DOUBLE';
      }
      value = node.value;
      if (node.anchor !== undefined) this.expansions.set(node, { value, size: 1, height: 1 });
    }
    this.deliver(frame, node, value, 1, 1);
    return undefined;
  }

  /** Put a read child's value into its collection. */
  private deliver(frame: Frame, node: unknown, value: unknown, size: number, height: number) {
    frame.size += size;
    if (height + 1 > frame.height) frame.height = height + 1;
    if (Array.isArray(frame.value)) {
      frame.value.push(value);
      return;
    }
    // A mapping's children alternate key, value; the cursor has moved past this one.
    if (frame.cursor % 2 === 1) {
      frame.pending = this.readKey(frame, node, value);
      return;
    }
    const pending = frame.pending;
    if (pending === SKIP) return;
    if (pending === MERGE) this.merge(frame, node, value);
    else setKey(frame.value, pending, value);
  }

  private readKey(frame: Frame, node: unknown, value: unknown): Frame['pending'] {
    if (isMergeKey(node)) return MERGE;
    const resolved = isAlias(node) ? this.anchors.get(node.source) : node;
    if (isMap(resolved) || isSeq(resolved)) {
      const offset = (node as Node).range?.[0] ?? 0;
      this.report(offset, 'yaml-key', complexKeyMessage(resolved), pathOf(frame));
      return SKIP;
    }
    const name = keyName(value);
    if (isScalar(node)) {
      const offset = node.range?.[0] ?? 0;
      frame.keys ??= new Map();
      const first = frame.keys.get(name);
      if (first === undefined) frame.keys.set(name, offset);
      else
        this.duplicates.push({
          key: name,
          fieldPath: pathOf(frame, name),
          offset,
          firstOffset: first,
        });
    }
    return name;
  }

  /** `<<`: keys written in the mapping win over merged ones; earlier sources over later. */
  private merge(frame: Frame, node: unknown, value: unknown) {
    const target = frame.value as Record<string, unknown>;
    const resolve = (candidate: unknown) =>
      isAlias(candidate) ? this.anchors.get(candidate.source) : candidate;
    const sourceNode = resolve(node);
    let sources: unknown[];
    if (isMap(sourceNode)) sources = [value];
    else if (isSeq(sourceNode) && sourceNode.items.every((item) => isMap(resolve(item))))
      sources = value as unknown[];
    else {
      const offset = (node as Node | null)?.range?.[0] ?? 0;
      this.report(offset, 'yaml-merge', MERGE_MESSAGE, pathOf(frame, '<<'));
      return;
    }
    // A source that failed to resolve was reported where its alias is.
    for (const mergeSource of sources) {
      if (mergeSource === null || typeof mergeSource !== 'object') continue;
      for (const [name, merged] of Object.entries(mergeSource as Record<string, unknown>)) {
        if (!Object.hasOwn(target, name)) setKey(target, name, merged);
      }
    }
  }

  private report(offset: number, kind: YamlTreeProblem['kind'], message: string, path: FieldPath) {
    this.problems.push({ offset, kind, message, fieldPath: path });
  }

  private tooDeep(offset: number) {
    if (this.nestingReported) return;
    this.nestingReported = true;
    this.report(offset, 'yaml-nesting', NESTING_MESSAGE, []);
  }
}
