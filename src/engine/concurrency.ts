/**
 * Run `work` for each input with at most `limit` running at once; results in input order.
 * A rejection does not stop the others (callers decide about cancellation via signals).
 */
export async function mapWithLimit<T, R>(
  inputs: readonly T[],
  limit: number,
  work: (input: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(inputs.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= inputs.length) return;
      try {
        results[index] = { status: 'fulfilled', value: await work(inputs[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker);
  await Promise.all(workers);
  return results;
}
