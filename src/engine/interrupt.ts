// What must happen before the process exits on Ctrl-C: the pod transport deletes the pods it created
// (DESIGN §2.12). src/cli/main.ts runs these on SIGINT, then exits 130.
const cleanups = new Set<() => Promise<void>>();

/** Registers a cleanup to run on interrupt; returns a function that unregisters it. */
export function onInterrupt(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => { cleanups.delete(fn); };
}

export async function runInterruptCleanups(): Promise<void> {
  await Promise.allSettled([...cleanups].map((fn) => fn()));
}
