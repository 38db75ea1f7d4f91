/**
 * Waits for `promise` at most `ms`: true when it settled in time (its rejection ignored),
 * false otherwise. For clean-up calls to a Redis that may be gone, whose clients would
 * otherwise wait for it forever.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
