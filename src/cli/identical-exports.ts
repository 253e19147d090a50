/**
 * Exports whose images are byte for byte one file (the same SHA-256): one de-identified photo
 * exported twice under two random alternate ids (a second Finish in the panel, `deid apply` run
 * again on the same photo and recipe). Each export counts as one photograph in a study, so the
 * pair would count that photo twice; nothing else about either export is wrong, so neither the
 * re-verification nor the checklist can see it. Only identical bytes are matched: equal hashes
 * cannot be a false alarm, while "the same photo" in any looser sense (pixels re-encoded, another
 * crop, a frame of the same burst) is a judgement the reviewer makes from the pictures.
 *
 * Groups come in the order of their first member, each group in the order given; items without a
 * hash are left out.
 */
export function identicalGroups<T>(items: readonly T[], hashOf: (item: T) => string | null | undefined): T[][] {
  const byHash = new Map<string, T[]>();
  for (const item of items) {
    const hash = hashOf(item);
    if (!hash) continue;
    const group = byHash.get(hash);
    if (group) group.push(item);
    else byHash.set(hash, [item]);
  }
  return [...byHash.values()].filter((g) => g.length > 1);
}
