import { MODEL_LAYERS, type Model, ModelError } from './loadModels.ts';

/**
 * Sorts models so each runs after the models it reads (Kahn's algorithm). Ties keep the layer
 * order, then the name, so a build is always the same sequence. Throws on a cycle, naming it.
 */
export function orderModels(models: Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const rank = (m: Model) => `${MODEL_LAYERS.indexOf(m.layer)}:${m.name}`;
  const waiting = new Map(models.map((m) => [m.name, new Set(m.dependsOn.filter((d) => byName.has(d)))]));
  const ready = models.filter((m) => waiting.get(m.name)?.size === 0);
  const out: Model[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
    const next = ready.shift() as Model;
    out.push(next);
    for (const [name, deps] of waiting) {
      if (deps.delete(next.name) && deps.size === 0) ready.push(byName.get(name) as Model);
    }
    waiting.delete(next.name);
  }
  if (out.length < models.length) {
    const stuck = [...waiting.keys()].sort();
    const cycle = findCycle(stuck, byName);
    throw new ModelError(
      `models depend on each other in a cycle: ${cycle.join(' -> ')}`,
      cycle[0] ?? null,
      byName.get(cycle[0] ?? '')?.file ?? null,
    );
  }
  return out;
}

function findCycle(stuck: string[], byName: Map<string, Model>): string[] {
  const inStuck = new Set(stuck);
  for (const start of stuck) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let at: string | undefined = start;
    while (at !== undefined && !onPath.has(at)) {
      path.push(at);
      onPath.add(at);
      at = byName.get(at)?.dependsOn.find((d) => inStuck.has(d));
    }
    if (at !== undefined) return [...path.slice(path.indexOf(at)), at];
  }
  return stuck;
}
