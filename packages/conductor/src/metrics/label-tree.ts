/*
 * Per-label-set values found by walking nested maps, one level per label: after a label set's first
 * use, finding its value again builds no string and allocates nothing (prom-client's own `inc(labels)`
 * joins the labels into a key on every call, which the request path should not pay for).
 */

interface Node<T> {
  value: T | undefined;
  children: Map<string, Node<T>> | undefined;
}

export interface LabelTree<T> {
  at1(a: string): T;
  at2(a: string, b: string): T;
  at3(a: string, b: string, c: string): T;
  /** Every value made so far, in first-use order (for the scrape). */
  values(): readonly T[];
}

/** `make` runs once per label set, with the label values in the metric's label order. */
export function createLabelTree<T>(make: (values: readonly string[]) => T): LabelTree<T> {
  const root: Node<T> = { value: undefined, children: undefined };
  const all: T[] = [];

  const step = (node: Node<T>, key: string): Node<T> => {
    node.children ??= new Map();
    let next = node.children.get(key);
    if (next === undefined) {
      next = { value: undefined, children: undefined };
      node.children.set(key, next);
    }
    return next;
  };
  const fill = (node: Node<T>, values: readonly string[]): T => {
    const value = make(values);
    node.value = value;
    all.push(value);
    return value;
  };

  return {
    at1(a) {
      const node = step(root, a);
      return node.value ?? fill(node, [a]);
    },
    at2(a, b) {
      const node = step(step(root, a), b);
      return node.value ?? fill(node, [a, b]);
    },
    at3(a, b, c) {
      const node = step(step(step(root, a), b), c);
      return node.value ?? fill(node, [a, b, c]);
    },
    values: () => all,
  };
}
