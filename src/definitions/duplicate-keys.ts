import { isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { Document } from 'yaml';

/** A key written twice in one mapping: where the later one is and where it was first written. */
export interface DuplicateKey {
  readonly key: string;
  /** Field path of the repeated key, e.g. `['taskflow', 0, 'task', 'user_prompt']`. */
  readonly fieldPath: readonly (string | number)[];
  /** Character offset of the later key (the one whose value is used). */
  readonly offset: number;
  readonly firstOffset: number;
}

/**
 * Every repeated key of every mapping, in document order. Like PyYAML (which seclab uses),
 * the last value wins, so these are reported rather than refused. Merge keys (`<<`) may
 * repeat and are skipped.
 */
export function findDuplicateKeys(document: Document): DuplicateKey[] {
  const duplicates: DuplicateKey[] = [];
  visit(document, {
    Map(_key, map, ancestors) {
      if (!isMap(map)) return;
      const parentPath = fieldPathOf([...ancestors, map]);
      const first = new Map<string, number>();
      for (const pair of map.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const offset = pair.key.range?.[0] ?? 0;
        if (key === '<<') continue;
        const firstOffset = first.get(key);
        if (firstOffset === undefined) first.set(key, offset);
        else duplicates.push({ key, fieldPath: [...parentPath, key], offset, firstOffset });
      }
    },
  });
  return duplicates;
}

/** The field path of the last node of `trail` (the document's root first). */
function fieldPathOf(trail: readonly unknown[]): (string | number)[] {
  const fieldPath: (string | number)[] = [];
  trail.forEach((node, index) => {
    const child = trail[index + 1];
    if (child === undefined) return;
    if (isPair(node) && isScalar(node.key)) fieldPath.push(String(node.key.value));
    else if (isSeq(node)) fieldPath.push(node.items.indexOf(child));
  });
  return fieldPath;
}
