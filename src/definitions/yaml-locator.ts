import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { FieldPath, ParsedYaml } from './parse-yaml.js';

/**
 * Position lookups by field path over a composed document. Each mapping's keys are indexed
 * the first time a path goes through it, so a lookup costs the length of its path, not the
 * size of the mappings on the way (thousands of globals or tasks each located once stay
 * linear).
 */
export function locatorOf(
  document: Document.Parsed,
  lineCounter: LineCounter,
  source: string,
): Pick<ParsedYaml, 'locate' | 'scalarStart'> {
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, segment: string | number): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      // The last of repeated keys is the one whose value is used.
      for (const item of map.items)
        if (isPair(item) && isScalar(item.key)) index.set(String(item.key.value), item);
      indexes.set(map, index);
    }
    return index.get(String(segment));
  };
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const walk = (fieldPath: FieldPath, wantKey: boolean): Node | undefined => {
    let node: unknown = document.contents;
    let found = node as Node | undefined;
    for (let index = 0; index < fieldPath.length; index++) {
      const segment = fieldPath[index] as string | number;
      const last = index === fieldPath.length - 1;
      if (isMap(node)) {
        const pair = pairOf(node, segment);
        if (!pair) return found;
        if (last && wantKey && pair.key) return pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return found;
      }
      if (node && typeof node === 'object' && 'range' in node) found = node as Node;
      else return found;
    }
    return found;
  };
  /** The text of a 1-based line, without its line break. */
  const lineText = (line: number): string => {
    const start = lineCounter.lineStarts[line - 1];
    if (start === undefined) return '';
    const end = lineCounter.lineStarts[line] ?? source.length;
    return source.slice(start, end).replace(/\r?\n$/, '');
  };
  return {
    locate(fieldPath, options) {
      const node = walk(fieldPath, options?.key ?? false);
      return position(node?.range?.[0] ?? 0);
    },
    scalarStart(fieldPath) {
      const node = walk(fieldPath, false);
      if (!node || !isScalar(node) || !node.range) return undefined;
      const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      if (!block) {
        const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
        return { ...position(node.range[0] + (quoted ? 1 : 0)), block };
      }
      // Block scalar content starts on the line after the `|` / `>` indicator, indented.
      const indicator = position(node.range[0]);
      const lineCount = lineCounter.lineStarts.length;
      let line = indicator.line + 1;
      while (line <= lineCount && lineText(line).trim() === '') line++;
      const text = lineText(line);
      const indent = text.length - text.trimStart().length;
      return { line: indicator.line + 1, column: indent + 1, block };
    },
  };
}
